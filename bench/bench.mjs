/**
 * npm run bench [-- --runs N | --quick]
 *
 * Converges fresh sandbox hosts (scripts/sandbox.sh) three ways on the same
 * host plan (the sandbox stack, planHost): the lower bound (one SSH session,
 * one script), Ansible (a playbook generated from the plan) and this package
 * (`node bin/quantlab.js up --sandbox`). Each run boots one fresh host per
 * tool and measures the fresh converge, a no-op converge and a one-change
 * converge (quantlab:env.executionStreamFills flipped): wall time, services
 * (re)started, SSH connections sshd accepted. Prints one table (median and
 * min-max of the runs, ratio to the lower bound), plus program evaluation
 * time under mocks and the operator command's peak memory during a fresh up,
 * and writes them to bench/results.md.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { createRequire } from "module";
import { ROOT, probe, restarted, sh, timed } from "./host.mjs";
import { writeAnsibleProject } from "./ansible.mjs";
import { baseDoc, lowerBound, peerPlan, randomTokens } from "./peer.mjs";

const require = createRequire(import.meta.url);
const YAML = require("yaml");

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const runsArg = argv.indexOf("--runs");
const RUNS = quick ? 1 : runsArg >= 0 ? Number(argv[runsArg + 1]) : 3;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: expected a positive integer, got ${argv[runsArg + 1]}`);
const onlyArg = argv.indexOf("--only");
const ONLY = onlyArg >= 0 ? argv[onlyArg + 1].split(",") : undefined;
const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// The operator command compiles dist/ when sources are newer; a bare call does that and exits with usage (64).
const build = spawnSync(process.execPath, [path.join(ROOT, "bin", "quantlab.js")], { cwd: ROOT, encoding: "utf8" });
if (build.status !== 64) throw new Error(`building dist/ failed:\n${build.stdout}${build.stderr}`);
const { Sandbox } = require(path.join(ROOT, "dist", "cli", "sandbox.js"));
const { TOKEN_NAMES } = require(path.join(ROOT, "dist", "model", "catalog.js"));

function ensureAnsible() {
  if (spawnSync("ansible-playbook", ["--version"]).status === 0) return;
  log("installing Debian's ansible-core (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-q"],
    ["install", "-y", "-q", "--no-install-recommends", "ansible-core"],
  ]) {
    const r = spawnSync("apt-get", args, { env, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed`);
  }
}

/** One tool on one fresh host: converge(phase) runs the phase's converge and returns the timed result. */
const TOOLS = {
  "lower bound": lowerBound,
  ansible: (dir, host) => {
    const tokens = randomTokens();
    return async (phase) => {
      const { plan, code } = peerPlan(host, tokens, phase === "one change", dir);
      const project = path.join(dir, "ansible");
      fs.rmSync(project, { recursive: true, force: true });
      const p = writeAnsibleProject(project, plan, code, { ...host, knownHosts: path.join(dir, "known_hosts") });
      const r = await timed("ansible-playbook", [p.playbook], { env: { ...process.env, ANSIBLE_CONFIG: p.cfg, ANSIBLE_NOCOLOR: "1" } });
      // Each converge is its own operator run: close the multiplexed connection it left behind.
      for (const s of fs.existsSync(p.controlDir) ? fs.readdirSync(p.controlDir) : []) {
        spawnSync("ssh", ["-O", "exit", "-o", `ControlPath=${path.join(p.controlDir, s)}`, "sandbox"], { stdio: "ignore" });
      }
      fs.rmSync(path.join(project, "files"), { recursive: true, force: true });
      return r;
    };
  },
  "this package": (dir) => {
    const stack = path.basename(dir);
    const base = path.join(dir, "base.yaml");
    fs.writeFileSync(base, YAML.stringify(baseDoc()));
    const env = { ...process.env };
    delete env.PULUMI_BACKEND_URL;
    // Untimed, as for any real stack: the operator stores the stack's secrets before the first up
    // (on a sandbox stack this one call also sets the other tokens and the SSH key).
    const secret = spawnSync(
      process.execPath,
      [path.join(ROOT, "bin", "quantlab.js"), "secret", "--stack", stack, "--sandbox", "--config-file", base, "--key", "tokens.replayd"],
      {
        cwd: ROOT,
        env,
        input: crypto.randomBytes(24).toString("hex"),
        encoding: "utf8",
      },
    );
    if (secret.status !== 0) throw new Error(`quantlab secret failed:\n${secret.stderr}`);
    return async (phase) => {
      if (phase === "one change") {
        const doc = YAML.parse(fs.readFileSync(base, "utf8"));
        doc.config["quantlab:env"] = { ...(doc.config["quantlab:env"] ?? {}), executionStreamFills: true };
        fs.writeFileSync(base, YAML.stringify(doc));
      }
      return timed(process.execPath, [path.join(ROOT, "bin", "quantlab.js"), "up", "--stack", stack, "--sandbox", "--config-file", base], {
        env,
        memory: phase === "fresh",
      });
    };
  },
};
const SHORT = { "lower bound": "lb", ansible: "ans", "this package": "pkg" };
const PHASES = ["fresh", "no-op", "one change"];

