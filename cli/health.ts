/**
 * The health table: each enabled unit's state and health endpoint. `health`
 * asks the host live (one SSH exec per unit, over one connection); `up`
 * prints what its own run last saw (the service resources' outputs), so it
 * opens no connection of its own.
 */
import type { HostPlan } from "../hostfiles/plan";
import type { TokenName } from "../model/catalog";
import { bearer, parseUnitState, unitStateScript } from "../provider/scripts";
import type { SshConnection } from "../provider/ssh";

export interface HealthRow {
  readonly service: string;
  readonly unit: string;
  /** active | inactive | failed | ... */
  readonly state: string;
  /** HTTP status, or "-" without an endpoint. */
  readonly health: string;
  readonly url?: string;
  readonly ok: boolean;
}

export function healthRow(u: HostPlan["units"][number], state: { active: boolean; health?: string }): HealthRow {
  const health = u.health ? (state.health ?? "no answer") : "-";
  return {
    service: u.service,
    unit: u.unit,
    state: state.active ? "active" : "inactive",
    health,
    url: u.health?.url,
    ok: state.active && (!u.health || health === "200"),
  };
}

/** Live, on the host. */
export async function checkHealth(host: SshConnection, plan: HostPlan, tokens: Readonly<Partial<Record<TokenName, string>>>): Promise<HealthRow[]> {
  return Promise.all(
    plan.units.map(async (u) => {
      const token = u.health?.token ? tokens[u.health.token] : undefined;
      const script = unitStateScript(u.unit, [], u.health ? { url: u.health.url, withToken: token !== undefined } : undefined);
      const r = await host.exec(script, bearer(token));
      if (r.code !== 0) throw new Error(`health of ${u.unit}: ${r.stderr.trim()}`);
      return healthRow(u, parseUnitState(r.stdout));
    }),
  );
}

export function healthTable(rows: readonly HealthRow[]): string {
  const head = ["service", "unit", "state", "health", "endpoint"];
  const body = rows.map((r) => [r.service, r.unit, r.state, r.health, r.url ?? "-"]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cols) => cols.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
