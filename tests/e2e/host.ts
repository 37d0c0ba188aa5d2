/**
 * What the e2e scenarios read off the sandbox host, and the stack driven
 * through the operator command (bin/quantlab.js, compiled CommonJS, as users
 * run it) with its base config in a file the scenario owns.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { decryptedConfig, openStack } from "../../cli/engine";
import { ROOT, sandboxDir } from "../../cli/paths";

const SANDBOX_SCRIPT = path.join(ROOT, "scripts", "sandbox.sh");
import { spawn } from "child_process";
import * as crypto from "crypto";
import { must, run, type RunResult } from "../../cli/run";
import { Sandbox } from "../../cli/sandbox";
import { parseStackConfig, type ParsedStack } from "../../config/parse";
import { planHost, type HostPlan } from "../../hostfiles/plan";
import type { TokenName } from "../../model/catalog";

/** One sandbox stack under test: `quantlab <cmd> --stack NAME --sandbox --config-file BASE`. */
export class SandboxStack {
  /** Everything the operator command printed, for the secrets scan. */
  readonly transcript: string[] = [];
  readonly dir: string;
  readonly base: string;

  constructor(
    readonly name: string,
    baseFrom = path.join(ROOT, "Pulumi.sandbox.yaml"),
  ) {
    this.dir = sandboxDir(name);
    fs.mkdirSync(this.dir, { recursive: true });
    this.base = path.join(this.dir, "base.yaml");
    fs.copyFileSync(baseFrom, this.base);
  }

  async quantlab(command: string, ...extra: string[]): Promise<RunResult> {
    const env = { ...process.env };
    delete env.PULUMI_BACKEND_URL;
    const r = await run(
      process.execPath,
      [path.join(ROOT, "bin", "quantlab.js"), command, "--stack", this.name, "--sandbox", "--config-file", this.base, ...extra],
      { cwd: ROOT, env },
    );
    this.transcript.push(r.stdout, r.stderr);
    return r;
  }

  /** Edits the base config (`quantlab:<key>` at a dotted path). */
  setBase(dotted: string, value: unknown): void {
    const doc = YAML.parse(fs.readFileSync(this.base, "utf8")) as { config: Record<string, any> };
    const [top, ...rest] = dotted.split(".");
    let node = (doc.config[`quantlab:${top}`] ??= {});
    for (const k of rest.slice(0, -1)) node = node[k] ??= {};
    node[rest[rest.length - 1]!] = value;
    fs.writeFileSync(this.base, YAML.stringify(doc));
  }

  sandbox(): Sandbox {
    return Sandbox.attach(this.dir);
  }

  /** The host under test: `sandbox` with what the stack config says it should hold. */
  async underTest(sandbox: Sandbox): Promise<{ sandbox: Sandbox; parsed: ParsedStack; plan: HostPlan; tokens: Record<TokenName, string> }> {
    return { sandbox, ...(await this.expected()) };
  }

  /** The stack config as the program sees it (secrets decrypted), parsed, and its host plan. */
  async expected(): Promise<{ parsed: ParsedStack; plan: HostPlan; tokens: Record<TokenName, string> }> {
    const o = await openStack({ stack: this.name, sandbox: true, configFile: this.base });
    const parsed = parseStackConfig(await decryptedConfig(o));
    return {
      parsed,
      plan: planHost(parsed.model, parsed.secrets.tokens, parsed.secrets.s3),
      tokens: parsed.secrets.tokens as Record<TokenName, string>,
    };
  }
}

export interface UnitState {
  ActiveState: string;
  UnitFileState: string;
  ActiveEnterTimestampMonotonic: number;
  ExecMainStartTimestampMonotonic: number;
  MainPID: number;
}

