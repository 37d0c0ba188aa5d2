/**
 * `quantlab restart SERVICE... | --all`: the runbook's "Restart Commands" in
 * startup order. The services go level by level along the startup DAG; each
 * level is restarted together and must be healthy (unit active, health
 * endpoint 200 with its token) within the deadline before the next level
 * starts. A service that does not come up stops the rollout, named, with its
 * last journal lines. Ends with the status table.
 */
import type { HostPlan, PlannedUnit } from "../../hostfiles/plan";
import { bearer, checkUnit, curlStatus, type HealthProbe } from "../../provider/scripts";
import { collectStatus, statusText } from "./status";
import { pickUnits, probeToken, type Target } from "./target";

/** Seconds a restarted service has to become healthy. */
export const HEALTH_DEADLINE_S = 30;
/** Journal lines shown for a service that did not come up. */
export const FAILURE_LINES = 30;

/** The startup levels restricted to `units`, in order, empty levels dropped. */
export function restartLevels(plan: Pick<HostPlan, "levels">, units: readonly Pick<PlannedUnit, "service">[]): string[][] {
  const chosen = new Set(units.map((u) => u.service as string));
  return plan.levels.map((l) => l.filter((s) => chosen.has(s))).filter((l) => l.length > 0);
}

/**
 * Restarts the unit and waits until it is active and (with a probe) its
 * health endpoint answers 200, polling every half second until the deadline.
 * Prints `ready`, `failed` (the restart itself failed) or `timeout <state>
 * <http code>`, then on failure the unit's last journal lines. The token
 * header arrives on stdin once and is replayed to each curl from a variable
 * (printf is a shell builtin: it never reaches a process's arguments).
 */
export function restartScript(unit: string, probe: HealthProbe | undefined, deadline = HEALTH_DEADLINE_S): string {
  checkUnit(unit);
  const curl = probe ? (probe.withToken ? `printf '%s\\n' "$hdr" | ${curlStatus(probe, 2)}` : curlStatus(probe, 2)) : "echo -";
  const journal = `journalctl --no-pager -o short-iso -n ${FAILURE_LINES} -u ${unit}`;
  return [
    "set -u",
    ...(probe?.withToken ? ["hdr=$(cat)"] : []),
    `systemctl restart ${unit} || { echo failed; ${journal}; exit 1; }`,
    `end=$(( $(date +%s) + ${deadline} ))`,
    "while :; do",
    `  state=$(systemctl show -p ActiveState --value ${unit})`,
    `  code=$(${curl})`,
    `  if [ "$state" = active ] && { [ "$code" = - ] || [ "$code" = 200 ]; }; then echo ready; exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout $state $code"; ${journal}; exit 1; fi`,
    "  sleep 0.5",
    "done",
  ].join("\n");
}

export interface RestartOutcome {
  readonly service: string;
  readonly ok: boolean;
  /** "ready", "failed", or "timeout <state> <code>". */
  readonly result: string;
  /** The journal lines printed on failure. */
  readonly journal: readonly string[];
}

export function parseRestart(service: string, out: string): RestartOutcome {
  const [first = "", ...rest] = out.replace(/\n$/, "").split("\n");
  return { service, ok: first === "ready", result: first || "no output", journal: first === "ready" ? [] : rest };
}

/** What the operator reads when a service did not come up. */
export function failureText(o: RestartOutcome): string {
  const why = o.result === "failed" ? "systemctl restart failed" : o.result.startsWith("timeout") ? `not healthy within ${HEALTH_DEADLINE_S} s (${o.result.slice(8)})` : o.result;
  return [`restart: ${o.service} did not come up: ${why}`, `last ${FAILURE_LINES} journal lines of ${o.service}:`, ...o.journal.map((l) => `  ${l}`)].join("\n");
}

export async function restartCommand(t: Target, names: readonly string[], json: boolean, print: (s: string) => void): Promise<number> {
  const units = pickUnits(t.plan, names, "restart");
  const byService = new Map(units.map((u) => [u.service as string, u]));
  const levels = restartLevels(t.plan, units);
  const done: RestartOutcome[] = [];
  let failed: RestartOutcome[] = [];
  for (const [i, level] of levels.entries()) {
    if (!json) print(`level ${i + 1}/${levels.length}: restarting ${level.join(", ")}`);
    const outcomes = await Promise.all(
      level.map(async (service) => {
        const u = byService.get(service)!;
        const token = probeToken(t, u);
        const r = await t.host.exec(restartScript(u.unit, u.health ? { url: u.health.url, withToken: token !== undefined } : undefined), bearer(token));
        return parseRestart(service, r.stdout);
      }),
    );
    done.push(...outcomes);
    failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) break;
    if (!json) print(`level ${i + 1}/${levels.length}: healthy`);
  }
  const rows = await collectStatus(t);
  if (json) print(JSON.stringify({ ok: failed.length === 0, levels, restarted: done, status: rows }, null, 2));
  else {
    for (const f of failed) print(failureText(f));
    print(`\n${statusText(rows, Math.floor(Date.now() / 1000))}`);
  }
  return failed.length === 0 ? 0 : 1;
}
