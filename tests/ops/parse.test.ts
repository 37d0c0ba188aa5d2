/**
 * What the operations commands make of the host's answers: the status row
 * and table, the restart outcome, the log sources and JSON lines, the runs
 * table, the doctor's findings and verdicts. Whole text where it is text.
 */
import { describe, expect, it } from "vitest";
import { diagnose, doctorText, envKeys, parseSections, type Expected } from "../../cli/ops/doctor";
import { lineSplitter, logSources, parseJsonLogLine } from "../../cli/ops/logs";
import { failureText, parseRestart, restartLevels } from "../../cli/ops/restart";
import { parseRuns, runsText } from "../../cli/ops/runs";
import { parseStatus, statusText } from "../../cli/ops/status";
import { age, bytes, isoSeconds, table } from "../../cli/ops/table";
import { parseStackConfig } from "../../config/parse";
import { planHost, type PlannedUnit } from "../../hostfiles/plan";
import { distinctConfig, TEST_TOKENS } from "../fixtures/stack";

const strategyd: PlannedUnit = { service: "strategyd", unit: "quantlab-strategyd.service", after: ["replayd"], reads: [], codeDirs: ["services/strategyd"], healthTimeoutSeconds: 30, port: 3031, health: { url: "http://127.0.0.1:3031/health", token: "strategyd" } };
const worker: PlannedUnit = { service: "job-worker", unit: "quantlab-worker.service", after: ["strategyd"], reads: [], codeDirs: ["core"], healthTimeoutSeconds: 30 };
const NOW = 1795530000;

