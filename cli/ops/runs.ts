/**
 * `quantlab runs`: the observer API's /api/runs as a table (the runbook's
 * "View Active Runs"), asked on the host's loopback with the observer token.
 */
import { OpsUsageError } from "./args";
import { bearer } from "../../provider/scripts";
import { table } from "./table";
import type { Target } from "./target";

/** Prints the body, then the HTTP status on a last line of its own. */
export function runsScript(port: number, withToken: boolean): string {
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`invalid port ${port}`);
  return `curl -s --max-time 10 -w '\\n%{http_code}' ${withToken ? "-H @- " : ""}http://127.0.0.1:${port}/api/runs`;
}

export interface Run {
  readonly id: string;
  readonly status: string;
  readonly strategy?: string;
  readonly updated?: string;
}

/** The response: `{runs: [...]}` or a bare list; each run's id, status, strategy, last update, whatever the field names. */
export function parseRuns(out: string): { code: string; runs: Run[]; raw: unknown } {
  const cut = out.lastIndexOf("\n");
  const code = out.slice(cut + 1).trim();
  const body = out.slice(0, cut);
  if (code !== "200") return { code, runs: [], raw: body };
  const raw = JSON.parse(body) as unknown;
  const list = (Array.isArray(raw) ? raw : ((raw as { runs?: unknown[] }).runs ?? [])) as Record<string, unknown>[];
  const str = (r: Record<string, unknown>, ...keys: string[]) => keys.map((k) => r[k]).find((v) => v !== undefined && v !== null);
  const runs = list.map((r) => {
    const strategy = str(r, "strategy", "strategy_id");
    const updated = str(r, "updated", "updated_at", "mtime", "started_at");
    return {
      id: String(str(r, "id", "run_id") ?? "?"),
      status: String(str(r, "status", "state") ?? "?"),
      ...(strategy !== undefined ? { strategy: String(strategy) } : {}),
      ...(updated !== undefined ? { updated: String(updated) } : {}),
    };
  });
  return { code, runs, raw };
}

export function runsText(runs: readonly Run[]): string {
  if (runs.length === 0) return "no runs";
  return `${table(["run", "status", "strategy", "updated"], runs.map((r) => [r.id, r.status, r.strategy ?? "-", r.updated ?? "-"]))}\n\n${runs.length} run${runs.length === 1 ? "" : "s"}`;
}

export async function runsCommand(t: Target, json: boolean, print: (s: string) => void): Promise<number> {
  const api = t.plan.units.find((u) => u.service === "observer-api");
  if (!api?.port) throw new OpsUsageError("runs: observer-api is not enabled in this stack (quantlab:services.observer-api.enabled)");
  const token = t.tokens.observer;
  const r = await t.host.exec(runsScript(api.port, token !== undefined), bearer(token));
  const { code, runs, raw } = parseRuns(r.stdout);
  if (code !== "200") throw new Error(`runs: ${api.unit} answered ${code === "000" ? "nothing" : `HTTP ${code}`} at http://127.0.0.1:${api.port}/api/runs`);
  print(json ? JSON.stringify(raw, null, 2) : runsText(runs));
  return 0;
}
