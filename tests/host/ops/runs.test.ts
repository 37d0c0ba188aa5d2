/** `runs`'s script on the host (host/ops/runs.ts), whole text. */
import { describe, expect, it } from "vitest";
import { runsScript } from "../../../host/ops/runs";

describe("runsScript", () => {
  it("the body, then the HTTP status on a line of its own; the token header from stdin when there is one", () => {
    expect(runsScript(3000, true).text).toBe(String.raw`curl -s --max-time 10 -w '\n%{http_code}' -H @- http://127.0.0.1:3000/api/runs`);
    expect(runsScript(3007, false).text).toBe(String.raw`curl -s --max-time 10 -w '\n%{http_code}' http://127.0.0.1:3007/api/runs`);
    expect(() => runsScript(0, false)).toThrow("host script: invalid integer 1-65535 0");
  });
});