export async function unitStates(sandbox: Sandbox, units: readonly string[]): Promise<Record<string, UnitState>> {
  const props = "Id,ActiveState,UnitFileState,ActiveEnterTimestampMonotonic,ExecMainStartTimestampMonotonic,MainPID";
  const out = await sandbox.sh(`systemctl show -p ${props} ${units.join(" ")}`);
  const states: Record<string, UnitState> = {};
  for (const block of out.trim().split(/\n\s*\n/)) {
    const kv = Object.fromEntries(block.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    states[kv.Id!] = {
      ActiveState: kv.ActiveState!,
      UnitFileState: kv.UnitFileState!,
      ActiveEnterTimestampMonotonic: Number(kv.ActiveEnterTimestampMonotonic),
      ExecMainStartTimestampMonotonic: Number(kv.ExecMainStartTimestampMonotonic),
      MainPID: Number(kv.MainPID),
    };
  }
  return states;
}

/** The stand-ins' own start records in this boot's journal: service -> last at_ms. */
export async function standinStarts(sandbox: Sandbox): Promise<Record<string, number>> {
  const out = await sandbox.sh("journalctl -b -o cat --no-pager | grep '^quantlab-standin started ' || true");
  const starts: Record<string, number> = {};
  for (const m of out.matchAll(/^quantlab-standin started service=(\S+) at_ms=(\d+)/gm)) starts[m[1]!] = Number(m[2]);
  return starts;
}

export interface FileStat {
  mode: string;
  owner: string;
  group: string;
}

export async function stat(sandbox: Sandbox, paths: readonly string[]): Promise<Record<string, FileStat | undefined>> {
  const r = await sandbox.ssh(`stat -c '%n|%a|%U|%G' ${paths.join(" ")} 2>/dev/null`);
  const found: Record<string, FileStat | undefined> = Object.fromEntries(paths.map((p) => [p, undefined]));
  for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
    const [p, mode, owner, group] = line.split("|");
    found[p!] = { mode: mode!.padStart(4, "0"), owner: owner!, group: group! };
  }
  return found;
}

/** SSH logins sshd accepted so far in this boot. */
export async function sshLogins(sandbox: Sandbox): Promise<number> {
  return Number((await sandbox.sh("journalctl -b -u ssh --no-pager -o cat | grep -c '^Accepted ' || true")).trim());
}

/** Health over the sandbox's own network from this machine; the token goes in a header. */
export async function health(address: string, url: string, token?: string): Promise<number> {
  const u = new URL(url);
  const res = await fetch(`http://${address}:${u.port}${u.pathname}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  return res.status;
}

/** Labelled wall-clock timings (seconds) of the steps a scenario takes. */
export function stopwatch() {
  const timings: Record<string, number> = {};
  async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      timings[label] = (Date.now() - start) / 1000;
    }
  }
  /** Prints the timings under `title`; with `file`, also keeps them in .sandbox/<file> (scripts/bench.sh reads e2e-timings.json). */
  function report(title: string, file?: string): void {
    console.log(`${title} (s): ${JSON.stringify(timings)}`);
    if (!file) return;
    fs.mkdirSync(path.join(ROOT, ".sandbox"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, ".sandbox", file), JSON.stringify(timings, null, 2));
  }
  return { timings, timed, report };
}

/** Takes down the sandbox host kept in `dir`, if there is one, and removes the directory. */
export async function removeSandbox(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  await run("bash", [path.join(ROOT, "scripts", "sandbox.sh"), "down", dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A stack the way a real host is run (no --sandbox): `Pulumi.<name>.yaml` in
 * the project root (removed by dispose()), secrets set through `quantlab
 * secret` with a passphrase, its own file backend in a temp directory.
 */
export class RealStack {
  readonly file: string;
  readonly backendDir: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly name: string,
    config: Record<string, unknown>,
  ) {
    this.file = path.join(ROOT, `Pulumi.${name}.yaml`);
    this.backendDir = fs.mkdtempSync(path.join(require("os").tmpdir(), "quantlab-realstack-"));
    fs.writeFileSync(this.file, YAML.stringify({ config }));
    this.env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: `pass-${name}`, PULUMI_BACKEND_URL: `file://${this.backendDir}` };
  }

  quantlab(command: string, extra: readonly string[] = [], input?: string): Promise<RunResult> {
    return run(process.execPath, [path.join(ROOT, "bin", "quantlab.js"), command, "--stack", this.name, ...extra], {
      cwd: ROOT,
      env: this.env,
      ...(input !== undefined ? { input } : {}),
    });
  }

  /** Sets each secret through `quantlab secret` (value on stdin). */
  async secrets(values: Readonly<Record<string, string>>): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      const r = await this.quantlab("secret", ["--key", key], value);
      if (r.code !== 0) throw new Error(`secret ${key}: ${r.stderr}`);
    }
  }

  dispose(): void {
    fs.rmSync(this.file, { force: true });
    fs.rmSync(this.backendDir, { recursive: true, force: true });
  }
}

