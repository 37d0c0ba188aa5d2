/**
 * `quantlab logs` (cli/commands/logs.ts): where each name's logs are, the
 * --json lines, the line splitter, and showLogs over a session that answers
 * with canned output.
 */
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../../cli/commands";
import { lineSplitter, logSources, parseJsonLogLine, showLogs } from "../../../cli/commands/logs";
import type { Target } from "../../../cli/context";
import { parseStackConfig } from "../../../config/parse";
import { logsScript } from "../../../host/ops/logs";
import type { HostSession } from "../../../host/session";
import { planHost } from "../../../hostfiles/plan";
import { distinctConfig, TEST_TOKENS } from "../../fixtures/stack";

const host = parseStackConfig(distinctConfig()).hosts[0]!;
const plan = planHost(host.model, TEST_TOKENS);
const t = { host, plan };

describe("logSources", () => {
  it("a service's journal (and its log file), a cron job's log, every unit for all", () => {
    expect(logSources(t, "replayd", COMMANDS)).toEqual([{ kind: "journal", units: ["quantlab-replayd.service"] }]);
    expect(logSources(t, "observer-api", COMMANDS)).toEqual([
      { kind: "journal", units: ["quantlab-observer.service"] },
      { kind: "file", path: "/srv/qlhome/backend/core/observer-api/server.log" },
    ]);
    expect(logSources(t, "ml", COMMANDS)).toEqual([{ kind: "file", path: "/var/log/quantlab-ml.log" }]);
    expect(logSources(t, "all", COMMANDS)).toEqual([{ kind: "journal", units: plan.units.map((u) => u.unit) }]);
  });

  it("refuses a name that is none of these, listing what there is", () => {
    expect(() => logSources(t, "mysql", COMMANDS)).toThrow(
      'logs: "mysql" is neither an enabled service (replayd, collector, featurexd, strategyd, labeld, backtestd, job-worker, observer, observer-api, console-ui), a cron job (ml, daily-prod, daily-prod-dry, ops-report, compact-ready, cleanup-retention, daily-health) nor all',
    );
  });

  it("each name's sources make a script (observer-api's journal and its file in the runtime user's tree)", () => {
    for (const name of ["observer-api", "all", "ml", "replayd"]) {
      for (const follow of [false, true])
        expect(() => logsScript(logSources(t, name, COMMANDS), { lines: 10, follow, json: false }, host.model.runtime.user)).not.toThrow();
    }
  });
});

describe("--json lines", () => {
  it("journal entries (UNIT before _SYSTEMD_UNIT, a byte-array message decoded) and tagged file lines", () => {
    expect(
      parseJsonLogLine(
        JSON.stringify({ _SYSTEMD_UNIT: "quantlab-replayd.service", __REALTIME_TIMESTAMP: "1795530000123456", MESSAGE: "started" }),
      ),
    ).toEqual({
      source: "quantlab-replayd.service",
      time: "2026-11-24T14:20:00.123Z",
      message: "started",
    });
    expect(
      parseJsonLogLine(JSON.stringify({ _SYSTEMD_UNIT: "init.scope", UNIT: "quantlab-replayd.service", MESSAGE: [104, 105] })),
    ).toEqual({ source: "quantlab-replayd.service", message: "hi" });
    expect(parseJsonLogLine("/var/log/quantlab-ml.log\tran at_ms=1")).toEqual({
      source: "/var/log/quantlab-ml.log",
      message: "ran at_ms=1",
    });
    expect(parseJsonLogLine("-- No entries --")).toBeUndefined();
  });

  it("whole lines out of a stream cut anywhere", () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push("ab");
    s.push("c\nde");
    s.push("f\n\ng");
    s.flush();
    expect(lines).toEqual(["abc", "def", "", "g"]);
  });
});

describe("showLogs", () => {
  /** A target whose session answers `stdout`/`stderr` and keeps the script it was given. */
  const target = (stdout: string, stderr = "", code = 0) => {
    const seen: { text: string; deadline?: number }[] = [];
    const session = {
      run: async (script: { text: string }, opts: { deadline?: number } = {}) => {
        seen.push({ text: script.text, ...(opts.deadline ? { deadline: opts.deadline } : {}) });
        return { code, stdout, stderr };
      },
    } as unknown as HostSession;
    return { t: { host, plan, session } as unknown as Target, seen };
  };
  const never = new Promise<void>(() => undefined);

  it("prints what the host gave, stderr apart, and returns its exit code; the script is logsScript's for the name", async () => {
    const { t: tt, seen } = target("line 1\nline 2\n", "(no file /var/log/quantlab-ml.log)\n", 0);
    const out: string[] = [];
    const err: string[] = [];
    const o = { lines: 5, follow: false, json: false };
    expect(
      await showLogs(
        tt,
        "ml",
        o,
        COMMANDS,
        (s) => out.push(s),
        (s) => err.push(s),
        never,
      ),
    ).toBe(0);
    expect([out, err]).toEqual([["line 1\nline 2\n"], ["(no file /var/log/quantlab-ml.log)\n"]]);
    expect(seen).toEqual([
      { text: logsScript([{ kind: "file", path: "/var/log/quantlab-ml.log" }], o, host.model.runtime.user).text, deadline: 120 },
    ]);
  });

  it("--json: one JSON object a line, lines that are neither dropped", async () => {
    const journal = JSON.stringify({ UNIT: "quantlab-replayd.service", __REALTIME_TIMESTAMP: "1795530000000000", MESSAGE: "up" });
    const { t: tt } = target(`${journal}\n-- No entries --\n/srv/qlhome/backend/core/observer-api/server.log\tGET /api/runs`);
    const out: string[] = [];
    expect(
      await showLogs(
        tt,
        "observer-api",
        { lines: 5, follow: false, json: true },
        COMMANDS,
        (s) => out.push(s),
        () => undefined,
        never,
      ),
    ).toBe(0);
    expect(out.join("")).toBe(
      '{"source":"quantlab-replayd.service","time":"2026-11-24T14:20:00.000Z","message":"up"}\n{"source":"/srv/qlhome/backend/core/observer-api/server.log","message":"GET /api/runs"}\n',
    );
  });
});
