/**
 * npm run bench:fleet [-- --hosts 1,2,3] [--light]
 *
 * The cost of a fleet as it grows: for each host count, a sandbox stack of
 * that many fresh sandbox hosts (`quantlab:hosts`, every service, one wave:
 * canary 0) converged by the operator command: fresh `up`, no-op `up`,
 * `drift`, the state's size and the operator command's peak memory during
 * the fresh up. The hosts are booted before the clock starts (by the
 * untimed `quantlab secret` that stores the stack's tokens). Beside it, the
 * machine's own scaling: the lower bound (bench/lowerbound.mjs, one script
 * per host) on as many fresh hosts at once, fresh and no-op, so the
 * package's growth reads against what N hosts cost this machine at all (the
 * hosts share its cores with each other and with the operator). Prints a
 * table and writes it to the "## Fleet" section of bench/results.md.
 * `--light`: lighter hosts, to go past what the machine's cores carry with
 * every service (two services each, replayd and collector, which nothing
 * else calls); written to "## Fleet, light hosts".
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { createRequire } from "module";
import { ROOT, timed } from "./host.mjs";
import { lowerBound } from "./peer.mjs";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const argv = process.argv.slice(2);
const hostsArg = argv.indexOf("--hosts");
const COUNTS = (hostsArg >= 0 ? argv[hostsArg + 1] : "1,2,3").split(",").map(Number);
const log = (s) => process.stderr.write(`[bench:fleet ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const CLI = path.join(ROOT, "bin", "quantlab.js");
const LIGHT = argv.includes("--light");
const KEPT = ["replayd", "collector"];
const build = spawnSync(process.execPath, [CLI], { cwd: ROOT, encoding: "utf8" });
if (build.status !== 64) throw new Error(`building dist/ failed:\n${build.stdout}${build.stderr}`);
/** A host's service overrides: none, or (light) every service but KEPT off. */
const SERVICES = LIGHT
  ? Object.fromEntries(
      require(path.join(ROOT, "dist", "model", "catalog.js"))
        .SERVICE_NAMES.filter((n) => !KEPT.includes(n))
        .map((n) => [n, { enabled: false }]),
    )
  : {};

async function quantlab(args, opts = {}) {
  const env = { ...process.env };
  delete env.PULUMI_BACKEND_URL;
  return timed(process.execPath, [CLI, ...args], { env, ...opts });
}

/** The lower bound on n fresh hosts at once: wall seconds of the fresh and the no-op converge of them all. */
async function lowerBoundFleet(n) {
  const { Sandbox } = require(path.join(ROOT, "dist", "cli", "sandbox.js"));
  const dir = path.join(ROOT, ".sandbox", `bench-fleet-lb-${n}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const sandboxes = [];
  try {
    for (let i = 1; i <= n; i++) sandboxes.push(await Sandbox.up(path.join(dir, `h${i}`)));
    const converges = sandboxes.map((s) => lowerBound(s.stateDir, s.host, SERVICES));
    const all = async (phase) => {
      const t0 = process.hrtime.bigint();
      const rs = await Promise.all(converges.map((c) => c(phase)));
      const bad = rs.find((r) => r.code !== 0);
      if (bad) throw new Error(`lower bound ${phase} (${n} hosts) exited ${bad.code}:\n${bad.stderr.slice(-2000)}`);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      log(`${n} hosts: lower bound ${phase} ${seconds.toFixed(2)} s`);
      return seconds;
    };
    return { fresh: await all("fresh"), noop: await all("no-op") };
  } finally {
    for (const s of sandboxes) await s.down().catch((e) => log(`teardown ${s.stateDir}: ${e.message}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function oneFleet(n) {
  const stack = `bench-fleet-${n}-${process.pid}`;
  const dir = path.join(ROOT, ".sandbox", stack);
  fs.rmSync(dir, { recursive: true, force: true });
  const base = path.join(ROOT, ".sandbox", `${stack}.yaml`);
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.sandbox.yaml"), "utf8"));
  delete doc.config["quantlab:host"];
  doc.config["quantlab:hosts"] = Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, ...(LIGHT ? { services: SERVICES } : {}) }));
  doc.config["quantlab:rollout"] = { canary: 0 };
  fs.writeFileSync(base, YAML.stringify(doc));
  const common = ["--stack", stack, "--sandbox", "--config-file", base];
  try {
    const secret = await quantlab(["secret", ...common, "--key", "tokens.replayd"], { input: crypto.randomBytes(24).toString("hex") });
    if (secret.code !== 0) throw new Error(`quantlab secret exited ${secret.code}:\n${secret.stderr}`);
    const must = async (what, r) => {
      const out = await r;
      if (out.code !== 0 && !(what === "drift" && out.code === 2))
        throw new Error(`${what} (${n} hosts) exited ${out.code}:\n${out.stdout.slice(-2000)}\n${out.stderr.slice(-2000)}`);
      log(`${n} hosts: ${what} ${out.seconds.toFixed(2)} s`);
      return out;
    };
    const fresh = await must("fresh up", quantlab(["up", ...common], { memory: true }));
    const noop = await must("no-op up", quantlab(["up", ...common]));
    if (!/Resources:\n\s+\d+ unchanged\n/.test(noop.stdout)) throw new Error(`no-op up (${n} hosts) changed something:\n${noop.stdout}`);
    const drift = await must("drift", quantlab(["drift", ...common]));
    const file = path.join(dir, "state", ".pulumi", "stacks", "quantlab-infra", `${stack}.json`);
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    return {
      n,
      fresh: fresh.seconds,
      noop: noop.seconds,
      drift: drift.seconds,
      driftCode: drift.code,
      bytes: fs.statSync(file).size,
      resources: state.checkpoint.latest.resources.length,
      peak: (fresh.peaks.cli ?? 0) / 1024,
    };
  } finally {
    for (let i = 1; i <= n; i++) {
      const host = path.join(dir, `h${i}`);
      if (fs.existsSync(host)) spawnSync("bash", [path.join(ROOT, "scripts", "sandbox.sh"), "down", host], { stdio: "ignore" });
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(base, { force: true });
  }
}

