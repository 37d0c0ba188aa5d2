/**
 * `quantlab status`: one table of every enabled service (unit state and
 * since when, main PID, memory, whether its port listens, health with its
 * token), the runbook's "Quick Health Check Script" done properly. Exit 1
 * when anything is down.
 */
import type { HostPlan, PlannedUnit } from "../../hostfiles/plan";
import { bearer, checkUnit, curlStatus, type HealthProbe } from "../../provider/scripts";
import { age, bytes, isoSeconds, table } from "./table";
import { probeToken, type Target } from "./target";

/**
 * Prints the unit's properties (timestamps as @epoch), `memory <bytes>` summed
 * over the processes of its cgroup (the fallback where cgroup memory
 * accounting is off), `listening yes|no` for its port (lsof, one of the
 * runbook's tools the package installs), `health <code>`.
 */
export function statusScript(unit: string, port: number | undefined, probe: HealthProbe | undefined): string {
  checkUnit(unit);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`invalid port ${port}`);
  return [
    `systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,StateChangeTimestamp,MainPID,MemoryCurrent ${unit}`,
    `cg=$(systemctl show -p ControlGroup --value ${unit})`,
    // cgroup v2, or the unified / systemd hierarchy of a hybrid (v1) host.
    `procs=; for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do if [ -n "$cg" ] && [ -r "$d$cg/cgroup.procs" ]; then procs="$d$cg/cgroup.procs"; break; fi; done`,
    `if [ -n "$procs" ]; then echo "rss_kb $(for p in $(cat "$procs"); do awk '/^VmRSS:/ {print $2}' /proc/$p/status 2>/dev/null; done | awk '{s += $1} END {print s + 0}')"; fi`,
    ...(port !== undefined ? [`if [ -n "$(lsof -nP -t -iTCP:${port} -sTCP:LISTEN)" ]; then echo "listening yes"; else echo "listening no"; fi`] : []),
    ...(probe ? [`echo "health $(${curlStatus(probe)})"`] : []),
  ].join("\n");
}

export interface StatusRow {
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

export function parseStatus(u: PlannedUnit, out: string): StatusRow {
  const props: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && /^[A-Za-z]+$/.test(line.slice(0, eq))) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const word = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(out)?.[1];
  const since = /^@(\d+)$/.exec(props.StateChangeTimestamp ?? "")?.[1];
  const pid = Number(props.MainPID ?? 0);
  const rss = word("rss_kb");
  const memory = !NOT_SET.test(props.MemoryCurrent ?? "") ? Number(props.MemoryCurrent) : rss !== undefined && Number(rss) > 0 ? Number(rss) * 1024 : undefined;
  const listening = word("listening");
  const health = word("health");
  const state = props.LoadState === "not-found" ? "not-found" : (props.ActiveState ?? "unknown");
  const problems = [
    ...(state !== "active" ? [state] : []),
    ...(u.port !== undefined && listening !== "yes" ? [`port ${u.port} not listening`] : []),
    ...(u.health && health !== "200" ? [`health ${health ?? "?"}`] : []),
  ];
  return {
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
  const body = rows.map((r) => [
    r.service,
    r.state === "active" ? r.state : r.state.toUpperCase(),
    r.since !== undefined ? `${isoSeconds(r.since)} (${age(now - r.since)})` : "-",
    r.pid !== undefined ? String(r.pid) : "-",
    r.memoryBytes !== undefined ? bytes(r.memoryBytes) : "-",
    r.port !== undefined ? `${r.port} ${r.listening ? "listening" : "CLOSED"}` : "-",
    r.health ?? (r.healthUrl ? "?" : "-"),
  ]);
  const down = rows.filter((r) => r.problems.length > 0);
  const summary =
    down.length === 0
      ? `all ${rows.length} services up`
      : `DOWN (${down.length} of ${rows.length}): ${down.map((r) => `${r.service} (${r.problems.join(", ")})`).join("; ")}`;
  return `${table(["service", "state", "since", "pid", "memory", "port", "health"], body)}\n\n${summary}`;
}

export async function collectStatus(t: Target, units: HostPlan["units"] = t.plan.units): Promise<StatusRow[]> {
  return Promise.all(
    units.map(async (u) => {
      const token = probeToken(t, u);
      const script = statusScript(u.unit, u.port, u.health ? { url: u.health.url, withToken: token !== undefined } : undefined);
      const r = await t.host.exec(script, bearer(token));
      return parseStatus(u, r.stdout);
    }),
  );
}

export async function statusCommand(t: Target, json: boolean, print: (s: string) => void): Promise<number> {
  const rows = await collectStatus(t);
  const ok = rows.every((r) => r.problems.length === 0);
  print(json ? JSON.stringify({ ok, services: rows }, null, 2) : statusText(rows, Math.floor(Date.now() / 1000)));
  return ok ? 0 : 1;
}
