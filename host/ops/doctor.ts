/**
 * The runbook's "Troubleshooting" recipes for one service, run on the host
 * (cli/ops/doctor.ts judges what they print): unit state, recent journal
 * errors, who holds its port, its env files' keys (names only: values never
 * leave the host), health; for the collector its spool and /metrics; for
 * the S3 users whether each of their buckets answers to the keys in their own
 * env file (host/s3.ts). Files in the runtime user's
 * tree (the dotenv, the spool) are looked at as that user.
 */
import { bucketCheckScript, type BucketAsk } from "../s3";
import { curlStatus, type HealthProbe } from "../units";
import { asUser, lines, root, ROOT_WHO, type Script } from "../script";
import { int, path, unit as unitValue, user, word } from "../values";

export const ERROR_LINES = 8;
export const MARK = "::doctor::";

export interface DoctorSpec {
  readonly unit: string;
  readonly port?: number;
  readonly probe?: HealthProbe;
  /** Env files the service reads (its own, and the dotenv). */
  readonly envFiles: readonly string[];
  /** The collector's spool directory. */
  readonly spoolDir?: string;
  /** For services that use S3: their buckets, asked with the keys of their own env file. */
  readonly s3?: { readonly ask: BucketAsk; readonly envFile: string };
  /** The runtime user, who reads the files of its own tree. */
  readonly runtimeUser: string;
}

/** One script per service; each finding's raw data under a `::doctor:: <section>` line. */
export function doctorScript(s: DoctorSpec): Script {
  const u = unitValue(s.unit);
  const as = asUser(user(s.runtimeUser));
  const out: Script[] = [
    ...(s.probe?.withToken ? [root`hdr=$(cat)`] : []),
    sectionOf("state"),
    root`systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,Result,NRestarts,StateChangeTimestamp ${u}`,
    sectionOf("errors"),
    root`journalctl --no-pager -o short-iso --since -24h -n 500 -u ${u} | grep -iE 'error|fail|refused|denied|exception|traceback|eaddrinuse|killed|cannot|missing' | tail -n ${int(ERROR_LINES, 1, 100)}`,
  ];
  if (s.port !== undefined) {
    const port = int(s.port, 1, 65535);
    out.push(
      sectionOf("port"),
      // The runbook's `lsof -i :PORT`, with the holder's cgroup (= its unit).
      root`lsof -nP -t -iTCP:${port} -sTCP:LISTEN | sort -u | while read -r pid; do echo "holder $pid $(cat /proc/$pid/comm 2>/dev/null) $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)"; done`,
    );
  }
  for (const f of s.envFiles) {
    const file = path(f);
    const who = file.tree === "root" ? root : as;
    // The section line names the file as text: it reads nothing, so root may print a runtime user's path.
    out.push(
      root`printf '::doctor:: env %s\n' ${word(file.raw)}`,
      root`${who`if [ -f ${file} ]; then echo present; sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/key \1/p' ${file}; else echo absent; fi`}`,
    );
  }
  if (s.probe)
    out.push(
      sectionOf("health"),
      s.probe.withToken ? root`printf '%s\n' "$hdr" | ${curlStatus(s.probe)}; echo` : root`${curlStatus(s.probe)}; echo`,
    );
  if (s.spoolDir) {
    const d = path(s.spoolDir);
    out.push(
      sectionOf("spool"),
      root`${as`if [ -d ${d} ]; then stat -c 'owner %U %G %a' ${d}; df -Pk ${d} | awk 'NR == 2 {print "free_kb", $4}'; echo "newest $(find ${d} -maxdepth 1 -type f -printf '%T@ %f\n' | sort -n | tail -n 1)"; echo "now $(date +%s)"; else echo absent; fi`}`,
    );
    if (s.port !== undefined)
      out.push(sectionOf("metrics"), root`curl -s --max-time 5 http://127.0.0.1:${int(s.port, 1, 65535)}/metrics | head -c 65536; echo`);
  }
  if (s.s3) out.push(sectionOf("s3"), bucketCheckScript(s.s3.ask, { from: "env-file", path: s.s3.envFile }));
  return lines(ROOT_WHO, out);
}

const SECTIONS = {
  state: root`echo '::doctor:: state'`,
  errors: root`echo '::doctor:: errors'`,
  port: root`echo '::doctor:: port'`,
  health: root`echo '::doctor:: health'`,
  spool: root`echo '::doctor:: spool'`,
  metrics: root`echo '::doctor:: metrics'`,
  s3: root`echo '::doctor:: s3'`,
} as const;
const sectionOf = (name: string): Script => SECTIONS[name as keyof typeof SECTIONS];

export function parseSections(out: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith(`${MARK} `)) sections.set(line.slice(MARK.length + 1), (current = []));
    else if (current && line !== "") current.push(line);
  }
  return sections;
}
