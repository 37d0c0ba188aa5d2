/** The operator's messages for a locked stack and an interrupted run. */
import { describe, expect, it } from "vitest";
import { interruptedText, lockedText } from "../../cli/interrupt";

describe("stack lock and interrupt messages", () => {
  it("turns the file backend's lock error into one naming the stack and the way to release a stale lock", () => {
    const engine =
      "up failed:\nerror: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
      "  file:///x/state/.pulumi/locks/organization/quantlab-infra/b/4a.json: created by root@m1 (pid 4242) at 2026-11-24T10:00:00Z";
    expect(lockedText("b", engine)).toBe(
      [
        "stack b is locked by another run (held by root@m1 (pid 4242) at 2026-11-24T10:00:00Z).",
        "Wait for it to finish. If no run is active (a run that was killed leaves its lock behind), release the stale lock with:",
        "  npx quantlab unlock --stack b",
      ].join("\n"),
    );
  });

  it("leaves any other error alone", () => {
    expect(lockedText("b", "up failed:\nHostFile /etc/x on 10.0.0.2: connection closed")).toBeUndefined();
  });

  it("says what to do after an interrupt", () => {
    expect(interruptedText("up", "prod")).toBe(
      "up of stack prod interrupted: the engine stopped after the operations in flight and saved the state; the stack lock is released. Run `npx quantlab up --stack prod` to converge.",
    );
  });
});
