/** What an operator reads when a (re)start fails (host/report.ts): the whole text for each outcome of the rollback. */
import { describe, expect, it } from "vitest";
import { failureText, rollbackText, type GateFailure } from "../../host/report";
import type { RestoreOutcome } from "../../host/rollout";

const base: Omit<GateFailure, "rollback"> = {
  resource: "HostService quantlab-strategyd.service",
  host: "research-a",
  reason: "no 200 from http://127.0.0.1:3031/health within 10 s (unit active, last answer 500)",
  changed: ["/etc/systemd/system/quantlab-strategyd.service", "/etc/quantlab/strategyd.env"],
  journal: ["Nov 24 14:00:01 host npm[812]: health check failing", "Nov 24 14:00:02 host npm[812]: still failing"],
};
const passed = (ms: number, invocation: string) => ({ passed: true as const, ms, invocation });
const nothing: RestoreOutcome = { restored: [], removed: [], stopped: [], gates: [], settled: [], ms: 400 };

describe("failureText", () => {
  it("rolled back and healthy again: what was restored, removed, stopped, restarted; then the journal", () => {
    const restore: RestoreOutcome = {
      restored: ["/etc/quantlab/strategyd.env", "/srv/ql/backend (commit 0123456789ab)"],
      removed: ["/etc/quantlab/newd.env"],
      stopped: ["quantlab-newd.service"],
      gates: [
        { unit: "quantlab-replayd.service", result: passed(900, "inv-r") },
        { unit: "quantlab-strategyd.service", result: passed(1340, "inv-s") },
      ],
      settled: [
        { unit: "quantlab-replayd.service", settled: true },
        { unit: "quantlab-strategyd.service", settled: true },
      ],
      ms: 3250,
    };
    expect(failureText({ ...base, rollback: { cause: "quantlab-strategyd.service", outcome: { generation: 4, restore } } })).toBe(
      [
        "HostService quantlab-strategyd.service on research-a: failed its health gate: no 200 from http://127.0.0.1:3031/health within 10 s (unit active, last answer 500)",
        "changed: /etc/systemd/system/quantlab-strategyd.service, /etc/quantlab/strategyd.env",
        "rolled back: the host is back on generation 4 in 3.3 s (restored /etc/quantlab/strategyd.env, /srv/ql/backend (commit 0123456789ab); removed /etc/quantlab/newd.env; stopped quantlab-newd.service; restarted quantlab-replayd.service, quantlab-strategyd.service, each passed its gate again)",
        "the next `up` tries this change again: fix the config (or the code) first",
        "last 2 journal lines:",
        "  Nov 24 14:00:01 host npm[812]: health check failing",
        "  Nov 24 14:00:02 host npm[812]: still failing",
      ].join("\n"),
    );
  });

  it("nothing to roll back to, and a restart that changed nothing", () => {
    expect(
      failureText({
        ...base,
        changed: [],
        journal: [],
        rollback: { cause: "quantlab-strategyd.service", outcome: { impossible: "no generation recorded on this host yet" } },
      }),
    ).toBe(
      [
        "HostService quantlab-strategyd.service on research-a: failed its health gate: no 200 from http://127.0.0.1:3031/health within 10 s (unit active, last answer 500)",
        "changed: nothing (restarted because it was down or unhealthy)",
        "not rolled back: no generation recorded on this host yet",
        "last 0 journal lines:",
      ].join("\n"),
    );
  });
});

describe("rollbackText", () => {
  it("back on a generation that differed in nothing: no restart", () => {
    expect(rollbackText({ cause: "quantlab-a.service", outcome: { generation: 2, restore: nothing } })).toEqual([
      "rolled back: the host is back on generation 2 in 0.4 s (no file or code differed from it)",
      "the next `up` tries this change again: fix the config (or the code) first",
    ]);
  });

  it("the earlier generation fails too: each gate and settle failure named", () => {
    const restore: RestoreOutcome = {
      ...nothing,
      restored: ["/etc/quantlab/a.env"],
      gates: [
        { unit: "quantlab-a.service", result: passed(700, "inv-a") },
        { unit: "quantlab-b.service", result: { passed: false, reason: "not active within 30 s (unit failed)", journal: ["boom"] } },
      ],
      settled: [{ unit: "quantlab-a.service", settled: false, reason: "health answers 503", journal: [] }],
    };
    expect(rollbackText({ cause: "quantlab-b.service", outcome: { generation: 7, restore } })).toEqual([
      "rolled back to generation 7 (restored /etc/quantlab/a.env), but it FAILED its gates too: quantlab-b.service: not active within 30 s (unit failed); quantlab-a.service: health answers 503",
    ]);
  });
});
