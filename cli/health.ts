/**
 * Health as seen from the host itself: each enabled unit's state, and each
 * health endpoint asked over the host's loopback with its bearer token
 * (the token travels on curl's stdin as a header file, never in argv).
 */
import type { HostPlan, PlannedUnit } from "../hostfiles/plan";
import type { TokenName } from "../units/catalog";
import { checkUnit } from "../provider/scripts";
import type { SshConnection } from "../provider/ssh";

export interface HealthRow {
  readonly service: string;
  readonly unit: string;
  readonly state: string;
  /** HTTP status, "-" without an endpoint, or the failure. */
  readonly health: string;
  readonly url?: string;
  readonly ok: boolean;
}

const URL_SHAPE = /^http:\/\/127\.0\.0\.1:\d{1,5}\/[A-Za-z0-9_/.-]*$/;

/** Prints the unit's ActiveState, then the endpoint's HTTP status (000 when nothing answers). */
export function healthScript(unit: string, url: string | undefined, withToken: boolean): string {
  checkUnit(unit);
  const lines = [`systemctl show -p ActiveState --value ${unit}`];
  if (url !== undefined) {
    if (!URL_SHAPE.test(url)) throw new Error(`health: unexpected URL ${JSON.stringify(url)}`);
    lines.push(`curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 ${withToken ? "-H @- " : ""}${url} || true`);
  }
  return lines.join("\n");
}

export async function checkHealth(host: SshConnection, plan: HostPlan, tokens: Readonly<Partial<Record<TokenName, string>>>): Promise<HealthRow[]> {
  return Promise.all(
    plan.units.map(async (u: PlannedUnit): Promise<HealthRow> => {
      const token = u.health?.token ? tokens[u.health.token] : undefined;
      const r = await host.exec(healthScript(u.unit, u.health?.url, token !== undefined), token ? `Authorization: Bearer ${token}\n` : "");
      const [state = "unknown", status] = r.stdout.trim().split("\n");
      const health = u.health ? (status ?? "no answer") : "-";
      return { service: u.service, unit: u.unit, state, health, url: u.health?.url, ok: state === "active" && (!u.health || health === "200") };
    }),
  );
}

export function healthTable(rows: readonly HealthRow[]): string {
  const head = ["service", "unit", "state", "health", "endpoint"];
  const body = rows.map((r) => [r.service, r.unit, r.state, r.health, r.url ?? "-"]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cols) => cols.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
