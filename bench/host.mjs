/**
 * What the bench reads off a sandbox host and off this machine, without
 * opening an SSH connection itself (probes enter the container with
 * `scripts/sandbox.sh exec`, so sshd's "Accepted" count is the converge's own).
 */
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { fileURLToPath } from "url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SANDBOX = path.join(ROOT, "scripts", "sandbox.sh");

export function sh(stateDir, script) {
  const r = spawnSync("bash", [SANDBOX, "exec", stateDir, "sh", "-c", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`probe on ${stateDir} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Units' ActiveState and ActiveEnterTimestampMonotonic, and sshd's accepted logins this boot. */
export function probe(stateDir, units) {
  const out = sh(
    stateDir,
    `systemctl show -p Id,ActiveState,ActiveEnterTimestampMonotonic ${units.join(" ")}; echo; echo "accepted=$(journalctl -b -u ssh --no-pager -o cat | grep -c '^Accepted ' || true)"`,
  );
  const states = {};
  for (const block of out.trim().split(/\n\s*\n/)) {
    const kv = Object.fromEntries(block.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    if (kv.Id) states[kv.Id] = { active: kv.ActiveState === "active", entered: kv.ActiveEnterTimestampMonotonic };
  }
  return { states, accepted: Number(/accepted=(\d+)/.exec(out)?.[1] ?? Number.NaN) };
}

/** Services whose ActiveEnterTimestampMonotonic moved between two probes (a first start counts). */
export const restarted = (before, after) =>
  Object.keys(after.states)
    .filter((u) => after.states[u].entered !== before.states[u]?.entered)
    .sort();

/** Runs a command; resolves with wall seconds, output, and (when `memory`) the peak RSS of its process tree by role. */
export function timed(cmd, args, { env, input, memory = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: ROOT, env: env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const peaks = {};
    const poll = memory ? setInterval(() => samplePeaks(child.pid, peaks), 50) : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      if (poll) clearInterval(poll);
      resolve({ code, seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout, stderr, peaks });
    });
    child.stdin.end(input ?? "");
  });
}

function procTree(rootPid) {
  const children = new Map();
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(e));
    } catch {}
  }
  const out = [];
  const walk = (p) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(rootPid);
  return out;
}

/** VmHWM (peak RSS) per role: the operator command, the pulumi engine, the dynamic provider. */
function samplePeaks(rootPid, peaks) {
  for (const pid of procTree(rootPid)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const role =
        pid === rootPid
          ? "cli"
          : cmdline.some((a) => a.includes("dynamic-provider"))
            ? "provider"
            : /(^|\/)pulumi$/.test(cmdline[0] ?? "")
              ? "engine"
              : undefined;
      if (role) peaks[role] = Math.max(peaks[role] ?? 0, kb);
    } catch {}
  }
}
