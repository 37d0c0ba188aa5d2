/** The operator's messages for a locked stack and an interrupted run. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { heldByLiveRun, interruptedText, lockedText } from "../../cli/interrupt";

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

describe("a run that writes the state, while another holds the lock", () => {
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-locks-"));
  const dir = path.join(backend, ".pulumi", "locks", "organization", "quantlab-infra", "b");
  const lock = (name: string, body: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  };
  const holder = (pid: number) => JSON.stringify({ pid, username: "root", hostname: os.hostname(), timestamp: "2026-12-02T19:35:00Z" });

  it("is refused before the engine starts when the holder still runs here, with the engine's own lock message", () => {
    lock("1.json", holder(process.pid));
    expect(heldByLiveRun(`file://${backend}`, "quantlab-infra", "b")).toBe(
      [
        `stack b is locked by another run (held by root@${os.hostname()} (pid ${process.pid}) at 2026-12-02T19:35:00Z).`,
        "Wait for it to finish. If no run is active (a run that was killed leaves its lock behind), release the stale lock with:",
        "  npx quantlab unlock --stack b",
      ].join("\n"),
    );
    expect(heldByLiveRun(`file://${backend}`, "quantlab-infra", "other")).toBeUndefined();
    expect(heldByLiveRun("s3://bucket", "quantlab-infra", "b")).toBeUndefined();
    fs.rmSync(dir, { recursive: true });
  });

  it("is left to the engine when the holder is gone (a stale lock) or the lock file is still being written", () => {
    const gone = spawnSync("true").pid!;
    lock("2.json", holder(gone));
    expect(heldByLiveRun(`file://${backend}`, "quantlab-infra", "b")).toBeUndefined();
    lock("3.json", '{"pid": 1');
    expect(heldByLiveRun(`file://${backend}`, "quantlab-infra", "b")).toBeUndefined();
    fs.rmSync(backend, { recursive: true, force: true });
  });
});
