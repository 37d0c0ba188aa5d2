/** What an operator reads when a (re)start fails: pure, so its whole text is tested. */
import type { GateResult, SettleResult } from "./gate";
import type { Rollback } from "./rollout";

export interface GateFailure {
  /** "HostService quantlab-replayd.service" */
  readonly resource: string;
  /** How the host is named. */
  readonly host: string;
  /** Why the new version failed. */
  readonly reason: string;
  /** What differs from the version that ran before (paths, "code:...", or why it restarted). */
  readonly changed: readonly string[];
  /** The unit's journal right after it failed (redacted). */
  readonly journal: readonly string[];
  readonly rollback: Rollback;
}

const indent = (lines: readonly string[]) => lines.map((l) => `  ${l}`);

const failed = (r: GateResult | SettleResult): string | undefined =>
  "passed" in r ? (r.passed ? undefined : r.reason) : r.settled ? undefined : r.reason;

/** The rollback's lines: where the host is now and what it took. */
export function rollbackText(rb: Rollback): string[] {
  const o = rb.outcome;
  if ("impossible" in o) return [`not rolled back: ${o.impossible}`];
  const r = o.restore;
  const did = [
    r.restored.length ? `restored ${r.restored.join(", ")}` : "no file or code differed from it",
    ...(r.removed.length ? [`removed ${r.removed.join(", ")}`] : []),
    ...(r.stopped.length ? [`stopped ${r.stopped.join(", ")}`] : []),
  ].join("; ");
  const bad = [
    ...r.gates.map((g) => ({ unit: g.unit, why: failed(g.result) })),
    ...r.settled.map((s) => ({ unit: s.unit, why: failed(s) })),
  ].filter((x) => x.why);
  const restarted = r.gates.map((g) => g.unit);
  if (bad.length === 0) {
    return [
      `rolled back: the host is back on generation ${o.generation} in ${(r.ms / 1000).toFixed(1)} s (${did}${restarted.length ? `; restarted ${restarted.join(", ")}, each passed its gate again` : ""})`,
      "the next `up` tries this change again: fix the config (or the code) first",
    ];
  }
  return [
    `rolled back to generation ${o.generation} (${did}), but it FAILED its gates too: ${bad.map((b) => `${b.unit}: ${b.why}`).join("; ")}`,
  ];
}

export function failureText(f: GateFailure): string {
  return [
    `${f.resource} on ${f.host}: failed its health gate: ${f.reason}`,
    `changed: ${f.changed.length ? f.changed.join(", ") : "nothing (restarted because it was down or unhealthy)"}`,
    ...rollbackText(f.rollback),
    `last ${f.journal.length} journal lines:`,
    ...indent(f.journal),
  ].join("\n");
}