export interface Running {
  readonly pid: number;
  output(): string;
  /** Resolves once `re` has matched `count` times in stdout+stderr. */
  waitFor(re: RegExp, count?: number): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  /** Closes the read end of its stdout, as `| head` does once it has its lines. */
  closeStdout(): void;
  readonly done: Promise<RunResult>;
}

/** The operator command as a child process, its output watched as it comes. */
export function start(s: SandboxStack, command: string, ...extra: string[]): Running {
  const env = { ...process.env };
  delete env.PULUMI_BACKEND_URL;
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "bin", "quantlab.js"), command, "--stack", s.name, "--sandbox", "--config-file", s.base, ...extra],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on("data", (d) => ((stdout += d), poke()));
  child.stderr.on("data", (d) => ((stderr += d), poke()));
  const done = new Promise<RunResult>((resolve) =>
    child.on("close", (code) => {
      s.transcript.push(stdout, stderr);
      poke();
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  let exited = false;
  void done.then(() => (exited = true));
  return {
    pid: child.pid!,
    output: () => stdout + stderr,
    signal: (sig) => child.kill(sig),
    closeStdout: () => child.stdout.destroy(),
    done,
    waitFor(re, count = 1) {
      const global = new RegExp(re.source, `${re.flags.replace("g", "")}g`);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (((stdout + stderr).match(global)?.length ?? 0) >= count) return resolve();
          if (exited) return reject(new Error(`${command} ended before ${re} matched ${count} time(s):\n${stdout}\n${stderr}`));
          waiters.push(check);
        };
        check();
      });
    },
  };
}

/** sshd's session processes on the host, seen from outside SSH. */
export async function sshSessions(dir: string): Promise<string[]> {
  const ps = await must("bash", [SANDBOX_SCRIPT, "exec", dir, "ps", "-eo", "pid=,args="]);
  return ps
    .split("\n")
    .map((l) => /^\s*(\d+) sshd: (?!\/usr\/sbin\/sshd)/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
}

/** Commands still running under sshd's sessions (a session of its own holds no command when idle). */
export async function sessionCommands(dir: string): Promise<string[]> {
  const sessions = new Set(await sshSessions(dir));
  const ps = await must("bash", [SANDBOX_SCRIPT, "exec", dir, "ps", "-eo", "pid=,ppid=,args="]);
  return ps
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && sessions.has(m[2]!))
    .map((m) => `${m[1]} ${m[3]}`);
}

/**
 * After the link comes back, the host's side of a cut session lives on
 * until TCP notices the peer is gone, and a command it was running (e.g. a
 * restart) may still finish: the next up starts once no such command runs,
 * as an operator would after an outage. (Idle sessions may linger for TCP's
 * keepalive time, holding nothing.) Bounded: fails after 5 minutes.
 */
export async function waitForStale(dir: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await sessionCommands(dir)).length === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`commands of the cut run still running on the host: ${(await sessionCommands(dir)).join("; ")}`);
}

/** The host side of the sandbox's veth pair (scripts/sandbox.sh: qlh-<sha256 of the state dir>). */
export function vethOf(dir: string): string {
  return `qlh-${crypto.createHash("sha256").update(fs.realpathSync(dir)).digest("hex").slice(0, 8)}`;
}

/** Takes the sandbox's link down or up (from this machine). */
export const setLink = (dir: string, state: "up" | "down") => must("ip", ["link", "set", vethOf(dir), state]);
