/**
 * `quantlab restart SERVICE... | --all`: the runbook's "Restart Commands" in
 * startup order, behind the same health gate as `up`: level by level along
 * the startup DAG, each service restarted and judged by the gate (active in a
 * new invocation, endpoint 200 with its token, within its own
 * `healthTimeoutSeconds`), then one settle for all of them (each still up
 * in the invocation that passed). A service that does not come up stops the
 * rollout, named, with its last journal lines. Ends with the status table.
 */
import type { HostPlan, PlannedUnit } from "../../hostfiles/plan";
import type { GateResult, SettleResult } from "../../host/gate";
import { gate, settle } from "../../host/rollout";
import { planUnits } from "../../provider/units";
import { usageError, type Command, type Invocation } from "../args";
import { stackContext, type StackContext, type Target } from "../context";
import { print } from "../table";
import { hostStatus, statusText } from "./status";

/** The startup levels restricted to `units`, in order, empty levels dropped. */
export function restartLevels(plan: Pick<HostPlan, "levels">, units: readonly Pick<PlannedUnit, "service">[]): string[][] {
  const chosen = new Set(units.map((u) => u.service as string));
  return plan.levels.map((l) => l.filter((s) => chosen.has(s))).filter((l) => l.length > 0);
}

/** The enabled services named, in startup order; an unknown or disabled name is a usage error listing the enabled ones. */
export function pickUnits(plan: HostPlan, names: readonly string[], command: string, commands: Invocation["commands"]): PlannedUnit[] {
  const known = plan.units.map((u) => u.service as string);
  for (const n of names)
    if (!known.includes(n))
      throw usageError(`${command}: "${n}" is not an enabled service of this stack (enabled: ${known.join(", ")})`, commands);
  return names.length === 0 ? [...plan.units] : plan.units.filter((u) => names.includes(u.service));
}

export interface RestartOutcome {
  readonly service: string;
  readonly result: GateResult | SettleResult;
}

const failedWhy = (r: GateResult | SettleResult): string | undefined =>
  "passed" in r ? (r.passed ? undefined : r.reason) : r.settled ? undefined : r.reason;

/** What the operator reads when a service did not come up (its journal redacted on the host side). */
export function failureText(o: RestartOutcome): string {
  const journal = "journal" in o.result ? o.result.journal : [];
  return [
    `restart: ${o.service} did not come up: ${failedWhy(o.result)}`,
    `last ${journal.length} journal lines of ${o.service}:`,
    ...journal.map((l) => `  ${l}`),
  ].join("\n");
}

/** Restarts the units level by level behind the gate, then settles them; the outcomes, failures last. */
export async function restartUnits(
  ctx: StackContext,
  t: Target,
  units: readonly PlannedUnit[],
  log: (s: string) => void,
): Promise<{ levels: string[][]; outcomes: RestartOutcome[]; failed: RestartOutcome[] }> {
  const rollout = new Map(planUnits(t.plan).map((u) => [u.service, u]));
  const levels = restartLevels(t.plan, units);
  const outcomes: RestartOutcome[] = [];
  const token = (name: string) => ctx.tokens[name as keyof typeof ctx.tokens] ?? "";
  for (const [i, level] of levels.entries()) {
    log(`level ${i + 1}/${levels.length}: restarting ${level.join(", ")}`);
    const results = await Promise.all(
      level.map(async (service) => ({ service, result: await gate(t.session, rollout.get(service)!, "restart", token) })),
    );
    outcomes.push(...results);
    const failed = results.filter((r) => failedWhy(r.result));
    if (failed.length) return { levels, outcomes, failed };
    log(`level ${i + 1}/${levels.length}: passed its gate`);
  }
  const started = outcomes.map(({ service, result }) => {
    const u = rollout.get(service)!;
    return {
      unit: u.unit,
      invocation: "passed" in result && result.passed ? result.invocation : "",
      ...(u.probe
        ? { probe: { url: u.probe.url, withToken: u.probe.token !== undefined }, ...(u.probe.token ? { token: u.probe.token } : {}) }
        : {}),
    };
  });
  const settled = await settle(t.session, started, token);
  const failed = settled
    .filter((s) => !s.settled)
    .map((s) => ({ service: [...rollout.values()].find((u) => u.unit === s.unit)!.service, result: s }));
  return { levels, outcomes, failed };
}

export const restart: Command = {
  name: "restart",
  summary: "restarts services in startup order, each behind its health gate",
  synopsis: "SERVICE... | --all",
  json: true,
  positionals: { min: 0, max: 10, what: "service names" },
  options: { all: { type: "boolean", help: "every enabled service" } },
  async run(inv: Invocation) {
    const all = inv.options.all === true;
    if (all === inv.positionals.length > 0) throw usageError("restart: name the services or pass --all (not both)", inv.commands);
    const ctx = await stackContext(inv, { needsOneHost: "restart" });
    const t = ctx.targets[0]!;
    const units = pickUnits(t.plan, all ? [] : inv.positionals, "restart", inv.commands);
    const { levels, outcomes, failed } = await restartUnits(ctx, t, units, inv.json ? () => undefined : print);
    const rows = await hostStatus(ctx, t);
    if (inv.json) print(JSON.stringify({ ok: failed.length === 0, levels, restarted: outcomes, status: rows }, null, 2));
    else {
      for (const f of failed) print(failureText(f));
      print(`\n${statusText(rows, Math.floor(Date.now() / 1000))}`);
    }
    return failed.length === 0 ? 0 : 1;
  },
};