const rows = [];
for (const n of COUNTS) rows.push({ ...(await oneFleet(n)), lb: await lowerBoundFleet(n) }); // one set of hosts at a time
const one = rows.find((r) => r.n === 1);
const x = (v, w) => (w ? ` (${(v / w).toFixed(2)}x)` : "");
const lines = [
  "| hosts | fresh up s (x 1 host) | lower bound fresh s (x 1 host) | no-op up s (x 1 host) | lower bound no-op s (x 1 host) | drift s | state KB (per host) | resources | peak RSS operator MB |",
  "|-------|-----------------------|--------------------------------|-----------------------|--------------------------------|---------|---------------------|-----------|----------------------|",
  ...rows.map(
    (r) =>
      `| ${r.n} | ${r.fresh.toFixed(2)}${x(r.fresh, one?.fresh)} | ${r.lb.fresh.toFixed(2)}${x(r.lb.fresh, one?.lb.fresh)} | ${r.noop.toFixed(2)}${x(r.noop, one?.noop)} | ${r.lb.noop.toFixed(2)}${x(r.lb.noop, one?.lb.noop)} | ${r.drift.toFixed(2)} (exit ${r.driftCode}) | ${(r.bytes / 1024).toFixed(0)} (${(r.bytes / 1024 / r.n).toFixed(0)}) | ${r.resources} | ${r.peak.toFixed(0)} |`,
  ),
];
const title = LIGHT ? "## Fleet, light hosts" : "## Fleet";
const section = [
  title,
  "",
  `npm run bench:fleet -- --hosts ${COUNTS.join(",")}${LIGHT ? " --light" : ""} (${new Date().toISOString()}): one stack of N sandbox hosts, ${LIGHT ? `light (${KEPT.join(" and ")} only, every other service off)` : "every service"}, one wave (canary 0);`,
  "the hosts booted before the clock starts. The lower bound: its one script per host on as many fresh hosts at once (the machine's own scaling).",
  "Goals: 3 hosts fresh within 1.6x one host, no-op within 1.5x, state under 150 KB per host.",
  "",
  ...lines,
  "",
].join("\n");
console.log(section);
// The section replaces its own earlier run, or goes in before the notes.
const results = path.join(ROOT, "bench", "results.md");
const text = fs.readFileSync(results, "utf8");
const at = text.indexOf(`\n${title}\n`);
const end = at >= 0 ? text.indexOf("\n## ", at + 1) : text.indexOf("\n## Notes\n");
const before = at >= 0 ? text.slice(0, at + 1) : end >= 0 ? text.slice(0, end + 1) : `${text}\n`;
const after = end >= 0 ? text.slice(end + 1) : "";
fs.writeFileSync(results, `${before}${section}\n${after}`);
log(`wrote bench/results.md (${title})`);
