/** `quantlab runs`: the runs API (the service with the runs-api capability) as a table (the runbook's "View Active Runs"), asked on the host with its token. */
import { has } from "../../model/catalog";
import { runsScript } from "../../host/ops/runs";
import { bearer } from "../../host/units";
import { usageError, type Command, type Invocation } from "../args";
import { stackContext } from "../context";
import { print, table } from "../table";

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

export function runsText(runs: readonly Run[], host?: string): string {
  const head = host ? `${host}: ` : "";
  if (runs.length === 0) return `${head}no runs`;
  return `${head ? `${head}\n` : ""}${table(
    ["run", "status", "strategy", "updated"],
    runs.map((r) => [r.id, r.status, r.strategy ?? "-", r.updated ?? "-"]),
  )}\n\n${runs.length} run${runs.length === 1 ? "" : "s"}`;
}

export const runs: Command = {
  name: "runs",
  summary: "the active runs, from the runs API on each host",
  synopsis: "",
  json: true,
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    const results = await Promise.all(
      ctx.targets.map(async (t) => {
        const svc = t.host.model.services.find((s) => has(s.def, "runs-api"));
        const unit = t.plan.units.find((u) => u.service === svc?.def.name);
        if (!svc || !unit?.port)
          throw usageError(
            `runs: no enabled service serves the runs on ${t.label} (observer-api: quantlab:services.observer-api.enabled)`,
            inv.commands,
          );
        const token = svc.def.token ? ctx.tokens[svc.def.token] : undefined;
        const r = await t.session.run(runsScript(unit.port, token !== undefined), { stdin: bearer(token) });
        const parsed = parseRuns(r.stdout);
        if (parsed.code !== "200")
          throw new Error(
            `runs: ${unit.unit} on ${t.label} answered ${parsed.code === "000" ? "nothing" : `HTTP ${parsed.code}`} at http://127.0.0.1:${unit.port}/api/runs`,
          );
        return { host: t.name, ...parsed };
      }),
    );
    if (inv.json) print(JSON.stringify(ctx.fleet ? Object.fromEntries(results.map((r) => [r.host, r.raw])) : results[0]!.raw, null, 2));
    else print(results.map((r) => runsText(r.runs, ctx.fleet ? r.host : undefined)).join("\n\n"));
    return 0;
  },
};
