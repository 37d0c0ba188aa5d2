/**
 * `quantlab doctor [SERVICE]`: the runbook's "Troubleshooting" recipes, run
 * on the host and judged: unit state, recent journal errors, who holds the
 * port, env files present with the expected keys (key names only: values
 * never leave the host), health; for the collector its spool directory
 * (exists, owner, free space, newest file) and the /metrics queue size; for
 * the services that use S3, whether the endpoint answers. Ends with a
 * verdict per service and what to do next; exit 1 when a service fails.
 */
import type { PlannedUnit } from "../../hostfiles/plan";
import { TMPFILES_PATH } from "../../model/paths";
import { checkPath, checkUnit, type HealthProbe } from "../../provider/scripts";
import { bearer, curlStatus } from "../../provider/scripts";
import { age, bytes, table } from "./table";
import { pickUnits, probeToken, type Target } from "./target";

/** Journal lines that name a problem. */
const ERROR_PATTERN = "error|fail|refused|denied|exception|traceback|eaddrinuse|killed|cannot|missing";
export const ERROR_LINES = 8;
/** Less free space than this on the spool's filesystem is a warning. */
export const SPOOL_MIN_FREE_BYTES = 1024 ** 3;
const S3_URL = /^https?:\/\/[A-Za-z0-9._~:@/+-]+$/;
const MARK = "::doctor::";

export interface DoctorSpec {
  readonly unit: string;
  readonly port?: number;
  readonly probe?: HealthProbe;
  /** Env files the service reads (its own, and the dotenv). */
  readonly envFiles: readonly string[];
  /** The collector's spool directory. */
  readonly spoolDir?: string;
  /** The S3 endpoint, for services that use it. */
  readonly s3Endpoint?: string;
}

/** One script per service; each finding's raw data under a `::doctor:: <section>` line. */
export function doctorScript(s: DoctorSpec): string {
  checkUnit(s.unit);
  s.envFiles.forEach(checkPath);
  if (s.spoolDir) checkPath(s.spoolDir);
  if (s.s3Endpoint !== undefined && !S3_URL.test(s.s3Endpoint)) throw new Error(`invalid S3 endpoint ${JSON.stringify(s.s3Endpoint)}`);
  const section = (name: string) => `echo '${MARK} ${name}'`;
  const lines = [
    ...(s.probe?.withToken ? ["hdr=$(cat)"] : []),
    section("state"),
    `systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,Result,NRestarts,StateChangeTimestamp ${s.unit}`,
    section("errors"),
    `journalctl --no-pager -o short-iso --since -24h -n 500 -u ${s.unit} | grep -iE '${ERROR_PATTERN}' | tail -n ${ERROR_LINES}`,
  ];
  if (s.port !== undefined) {
    lines.push(
      section("port"),
      // The runbook's `lsof -i :PORT`, with the holder's cgroup (= its unit).
      `lsof -nP -t -iTCP:${s.port} -sTCP:LISTEN | sort -u | while read -r pid; do echo "holder $pid $(cat /proc/$pid/comm 2>/dev/null) $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)"; done`,
    );
  }
  for (const f of s.envFiles) {
    lines.push(section(`env ${f}`), `if [ -f ${f} ]; then echo present; sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/key \\1/p' ${f}; else echo absent; fi`);
  }
  if (s.probe) lines.push(section("health"), `${s.probe.withToken ? `printf '%s\\n' "$hdr" | ` : ""}${curlStatus(s.probe)}; echo`);
  if (s.spoolDir) {
    const d = s.spoolDir;
    lines.push(
      section("spool"),
      `if [ -d ${d} ]; then stat -c 'owner %U %G %a' ${d}; df -Pk ${d} | awk 'NR == 2 {print "free_kb", $4}'; echo "newest $(find ${d} -maxdepth 1 -type f -printf '%T@ %f\\n' | sort -n | tail -n 1)"; echo "now $(date +%s)"; else echo absent; fi`,
    );
    if (s.port !== undefined) lines.push(section("metrics"), `curl -s --max-time 5 http://127.0.0.1:${s.port}/metrics | head -c 65536; echo`);
  }
  if (s.s3Endpoint !== undefined) lines.push(section("s3"), `curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${s.s3Endpoint}; echo`);
  return lines.join("\n");
}

export function parseSections(out: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith(`${MARK} `)) sections.set(line.slice(MARK.length + 1), (current = []));
    else if (current && line !== "") current.push(line);
  }
  return sections;
}

export type Level = "ok" | "warn" | "fail";

export interface Finding {
  readonly level: Level;
  readonly text: string;
  /** What to do about it. */
  readonly next?: string;
}

export interface Diagnosis {
  readonly service: string;
  readonly unit: string;
  readonly verdict: Level;
  readonly findings: readonly Finding[];
}

export interface Expected {
  readonly service: string;
  readonly port?: number;
  readonly healthUrl?: string;
  /** env file path -> the keys it should hold. */
  readonly envKeys: Readonly<Record<string, readonly string[]>>;
  readonly runtimeUser: string;
  readonly runtimeGroup: string;
  readonly spoolDir?: string;
  readonly s3Endpoint?: string;
  /** Epoch seconds, for ages. */
  readonly now?: number;
}