/** Resource changes the package reported ("Resources:" block), or undefined for the peers. */
function packageChanges(stdout) {
  const block = /Resources:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? "";
  return [...block.matchAll(/^\s*[+~-]+\s*(\d+) (created|updated|deleted|replaced)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** The package's stack state after a converge: bytes and resources of the checkpoint file. */
function stateSize(dir) {
  const file = path.join(dir, "state", ".pulumi", "stacks", "quantlab-infra", `${path.basename(dir)}.json`);
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  return { bytes: fs.statSync(file).size, resources: doc.checkpoint?.latest?.resources?.length ?? 0 };
}

/** The engine floor (bench/floor.mjs) on the package's resource shape: a first up (create), then the timed no-op. */
async function floorRun(shape, run) {
  const dir = path.join(ROOT, ".sandbox", `bench-floor-${process.pid}-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const shapeFile = path.join(dir, "shape.json");
  fs.writeFileSync(shapeFile, JSON.stringify(shape));
  try {
    const args = [path.join(ROOT, "bench", "floor.mjs"), dir, shapeFile];
    const created = await timed(process.execPath, args);
    if (created.code !== 0) throw new Error(`engine floor create exited ${created.code}:\n${created.stderr.slice(-3000)}`);
    const noop = await timed(process.execPath, args);
    if (noop.code !== 0) throw new Error(`engine floor no-op exited ${noop.code}:\n${noop.stderr.slice(-3000)}`);
    const changes = JSON.parse(noop.stdout.trim().split("\n").pop());
    if (Object.keys(changes).some((k) => k !== "same")) throw new Error(`engine floor no-op changed something: ${noop.stdout}`);
    log(`engine floor run ${run}: create ${created.seconds.toFixed(2)} s, no-op ${noop.seconds.toFixed(2)} s (${changes.same} same)`);
    return { create: created.seconds, noop: noop.seconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function oneRun(tool, run, units) {
  const dir = path.join(ROOT, ".sandbox", `bench-${SHORT[tool]}-${process.pid}-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const sandbox = await Sandbox.up(dir);
  const rows = [];
  try {
    const converge = TOOLS[tool](dir, sandbox.host);
    for (const phase of PHASES) {
      const before = probe(dir, units);
      const r = await converge(phase);
      const after = probe(dir, units);
      if (r.code !== 0) throw new Error(`${tool} ${phase} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
      // A unit not active right after a converge that reported success is an incident: wait a little, keep its journal.
      const down = units.filter((u) => !after.states[u]?.active);
      let late;
      if (down.length) {
        const journal = sh(dir, `journalctl -b --no-pager -o short-monotonic ${down.map((u) => `-u ${u}`).join(" ")} | tail -n 20`);
        for (let i = 0; i < 30 && units.some((u) => !probe(dir, units).states[u]?.active); i++)
          await new Promise((r) => setTimeout(r, 500));
        const still = units.filter((u) => !probe(dir, units).states[u]?.active);
        late = { units: down, failed: still, journal };
        log(
          `${tool} run ${run} ${phase}: INCIDENT ${down.join(", ")} not active right after the converge (${still.length ? `still down: ${still.join(", ")}` : "active again within 15 s"}):\n${journal}`,
        );
      }
      const row = {
        tool,
        phase,
        seconds: r.seconds,
        restarted: restarted(before, after),
        ssh: after.accepted - before.accepted,
        ...(late ? { late } : {}),
        ...(tool === "this package" ? { changes: packageChanges(r.stdout), peaks: r.peaks, state: stateSize(dir) } : {}),
      };
      log(
        `${tool} run ${run} ${phase}: ${r.seconds.toFixed(2)} s, ${row.restarted.length} (re)started, ${row.ssh} ssh${row.changes !== undefined ? `, ${row.changes} changes` : ""}`,
      );
      rows.push(row);
    }
  } finally {
    if (argv.includes("--keep")) return rows;
    await sandbox.down().catch((e) => log(`teardown ${dir}: ${e.message}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const same = (xs) => (new Set(xs).size === 1 ? String(xs[0]) : xs.join("/"));

function table(rows) {
  const lb = Object.fromEntries(
    PHASES.map((p) => [p, median(rows.filter((r) => r.tool === "lower bound" && r.phase === p).map((r) => r.seconds))]),
  );
  const header = ["tool", "converge", "median s", "min-max s", "x lower bound", "(re)started", "ssh conns", "changes"];
  const lines = [];
  for (const tool of Object.keys(TOOLS).filter((t) => rows.some((r) => r.tool === t))) {
    for (const phase of PHASES) {
      const rs = rows.filter((r) => r.tool === tool && r.phase === phase);
      const secs = rs.map((r) => r.seconds);
      lines.push([
        tool,
        phase,
        median(secs).toFixed(2),
        `${Math.min(...secs).toFixed(2)}-${Math.max(...secs).toFixed(2)}`,
        `${(median(secs) / lb[phase]).toFixed(1)}x`,
        same(rs.map((r) => r.restarted.length)),
        same(rs.map((r) => r.ssh)),
        tool === "this package" ? same(rs.map((r) => r.changes)) : "-",
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(fmt)].join("\n");
}

/** The speed goals, each as measured in this run against its target. */
function goals(rows, floors) {
  const med = (tool, phase) => median(rows.filter((r) => r.tool === tool && r.phase === phase).map((r) => r.seconds));
  const pkg = rows.filter((r) => r.tool === "this package");
  if (!pkg.length) return [];
  const lines = ["| goal | measured | target |", "|------|----------|--------|"];
  const row = (goal, value, target, ok) => lines.push(`| ${goal} | ${value} | ${target} ${ok ? "(met)" : "(not met)"} |`);
  if (floors.length) {
    const floor = median(floors.map((f) => f.noop));
    const x = med("this package", "no-op") / floor;
    row(
      `no-op up vs the engine floor (${floor.toFixed(2)} s, same resources, instant provider, same Node start)`,
      `${x.toFixed(2)}x`,
      "<= 1.3x",
      x <= 1.3,
    );
  }
  if (rows.some((r) => r.tool === "lower bound")) {
    const x = med("this package", "fresh") / med("lower bound", "fresh");
    row("fresh up vs the lower bound", `${x.toFixed(2)}x`, "<= 2.5x", x <= 2.5);
  }
  if (rows.some((r) => r.tool === "ansible")) {
    const x = med("this package", "one change") / med("ansible", "one change");
    row("one change vs Ansible (code shipped with unarchive)", `${x.toFixed(2)}x`, "<= 0.3x", x <= 0.3);
  }
  const states = pkg.filter((r) => r.state).map((r) => r.state);
  const last = states[states.length - 1];
  if (last) {
    const kb = last.bytes / last.resources / 1024;
    row(
      `state per resource (${(last.bytes / 1024).toFixed(0)} KB, ${last.resources} resources)`,
      `${kb.toFixed(2)} KB`,
      "<= 3 KB",
      kb <= 3,
    );
  }
  const peak = Math.max(...pkg.filter((r) => r.phase === "fresh").map((r) => r.peaks?.cli ?? 0)) / 1024;
  row("peak RSS of the operator command, fresh up", `${peak.toFixed(0)} MB`, "<= 183 MB", peak <= 183);
  return lines;
}

function machine() {
  const kernel = fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  const ansible = spawnSync("ansible-playbook", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "?";
  return [
    `- date: ${new Date().toISOString()}`,
    `- load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} (other sandboxes on this machine slow every tool alike)`,
    `- machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, kernel ${kernel}, Node ${process.version}`,
    `- peers: ${ansible.trim()}; pulumi ${spawnSync(path.join(ROOT, ".tools", "bin", "pulumi"), ["version"], { encoding: "utf8" }).stdout.trim()}`,
  ].join("\n");
}

async function main() {
  ensureAnsible();
  const someHost = {
    address: "10.0.0.2",
    port: 22,
    user: "root",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7uWeRMogHr5NPWJuYSf9q4c/DxFUSAj9L0QsowYJhp",
  };
  const someTokens = Object.fromEntries(TOKEN_NAMES.map((t) => [t, "x".repeat(32)]));
  const units = peerPlan(
    { ...someHost, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nunused\n-----END OPENSSH PRIVATE KEY-----\n" },
    someTokens,
    false,
  ).plan.units.map((u) => u.unit);
  const rows = [];
  for (let run = 1; run <= RUNS; run++)
    for (const tool of Object.keys(TOOLS).filter((t) => !ONLY || ONLY.includes(SHORT[t]))) rows.push(...(await oneRun(tool, run, units)));

  const evaluation = JSON.parse(
    spawnSync(process.execPath, [path.join(ROOT, "bench", "evaluate.mjs")], { cwd: ROOT, encoding: "utf8" }).stdout,
  );
  const floors = [];
  if (!ONLY || ONLY.includes("pkg")) for (let run = 1; run <= RUNS; run++) floors.push(await floorRun(evaluation.shape, run));
  const fresh = rows.filter((r) => r.tool === "this package" && r.phase === "fresh");
  const mb = (role) => `${(Math.max(...fresh.map((r) => r.peaks[role] ?? 0)) / 1024).toFixed(0)} MB`;
  const text = [
    table(rows),
    "",
    ...rows
      .filter((r) => r.late)
      .map(
        (r) =>
          `incident: ${r.tool} ${r.phase}: ${r.late.units.join(", ")} not active right after the converge (${r.late.failed.length ? `still down after 15 s: ${r.late.failed.join(", ")}` : "recovered within 15 s"})`,
      ),
    `runs: ${RUNS} per tool (fresh host each); "(re)started" = units whose ActiveEnterTimestampMonotonic moved; "ssh conns" = sshd "Accepted" logins during the converge.`,
    `program evaluation under mocks (sandbox stack, ${evaluation.resources} resources): ${evaluation.eval_ms.toFixed(0)} ms (+ ${evaluation.load_ms.toFixed(0)} ms loading the program)`,
    ...(fresh.length
      ? [`peak RSS during a fresh up: operator command ${mb("cli")}, dynamic provider ${mb("provider")}, pulumi engine ${mb("engine")}`]
      : []),
    "",
    ...goals(rows, floors),
  ].join("\n");
  console.log(text);
  // The committed results are the full runs'; a quick (CI) run writes beside the sandboxes instead.
  const results = quick ? path.join(ROOT, ".sandbox", "bench-results-quick.md") : path.join(ROOT, "bench", "results.md");
  const notes = fs.existsSync(results) ? (/\n## (Fleet|Notes)\b[\s\S]*$/.exec(fs.readFileSync(results, "utf8"))?.[0] ?? "") : "";
  fs.writeFileSync(
    results,
    `# Benchmark results (npm run bench${quick ? " -- --quick" : ` -- --runs ${RUNS}`})\n\n${machine()}\n\n${text}\n${notes}`,
  );
  log(`wrote ${path.relative(ROOT, results)}`);
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exitCode = 1;
});