describe("status", () => {
  const up = ["LoadState=loaded", "ActiveState=active", "SubState=running", `StateChangeTimestamp=@${NOW - 300}`, "MainPID=4242", "MemoryCurrent=[not set]", "rss_kb 125952", "listening yes", "health 200", ""].join("\n");
  const down = ["LoadState=loaded", "ActiveState=inactive", "SubState=dead", `StateChangeTimestamp=@${NOW - 42}`, "MainPID=0", "MemoryCurrent=[not set]", "listening no", "health 000", ""].join("\n");

  it("a row from the host's answer: memory from cgroup accounting, else the summed RSS; what is wrong", () => {
    expect(parseStatus(strategyd, up)).toEqual({ service: "strategyd", unit: "quantlab-strategyd.service", state: "active", subState: "running", since: NOW - 300, pid: 4242, memoryBytes: 125952 * 1024, port: 3031, listening: true, healthUrl: "http://127.0.0.1:3031/health", health: "200", problems: [] });
    expect(parseStatus(strategyd, up.replace("MemoryCurrent=[not set]", "MemoryCurrent=1048576")).memoryBytes).toBe(1048576);
    expect(parseStatus(strategyd, down).problems).toEqual(["inactive", "port 3031 not listening", "health 000"]);
    expect(parseStatus(worker, "LoadState=not-found\nActiveState=inactive\n").problems).toEqual(["not-found"]);
  });

  it("the table and its summary line", () => {
    const rows = [parseStatus(strategyd, up), parseStatus(worker, ["LoadState=loaded", "ActiveState=active", "SubState=running", `StateChangeTimestamp=@${NOW - 7300}`, "MainPID=77", "rss_kb 2048"].join("\n"))];
    expect(statusText(rows, NOW)).toBe(
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
});

describe("restart", () => {
  const plan = planHost(parseStackConfig(distinctConfig()).model, TEST_TOKENS);
  it("the startup levels restricted to the chosen services, empty levels dropped", () => {
    expect(restartLevels(plan, plan.units)).toEqual(plan.levels.map((l) => [...l]));
    expect(restartLevels(plan, [{ service: "console-ui" }, { service: "replayd" }, { service: "labeld" }])).toEqual([["replayd"], ["labeld"], ["console-ui"]]);
  });

  it("a service that did not come up: named, why, and its journal", () => {
    expect(parseRestart("labeld", "ready\n")).toEqual({ service: "labeld", ok: true, result: "ready", journal: [] });
    const timeout = parseRestart("labeld", "timeout activating 000\n2026-11-24T14:00:00+0000 h npm[9]: boom\n");
    expect(timeout).toEqual({ service: "labeld", ok: false, result: "timeout activating 000", journal: ["2026-11-24T14:00:00+0000 h npm[9]: boom"] });
    expect(failureText(timeout)).toBe(
      "restart: labeld did not come up: not healthy within 30 s (activating 000)\nlast 30 journal lines of labeld:\n  2026-11-24T14:00:00+0000 h npm[9]: boom",
    );
    expect(failureText(parseRestart("labeld", "failed\n"))).toBe("restart: labeld did not come up: systemctl restart failed\nlast 30 journal lines of labeld:");
  });
});

describe("logs", () => {
  const { model } = parseStackConfig(distinctConfig());
  const t = { model, plan: planHost(model, TEST_TOKENS) };
  it("where each name's logs are", () => {
    expect(logSources(t, "replayd")).toEqual([{ kind: "journal", units: ["quantlab-replayd.service"] }]);
    expect(logSources(t, "observer-api")).toEqual([
      { kind: "journal", units: ["quantlab-observer.service"] },
      { kind: "file", path: "/srv/qlhome/backend/core/observer-api/server.log" },
    ]);
    expect(logSources(t, "ml")).toEqual([{ kind: "file", path: "/var/log/quantlab-ml.log" }]);
    expect(logSources(t, "all")).toEqual([{ kind: "journal", units: t.plan.units.map((u) => u.unit) }]);
    expect(() => logSources(t, "mysql")).toThrow(
      'logs: "mysql" is neither an enabled service (replayd, collector, featurexd, strategyd, labeld, backtestd, job-worker, observer, observer-api, console-ui), a cron job (ml, daily-prod, daily-prod-dry, ops-report, compact-ready, cleanup-retention, daily-health) nor all',
    );
  });

  it("--json lines: journal entries and tagged file lines", () => {
    expect(parseJsonLogLine(JSON.stringify({ _SYSTEMD_UNIT: "quantlab-replayd.service", __REALTIME_TIMESTAMP: "1795530000123456", MESSAGE: "started" }))).toEqual({
      source: "quantlab-replayd.service",
      time: "2026-11-24T14:20:00.123Z",
      message: "started",
    });
    expect(parseJsonLogLine(JSON.stringify({ _SYSTEMD_UNIT: "init.scope", UNIT: "quantlab-replayd.service", MESSAGE: [104, 105] }))).toEqual({ source: "quantlab-replayd.service", message: "hi" });
    expect(parseJsonLogLine("/var/log/quantlab-ml.log\tran at_ms=1")).toEqual({ source: "/var/log/quantlab-ml.log", message: "ran at_ms=1" });
    expect(parseJsonLogLine("-- No entries --")).toBeUndefined();
  });

  it("whole lines out of a stream cut anywhere", () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push("ab");
    s.push("c\nde");
    s.push(Buffer.from("f\n\ng"));
    s.flush();
    expect(lines).toEqual(["abc", "def", "", "g"]);
  });
});

describe("runs", () => {
  it("the observer API's answer as a table, whatever its field names", () => {
    const body = JSON.stringify({ runs: [{ id: "run-1", status: "running", strategy: "momentum", updated: "2026-11-24T14:00:00.000Z" }, { run_id: "run-2", state: "done" }] });
    const parsed = parseRuns(`${body}\n200`);
    expect(parsed.runs).toEqual([
      { id: "run-1", status: "running", strategy: "momentum", updated: "2026-11-24T14:00:00.000Z" },
      { id: "run-2", status: "done" },
    ]);
    expect(runsText(parsed.runs)).toBe(
      ["run    status   strategy  updated", "run-1  running  momentum  2026-11-24T14:00:00.000Z", "run-2  done     -         -", "", "2 runs"].join("\n"),
    );
    expect(parseRuns(`[]\n200`).runs).toEqual([]);
    expect(runsText([])).toBe("no runs");
    expect(parseRuns("unauthorized\n\n401")).toEqual({ code: "401", runs: [], raw: "unauthorized\n" });
  });
});

describe("doctor", () => {
  const want: Expected = {
    service: "collector",
    port: 9100,
    healthUrl: "http://127.0.0.1:9100/health",
    envKeys: { "/etc/quantlab/collector.env": ["COLLECTOR_PORT", "COLLECTOR_SPOOL_DIR"] },
    runtimeUser: "qlrun",
    runtimeGroup: "qlgrp",
    spoolDir: "/data/spool",
  };
  const section = (name: string, ...lines: string[]) => [`::doctor:: ${name}`, ...lines].join("\n");
  const healthy = [
    section("state", "LoadState=loaded", "ActiveState=active", "SubState=running", "Result=success", "NRestarts=0"),
    section("errors"),
    section("port", "holder 311 python3 /system.slice/quantlab-collector.service"),
    section("env /etc/quantlab/collector.env", "present", "key COLLECTOR_PORT", "key COLLECTOR_SPOOL_DIR"),
    section("health", "200"),
    section("spool", "owner qlrun qlgrp 750", "free_kb 76441096", `newest ${NOW - 90}.52 collector-alive.json`, `now ${NOW}`),
    section("metrics", '{"queue_size": 3, "writer": {}}'),
  ].join("\n");

  it("reads the sections", () => {
    expect(parseSections("::doctor:: a\nx\n\ny\n::doctor:: b c\n")).toEqual(new Map([["a", ["x", "y"]], ["b c", []]]));
    expect(envKeys("# header\nA_B='1'\nC='x=y'\n")).toEqual(["A_B", "C"]);
  });

  it("a healthy collector: every finding ok, with the spool's facts", () => {
    const d = diagnose(want, "quantlab-collector.service", healthy);
    expect(d.verdict).toBe("ok");
    expect(d.findings.map((f) => `${f.level} ${f.text}`)).toEqual([
      "ok quantlab-collector.service active (running), 0 automatic restarts",
      "ok port 9100 held by python3 (pid 311) of quantlab-collector.service",
      "ok env file /etc/quantlab/collector.env present with 2 keys: COLLECTOR_PORT, COLLECTOR_SPOOL_DIR",
      "ok health http://127.0.0.1:9100/health answers 200",
      "ok spool directory /data/spool exists, qlrun:qlgrp 750",
      "ok 72.9G free for the spool",
      "ok newest spool file collector-alive.json, written 1m ago",
      "ok /metrics queue size 3",
    ]);
  });

  it("the spool removed, the port taken by someone else, a key missing: each says so, with what to do", () => {
    const broken = healthy
      .replace(/::doctor:: spool\n[\s\S]*?(?=::doctor:: metrics)/, "::doctor:: spool\nabsent\n")
      .replace("holder 311 python3 /system.slice/quantlab-collector.service", "holder 999 nc /user.slice/session-1.scope")
      .replace("key COLLECTOR_SPOOL_DIR", "key EXTRA_KEY")
      .replace('{"queue_size": 3, "writer": {}}', "");
    const d = diagnose(want, "quantlab-collector.service", broken);
    expect(d.verdict).toBe("fail");
    expect(doctorText([d])).toBe(
      [
        "collector (quantlab-collector.service)",
        "  ok   quantlab-collector.service active (running), 0 automatic restarts",
        "  FAIL port 9100 is held by nc (pid 999, /user.slice/session-1.scope), not by quantlab-collector.service",
        "       next: stop that process (it keeps collector from listening), then npx quantlab restart collector",
        "  FAIL env file /etc/quantlab/collector.env lacks COLLECTOR_SPOOL_DIR",
        "       next: npx quantlab up (writes it again)",
        "  WARN env file /etc/quantlab/collector.env has keys the stack does not set: EXTRA_KEY",
        "       next: npx quantlab drift (hand edits show there); npx quantlab up restores the file",
        "  ok   health http://127.0.0.1:9100/health answers 200",
        "  FAIL spool directory /data/spool does not exist",
        "       next: systemd-tmpfiles --create /etc/tmpfiles.d/quantlab.conf on the host, then npx quantlab restart collector",
        "  WARN /metrics gave no queue_size",
        "       next: npx quantlab logs collector -n 50",
        "",
        "service    verdict  next",
        "collector  FAIL     stop that process (it keeps collector from listening), then npx quantlab restart collector",
      ].join("\n"),
    );
  });

  it("a stopped S3 user with journal errors and an unreachable endpoint", () => {
    const out = [
      section("state", "LoadState=loaded", "ActiveState=failed", "SubState=failed", "Result=exit-code", "NRestarts=5"),
      section("errors", "2026-11-24T14:00:00+0000 h npm[9]: Error: listen EADDRINUSE: address already in use 0.0.0.0:3030"),
      section("port"),
      section("env /etc/quantlab/replayd.env", "absent"),
      section("s3", "000"),
    ].join("\n");
    const d = diagnose({ service: "replayd", port: 3030, envKeys: { "/etc/quantlab/replayd.env": ["REPLAYD_PORT"] }, runtimeUser: "u", runtimeGroup: "g", s3Endpoint: "http://127.0.0.1:9000" }, "quantlab-replayd.service", out);
    expect(d.findings.map((f) => [f.level, f.text, f.next])).toEqual([
      ["fail", "quantlab-replayd.service is failed (failed, result exit-code)", "npx quantlab logs replayd -n 50, fix the cause, then npx quantlab restart replayd"],
      ["warn", "error lines in the last 24 h of the journal (last 1):\n      2026-11-24T14:00:00+0000 h npm[9]: Error: listen EADDRINUSE: address already in use 0.0.0.0:3030", "npx quantlab logs replayd -n 100"],
      ["fail", "nothing listens on port 3030", "npx quantlab logs replayd -n 50"],
      ["fail", "env file /etc/quantlab/replayd.env is missing", "npx quantlab up (writes it again)"],
      ["warn", "S3 endpoint http://127.0.0.1:9000 does not answer from the host", "check quantlab:s3.endpoint and the host's network route to it"],
    ]);
  });
});

describe("terminal helpers", () => {
  it("tables, sizes, ages, times", () => {
    expect(table(["a", "bb"], [["xxx", "y"], ["z", ""]])).toBe("a    bb\nxxx  y\nz");
    expect([bytes(512), bytes(1536), bytes(47185920), bytes(3 * 1024 ** 3)]).toEqual(["512B", "1.5K", "45.0M", "3.0G"]);
    expect([age(42), age(300), age(7260), age(200000)]).toEqual(["42s", "5m", "2h01m", "2d7h"]);
    expect(isoSeconds(NOW)).toBe("2026-11-24 14:20:00Z");
  });
});

describe("the sandbox stack file keeps a deployed ref", () => {
  it("while the base names the same remote", async () => {
    const { keepDeployedRef } = await import("../../cli/engine");
    const base = { git: { remote: "/srv/r.git", ref: "main" } };
    expect(keepDeployedRef(base, { git: { remote: "/srv/r.git", ref: "release" } })).toEqual({ git: { remote: "/srv/r.git", ref: "release" } });
    expect(keepDeployedRef(base, { git: { remote: "/srv/other.git", ref: "release" } })).toBe(base);
    expect(keepDeployedRef({ localDir: "tests/standin" }, { git: { remote: "/srv/r.git", ref: "x" } })).toEqual({ localDir: "tests/standin" });
    expect(keepDeployedRef(base, undefined)).toBe(base);
  });
});