const props = (lines: readonly string[] = []): Record<string, string> =>
  Object.fromEntries(lines.filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

/** The findings from a doctor script's output, judged against what the stack expects. */
export function diagnose(e: Expected, unit: string, out: string): Diagnosis {
  const s = parseSections(out);
  const f: Finding[] = [];
  const svc = e.service;
  const st = props(s.get("state"));
  if (st.LoadState === "not-found") f.push({ level: "fail", text: `${unit} is not installed`, next: `npx quantlab up (installs it)` });
  else if (st.ActiveState !== "active") {
    f.push({ level: "fail", text: `${unit} is ${st.ActiveState} (${st.SubState}, result ${st.Result})`, next: `npx quantlab logs ${svc} -n 50, fix the cause, then npx quantlab restart ${svc}` });
  } else f.push({ level: "ok", text: `${unit} active (${st.SubState}), ${st.NRestarts ?? "0"} automatic restarts` });

  const errors = s.get("errors") ?? [];
  if (errors.length > 0) {
    f.push({ level: "warn", text: `error lines in the last 24 h of the journal (last ${errors.length}):\n${errors.map((l) => `      ${l.length > 160 ? `${l.slice(0, 157)}...` : l}`).join("\n")}`, next: `npx quantlab logs ${svc} -n 100` });
  }

  if (e.port !== undefined) {
    const holders = (s.get("port") ?? []).map((l) => /^holder (\d+) (\S*) ?(\S*)$/.exec(l)).filter((m) => m !== null);
    const ours = holders.filter((m) => m[3]!.endsWith(`/${unit}`));
    const others = holders.filter((m) => !m[3]!.endsWith(`/${unit}`));
    if (others.length > 0) {
      const who = others.map((m) => `${m[2]} (pid ${m[1]}, ${m[3] || "no cgroup"})`).join(", ");
      f.push({ level: "fail", text: `port ${e.port} is held by ${who}, not by ${unit}`, next: `stop that process (it keeps ${svc} from listening), then npx quantlab restart ${svc}` });
    } else if (ours.length > 0) f.push({ level: "ok", text: `port ${e.port} held by ${ours.map((m) => `${m[2]} (pid ${m[1]})`).join(", ")} of ${unit}` });
    else f.push({ level: "fail", text: `nothing listens on port ${e.port}`, next: `npx quantlab logs ${svc} -n 50` });
  }

  for (const [path, want] of Object.entries(e.envKeys)) {
    const lines = s.get(`env ${path}`) ?? [];
    if (lines[0] !== "present") {
      f.push({ level: "fail", text: `env file ${path} is missing`, next: "npx quantlab up (writes it again)" });
      continue;
    }
    const have = lines.slice(1).map((l) => l.slice(4));
    const missing = want.filter((k) => !have.includes(k));
    const extra = have.filter((k) => !want.includes(k));
    if (missing.length > 0) f.push({ level: "fail", text: `env file ${path} lacks ${missing.join(", ")}`, next: "npx quantlab up (writes it again)" });
    else f.push({ level: "ok", text: `env file ${path} present with ${have.length} keys: ${have.join(", ")}` });
    if (extra.length > 0) f.push({ level: "warn", text: `env file ${path} has keys the stack does not set: ${extra.join(", ")}`, next: "npx quantlab drift (hand edits show there); npx quantlab up restores the file" });
  }

  if (e.healthUrl) {
    const code = s.get("health")?.[0] ?? "?";
    if (code === "200") f.push({ level: "ok", text: `health ${e.healthUrl} answers 200` });
    else f.push({ level: "fail", text: `health ${e.healthUrl} answered ${code === "000" ? "nothing" : code}`, next: `npx quantlab logs ${svc} -n 50` });
  }

  if (e.spoolDir) {
    const sp = s.get("spool") ?? ["absent"];
    const tmpfiles = `systemd-tmpfiles --create ${TMPFILES_PATH} on the host, then npx quantlab restart ${svc}`;
    if (sp[0] === "absent") f.push({ level: "fail", text: `spool directory ${e.spoolDir} does not exist`, next: tmpfiles });
    else {
      const owner = /^owner (\S+) (\S+) (\d+)$/.exec(sp.find((l) => l.startsWith("owner ")) ?? "");
      const free = Number(/^free_kb (\d+)$/.exec(sp.find((l) => l.startsWith("free_kb ")) ?? "")?.[1] ?? NaN) * 1024;
      const newest = /^newest (\d+)(?:\.\d+)? (.+)$/.exec(sp.find((l) => l.startsWith("newest ")) ?? "");
      const now = Number(/^now (\d+)$/.exec(sp.find((l) => l.startsWith("now ")) ?? "")?.[1] ?? e.now ?? 0);
      if (owner && (owner[1] !== e.runtimeUser || owner[2] !== e.runtimeGroup)) {
        f.push({ level: "fail", text: `spool directory ${e.spoolDir} is owned by ${owner[1]}:${owner[2]}, not ${e.runtimeUser}:${e.runtimeGroup}`, next: tmpfiles });
      } else f.push({ level: "ok", text: `spool directory ${e.spoolDir} exists, ${owner ? `${owner[1]}:${owner[2]} ${owner[3]}` : "owner unknown"}` });
      if (!Number.isNaN(free)) f.push(free < SPOOL_MIN_FREE_BYTES ? { level: "warn", text: `only ${bytes(free)} free for the spool`, next: "free space on the spool's filesystem" } : { level: "ok", text: `${bytes(free)} free for the spool` });
      if (newest) f.push({ level: "ok", text: `newest spool file ${newest[2]}, written ${age(now - Number(newest[1]))} ago` });
      else f.push({ level: "warn", text: "spool directory is empty: the collector has written nothing", next: `npx quantlab logs ${svc} -n 50` });
    }
    const metrics = (s.get("metrics") ?? []).join("\n").trim();
    let queue: unknown;
    try {
      queue = metrics ? (JSON.parse(metrics) as { queue_size?: unknown }).queue_size : undefined;
    } catch {
      queue = undefined;
    }
    if (typeof queue === "number") f.push({ level: "ok", text: `/metrics queue size ${queue}` });
    else f.push({ level: "warn", text: "/metrics gave no queue_size", next: `npx quantlab logs ${svc} -n 50` });
  }

  if (e.s3Endpoint) {
    const code = s.get("s3")?.[0] ?? "000";
    if (code === "000") f.push({ level: "warn", text: `S3 endpoint ${e.s3Endpoint} does not answer from the host`, next: "check quantlab:s3.endpoint and the host's network route to it" });
    else f.push({ level: "ok", text: `S3 endpoint ${e.s3Endpoint} answers (HTTP ${code})` });
  }

  const verdict: Level = f.some((x) => x.level === "fail") ? "fail" : f.some((x) => x.level === "warn") ? "warn" : "ok";
  return { service: svc, unit, verdict, findings: f };
}

const MARKS: Record<Level, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };

export function doctorText(ds: readonly Diagnosis[]): string {
  const detail = ds.map((d) =>
    [`${d.service} (${d.unit})`, ...d.findings.map((x) => `  ${MARKS[x.level]} ${x.text}${x.next ? `\n       next: ${x.next}` : ""}`)].join("\n"),
  );
  const firstNext = (d: Diagnosis) => d.findings.find((x) => x.level === d.verdict && x.next)?.next ?? "-";
  const verdicts = table(["service", "verdict", "next"], ds.map((d) => [d.service, d.verdict.toUpperCase(), d.verdict === "ok" ? "-" : firstNext(d)]));
  return `${detail.join("\n\n")}\n\n${verdicts}`;
}

/** Keys of a rendered env file (KEY='value' lines). */
export const envKeys = (content: string): string[] => [...content.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]!);

function expected(t: Target, u: PlannedUnit): { spec: DoctorSpec; want: Expected } {
  const files = t.plan.files.filter((f) => (f.kind === "env" || f.kind === "dotenv") && u.reads.includes(f.path));
  const keys = Object.fromEntries(files.map((f) => [f.path, envKeys(f.content)]));
  // The S3 users: services whose own env file carries the endpoint (the dotenv carries it for every reader).
  const usesS3 = files.some((f) => f.kind === "env" && keys[f.path]!.includes("S3_COMPACT_ENDPOINT"));
  const spoolDir = u.service === "collector" ? t.model.runtime.spoolDir : undefined;
  const token = probeToken(t, u);
  const endpoint = usesS3 && S3_URL.test(t.model.s3.endpoint) ? t.model.s3.endpoint : undefined;
  return {
    spec: {
      unit: u.unit,
      ...(u.port !== undefined ? { port: u.port } : {}),
      ...(u.health ? { probe: { url: u.health.url, withToken: token !== undefined } } : {}),
      envFiles: files.map((f) => f.path),
      ...(spoolDir ? { spoolDir } : {}),
      ...(endpoint ? { s3Endpoint: endpoint } : {}),
    },
    want: {
      service: u.service,
      ...(u.port !== undefined ? { port: u.port } : {}),
      ...(u.health ? { healthUrl: u.health.url } : {}),
      envKeys: keys,
      runtimeUser: t.model.runtime.user,
      runtimeGroup: t.model.runtime.group,
      ...(spoolDir ? { spoolDir } : {}),
      ...(endpoint ? { s3Endpoint: endpoint } : {}),
    },
  };
}

export async function doctorCommand(t: Target, names: readonly string[], json: boolean, print: (s: string) => void): Promise<number> {
  const units = pickUnits(t.plan, names, "doctor");
  const ds = await Promise.all(
    units.map(async (u) => {
      const { spec, want } = expected(t, u);
      const r = await t.host.exec(doctorScript(spec), bearer(probeToken(t, u)));
      return diagnose(want, u.unit, r.stdout);
    }),
  );
  print(json ? JSON.stringify({ ok: ds.every((d) => d.verdict !== "fail"), services: ds }, null, 2) : doctorText(ds));
  return ds.some((d) => d.verdict === "fail") ? 1 : 0;
}
