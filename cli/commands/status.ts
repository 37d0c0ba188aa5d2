/**
 * `quantlab status` (also `health`): one table of every enabled service of
 * every host: unit state and since when, main PID, memory, whether its port
 * listens, health with its token (the runbook's "Quick Health Check Script"
 * done properly). Exit 1, naming what is down, when anything is.
 */
import type { PlannedUnit } from "../../hostfiles/plan";
import { statusScript } from "../../host/ops/status";
import { bearer } from "../../host/units";
import type { Command, Invocation } from "../args";
import { probeToken, stackContext, type StackContext, type Target } from "../context";
import { age, bytes, isoSeconds, print, table } from "../table";

export interface StatusRow {
  /** The host, in a fleet. */
  readonly host?: string;
  readonly service: string;
  readonly unit: string;
  /** systemd ActiveState (active, inactive, failed, activating, ...). */
  readonly state: string;
  readonly subState: string;
  /** Epoch seconds of the last state change. */
  readonly since?: number;
  readonly pid?: number;
  readonly memoryBytes?: number;
  readonly port?: number;
  readonly listening?: boolean;
  readonly healthUrl?: string;
  /** HTTP status ("000": no answer). */
  readonly health?: string;
  /** What is wrong; empty when the service is up. */
  readonly problems: readonly string[];
}

const NOT_SET = /^(\[not set\]|18446744073709551615|)$/;

export function parseStatus(u: PlannedUnit, out: string, host?: string): StatusRow {
  const props: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && /^[A-Za-z]+$/.test(line.slice(0, eq))) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const word = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(out)?.[1];
  const since = /^@(\d+)$/.exec(props.StateChangeTimestamp ?? "")?.[1];
  const pid = Number(props.MainPID ?? 0);
  const rss = word("rss_kb");
  const memory = !NOT_SET.test(props.MemoryCurrent ?? "")
    ? Number(props.MemoryCurrent)
    : rss !== undefined && Number(rss) > 0
      ? Number(rss) * 1024
      : undefined;
  const listening = word("listening");
  const health = word("health");
  const state = props.LoadState === "not-found" ? "not-found" : (props.ActiveState ?? "unknown");
  const problems = [
    ...(state !== "active" ? [state] : []),
    ...(u.port !== undefined && listening !== "yes" ? [`port ${u.port} not listening`] : []),
    ...(u.health && health !== "200" ? [`health ${health ?? "?"}`] : []),
  ];
  return {
    ...(host ? { host } : {}),
    service: u.service,
    unit: u.unit,
    state,
    subState: props.SubState ?? "",
    ...(since ? { since: Number(since) } : {}),
    ...(pid > 0 ? { pid } : {}),
    ...(memory !== undefined ? { memoryBytes: memory } : {}),
    ...(u.port !== undefined ? { port: u.port, listening: listening === "yes" } : {}),
    ...(u.health ? { healthUrl: u.health.url, ...(health ? { health } : {}) } : {}),
    problems,
  };
}

/** The status table and its summary line; `now` in epoch seconds. */
export function statusText(rows: readonly StatusRow[], now: number): string {
  const fleet = rows.some((r) => r.host);
  const body = rows.map((r) => [
    ...(fleet ? [r.host!] : []),
    r.service,
    r.state === "active" ? r.state : r.state.toUpperCase(),
    r.since !== undefined ? `${isoSeconds(r.since)} (${age(now - r.since)})` : "-",
    r.pid !== undefined ? String(r.pid) : "-",
    r.memoryBytes !== undefined ? bytes(r.memoryBytes) : "-",
    r.port !== undefined ? `${r.port} ${r.listening ? "listening" : "CLOSED"}` : "-",
    r.health ?? (r.healthUrl ? "?" : "-"),
  ]);
  const down = rows.filter((r) => r.problems.length > 0);
  const name = (r: StatusRow) => (r.host ? `${r.host}/${r.service}` : r.service);
  const summary =
    down.length === 0
      ? `all ${rows.length} services up`
      : `DOWN (${down.length} of ${rows.length}): ${down.map((r) => `${name(r)} (${r.problems.join(", ")})`).join("; ")}`;
  return `${table([...(fleet ? ["host"] : []), "service", "state", "since", "pid", "memory", "port", "health"], body)}\n\n${summary}`;
}

/** Every unit of a host (or the ones given), live, each over its own channel of the host's connection. */
export async function hostStatus(ctx: StackContext, t: Target, units: readonly PlannedUnit[] = t.plan.units): Promise<StatusRow[]> {
  return Promise.all(
    units.map(async (u) => {
      const token = probeToken(ctx.tokens, u);
      const script = statusScript(u.unit, u.port, u.health ? { url: u.health.url, withToken: token !== undefined } : undefined);
      return parseStatus(u, (await t.session.run(script, { stdin: bearer(token) })).stdout, ctx.fleet ? t.name : undefined);
    }),
  );
}

export async function allStatus(ctx: StackContext): Promise<StatusRow[]> {
  return (await Promise.all(ctx.targets.map((t) => hostStatus(ctx, t)))).flat();
}

export const status: Command = {
  name: "status",
  aliases: ["health"],
  summary: "every enabled service: state, since, PID, memory, port, health; exit 1 when any is down",
  synopsis: "",
  json: true,
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    const rows = await allStatus(ctx);
    const ok = rows.every((r) => r.problems.length === 0);
    print(inv.json ? JSON.stringify({ ok, services: rows }, null, 2) : statusText(rows, Math.floor(Date.now() / 1000)));
    return ok ? 0 : 1;
  },
};
