/** `quantlab runs` (cli/commands/runs.ts): the runs API's answer as a table, whatever its field names. */
import { describe, expect, it } from "vitest";
import { parseRuns, runsText } from "../../../cli/commands/runs";

describe("parseRuns and runsText", () => {
  it("{runs: [...]} or a bare list; each run's id, status, strategy, last update", () => {
    const body = JSON.stringify({
      runs: [
        { id: "run-1", status: "running", strategy: "momentum", updated: "2026-11-24T14:00:00.000Z" },
        { run_id: "run-2", state: "done", strategy_id: "meanrev", started_at: "2026-11-24T13:00:00.000Z" },
        { x: 1 },
      ],
    });
    const parsed = parseRuns(`${body}\n200`);
    expect(parsed.runs).toEqual([
      { id: "run-1", status: "running", strategy: "momentum", updated: "2026-11-24T14:00:00.000Z" },
      { id: "run-2", status: "done", strategy: "meanrev", updated: "2026-11-24T13:00:00.000Z" },
      { id: "?", status: "?" },
    ]);
    expect(runsText(parsed.runs)).toBe(
      [
        "run    status   strategy  updated",
        "run-1  running  momentum  2026-11-24T14:00:00.000Z",
        "run-2  done     meanrev   2026-11-24T13:00:00.000Z",
        "?      ?        -         -",
        "",
        "3 runs",
      ].join("\n"),
    );
    expect(parseRuns(`[{"id":"r"}]\n200`).runs).toEqual([{ id: "r", status: "?" }]);
  });

  it("none, one, a fleet's host, a refusal", () => {
    expect(runsText([])).toBe("no runs");
    expect(runsText([], "research-a")).toBe("research-a: no runs");
    expect(runsText([{ id: "r", status: "done" }], "research-a")).toBe(
      "research-a: \nrun  status  strategy  updated\nr    done    -         -\n\n1 run",
    );
    expect(parseRuns("unauthorized\n\n401")).toEqual({ code: "401", runs: [], raw: "unauthorized\n" });
  });
});
