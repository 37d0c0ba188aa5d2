/**
 * The sandbox host and the sandbox stack, driven for real: scripts/sandbox.sh
 * boots a fresh Debian host (systemd-nspawn, own network namespace, key-only
 * SSH); the Pulumi CLI from .tools/bin runs the program against it with a
 * local file backend. Secrets are generated fresh per sandbox, travel to
 * `pulumi config set` on stdin, and are kept in a 0600 file in the state dir.
 * Used by the e2e tests and by scripts/sandbox-converge.ts.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { TOKEN_NAMES, type TokenName } from "../../model/catalog";

export const ROOT = path.resolve(__dirname, "../..");
const TOOLS_BIN = path.join(ROOT, ".tools/bin");

/** The engine toolchain binaries scripts/pulumi-toolchain.sh provides; empty when all are there. */
export function missingToolchain(): string[] {
  return ["pulumi", "pulumi-language-nodejs", "pulumi-resource-command"].filter((b) => {
    try {
      fs.accessSync(path.join(TOOLS_BIN, b), fs.constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

/** Fresh random tokens, one per token name. */
export function randomTokens(): Record<TokenName, string> {
  return Object.fromEntries(TOKEN_NAMES.map((t) => [t, crypto.randomBytes(24).toString("hex")])) as Record<TokenName, string>;
}

/** The strings no scan may find in plaintext: every token, and each base64 body line of the private key. */
export function secretsToScan(tokens: Readonly<Record<TokenName, string>>, privateKey: string): string[] {
  return [...Object.values(tokens), ...privateKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))];
}

export interface HostInfo {
  address: string;
  port: number;
  user: string;
  privateKeyPath: string;
  hostKey: string;
  namespace: string;
  rootfs: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never passes secrets in argv (they go in `input`). */
export function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

async function must(cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export class Sandbox {
  private constructor(readonly stateDir: string, readonly host: HostInfo) {}

  static async up(stateDir: string): Promise<Sandbox> {
    fs.mkdirSync(stateDir, { recursive: true });
    await must("bash", [path.join(ROOT, "scripts/sandbox.sh"), "up", stateDir]);
    const host = JSON.parse(fs.readFileSync(path.join(stateDir, "host.json"), "utf8")) as HostInfo;
    return new Sandbox(stateDir, host);
  }

  /** Attaches to a sandbox already running in stateDir, or undefined if it does not answer. */
  static async attach(stateDir: string): Promise<Sandbox | undefined> {
    const host = JSON.parse(fs.readFileSync(path.join(stateDir, "host.json"), "utf8")) as HostInfo;
    const sandbox = new Sandbox(stateDir, host);
    const r = await sandbox.ssh("true").catch(() => undefined);
    return r?.code === 0 ? sandbox : undefined;
  }

  /** A command on the host, over SSH with the pinned host key (input on stdin). */
  ssh(command: string, input?: string): Promise<RunResult> {
    return run("bash", [path.join(ROOT, "scripts/sandbox.sh"), "ssh", this.stateDir, command], { input });
  }

  async sh(command: string, input?: string): Promise<string> {
    const r = await this.ssh(command, input);
    if (r.code !== 0) throw new Error(`on host: ${command} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async reboot(): Promise<void> {
    await must("bash", [path.join(ROOT, "scripts/sandbox.sh"), "reboot", this.stateDir]);
  }

  async down(): Promise<void> {
    await must("bash", [path.join(ROOT, "scripts/sandbox.sh"), "down", this.stateDir]);
  }
}

/** The sandbox stack: its own backend, config file and secrets in the state dir. */
export class SandboxStack {
  /** Everything the CLI printed, for the secrets scan. */
  readonly transcript: string[] = [];
  readonly configFile: string;
  readonly tokens: Record<TokenName, string>;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly stateDir: string, readonly stackName = "sandbox") {
    this.configFile = path.join(stateDir, `Pulumi.${stackName}.yaml`);
    const secretsFile = path.join(stateDir, "secrets.json");
    if (!fs.existsSync(secretsFile)) {
      const fresh = randomTokens();
      const passphrase = crypto.randomBytes(24).toString("hex");
      fs.writeFileSync(secretsFile, JSON.stringify({ tokens: fresh, passphrase }), { mode: 0o600 });
    }
    const secrets = JSON.parse(fs.readFileSync(secretsFile, "utf8")) as { tokens: Record<TokenName, string>; passphrase: string };
    this.tokens = secrets.tokens;
    fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
    this.env = {
      ...process.env,
      PATH: `${TOOLS_BIN}:${process.env.PATH}`,
      PULUMI_HOME: path.join(ROOT, ".tools/pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: secrets.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      NO_COLOR: "1",
    };
  }

  /** The secrets a scan must never find in plaintext. */
  secretValues(sandbox: Sandbox): string[] {
    return secretsToScan(this.tokens, fs.readFileSync(sandbox.host.privateKeyPath, "utf8"));
  }

  async pulumi(args: readonly string[], opts: { input?: string; configFile?: string } = {}): Promise<RunResult> {
    const full = [...args, "--stack", this.stackName, "--non-interactive", "--color", "never"];
    if (!["stack"].includes(args[0]!)) full.push("--config-file", opts.configFile ?? this.configFile);
    const r = await run(path.join(TOOLS_BIN, "pulumi"), full, { env: this.env, input: opts.input });
    this.transcript.push(r.stdout, r.stderr);
    return r;
  }

  async mustPulumi(args: readonly string[], opts: { input?: string; configFile?: string } = {}): Promise<string> {
    const r = await this.pulumi(args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Creates the stack and writes its config: the committed sandbox config plus this sandbox's host and secrets. */
  async init(sandbox: Sandbox): Promise<void> {
    fs.copyFileSync(path.join(ROOT, "Pulumi.sandbox.yaml"), this.configFile);
    const exists = await this.pulumi(["stack", "select"]);
    if (exists.code !== 0) await this.mustPulumi(["stack", "init"]);
    const set = (key: string, value: string) => this.mustPulumi(["config", "set", "--path", key, value]);
    await set("quantlab:host.address", sandbox.host.address);
    await set("quantlab:host.port", String(sandbox.host.port));
    await set("quantlab:host.user", sandbox.host.user);
    await set("quantlab:host.hostKey", sandbox.host.hostKey);
    // Secrets on stdin: never in argv.
    await this.mustPulumi(["config", "set", "--secret", "quantlab:sshPrivateKey"], { input: fs.readFileSync(sandbox.host.privateKeyPath, "utf8") });
    for (const [name, value] of Object.entries(this.tokens)) {
      await this.mustPulumi(["config", "set", "--secret", "--path", `quantlab:tokens.${name}`], { input: value });
    }
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.mustPulumi(["stack", "output", "--json"])) as Record<string, unknown>;
  }
}
