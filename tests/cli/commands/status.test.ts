/** `quantlab status` (cli/commands/status.ts): a row from the host's answer, and the table with its summary, whole text. */
import { describe, expect, it } from "vitest";
import { parseStatus, statusText } from "../../../cli/commands/status";
import type { PlannedUnit } from "../../../hostfiles/plan";

const strategyd: PlannedUnit = {
  service: "strategyd",
  unit: "quantlab-strategyd.service",
  after: ["replayd"],
  reads: [],
  codeDirs: ["services/strategyd"],
  healthTimeoutSeconds: 30,
  port: 3031,
  health: { url: "http://127.0.0.1:3031/health", token: "strategyd" },
};
const worker: PlannedUnit = {
  service: "job-worker",
  unit: "quantlab-worker.service",
  after: ["strategyd"],
  reads: [],
  codeDirs: ["core"],
  healthTimeoutSeconds: 30,
};
const NOW = 1795530000;
const up = [
  "LoadState=loaded",
  "ActiveState=active",
  "SubState=running",
  `StateChangeTimestamp=@${NOW - 300}`,
  "MainPID=4242",
  "MemoryCurrent=[not set]",
  "rss_kb 125952",
  "listening yes",
  "health 200",
  "",
].join("\n");
const down = [
  "LoadState=loaded",
  "ActiveState=inactive",
  "SubState=dead",
  `StateChangeTimestamp=@${NOW - 42}`,
  "MainPID=0",
  "MemoryCurrent=[not set]",
  "listening no",
  "health 000",
  "",
].join("\n");
const workerUp = [
  "LoadState=loaded",
  "ActiveState=active",
  "SubState=running",
  `StateChangeTimestamp=@${NOW - 7300}`,
  "MainPID=77",
  "rss_kb 2048",
].join("\n");

describe("parseStatus", () => {
  it("a row: memory from cgroup accounting, else the summed RSS; what is wrong", () => {
    expect(parseStatus(strategyd, up)).toEqual({
      service: "strategyd",
      unit: "quantlab-strategyd.service",
      state: "active",
      subState: "running",
      since: NOW - 300,
      pid: 4242,
      memoryBytes: 125952 * 1024,
      port: 3031,
      listening: true,
      healthUrl: "http://127.0.0.1:3031/health",
      health: "200",
      problems: [],
    });
    expect(parseStatus(strategyd, up.replace("MemoryCurrent=[not set]", "MemoryCurrent=1048576")).memoryBytes).toBe(1048576);
    expect(parseStatus(strategyd, up.replace("MemoryCurrent=[not set]", "MemoryCurrent=18446744073709551615")).memoryBytes).toBe(
      125952 * 1024,
    );
    expect(parseStatus(strategyd, down).problems).toEqual(["inactive", "port 3031 not listening", "health 000"]);
    expect(parseStatus(worker, "LoadState=not-found\nActiveState=inactive\n")).toEqual({
      service: "job-worker",
      unit: "quantlab-worker.service",
      state: "not-found",
      subState: "",
      problems: ["not-found"],
    });
    expect(parseStatus(worker, workerUp, "research-b").host).toBe("research-b");
  });
});

describe("statusText", () => {
  it("one host: the table and its summary line", () => {
    expect(statusText([parseStatus(strategyd, up), parseStatus(worker, workerUp)], NOW)).toBe(
      [
        "service     state   since                         pid   memory  port            health",
        "strategyd   active  2026-11-24 14:15:00Z (5m)     4242  123.0M  3031 listening  200",
        "job-worker  active  2026-11-24 12:18:20Z (2h01m)  77    2.0M    -               -",
        "",
        "all 2 services up",
      ].join("\n"),
    );
    expect(statusText([parseStatus(strategyd, down)], NOW)).toBe(
      [
        "service    state     since                       pid  memory  port         health",
        "strategyd  INACTIVE  2026-11-24 14:19:18Z (42s)  -    -       3031 CLOSED  000",
        "",
        "DOWN (1 of 1): strategyd (inactive, port 3031 not listening, health 000)",
      ].join("\n"),
    );
  });

  it("a fleet: a host column, and each service named with its host", () => {
    expect(statusText([parseStatus(strategyd, up, "research-a"), parseStatus(strategyd, down, "research-b")], NOW)).toBe(
      [
        "host        service    state     since                       pid   memory  port            health",
        "research-a  strategyd  active    2026-11-24 14:15:00Z (5m)   4242  123.0M  3031 listening  200",
        "research-b  strategyd  INACTIVE  2026-11-24 14:19:18Z (42s)  -     -       3031 CLOSED     000",
        "",
        "DOWN (1 of 2): research-b/strategyd (inactive, port 3031 not listening, health 000)",
      ].join("\n"),
    );
  });
});
