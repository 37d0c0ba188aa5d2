/**
 * A team's shared state on S3: two operator checkouts (two clones of this
 * project, as two machines would have) run one stack, as real hosts are run
 * (no --sandbox), with PULUMI_BACKEND_URL pointing at a bucket of the sandbox
 * host's own S3 server. One state and one lock: what one checkout deployed,
 * the other sees; while one runs, the other's `up` is refused, naming the
 * holder; a hand edit on the host is drift from either.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, sandboxDir } from "../../cli/paths";
import { must, run, type RunResult } from "../../cli/run";
import { Sandbox } from "../../cli/sandbox";
import { TOKEN_NAMES } from "../../model/catalog";
import { removeSandbox, stopwatch } from "./host";

const NAME = "e2e-team";
const STATE_BUCKET = "quantlab-team-state";
const { timed, report } = stopwatch();

let sandbox: Sandbox;
let work: string;
let a: Checkout;
let b: Checkout;

/** One operator's clone of the project: its own files, the shared backend and passphrase. */
class Checkout {
  readonly transcript: string[] = [];
  constructor(
    readonly root: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async clone(dir: string, env: NodeJS.ProcessEnv): Promise<Checkout> {
    await must("git", ["clone", "-q", ROOT, dir]);
    // What each machine would install (npm ci, scripts/setup.sh), taken from this one; dist/ copied after the
    // sources, so the operator command does not build it again.
    for (const d of ["node_modules", ".tools"]) fs.symlinkSync(path.join(ROOT, d), path.join(dir, d));
    fs.cpSync(path.join(ROOT, "dist"), path.join(dir, "dist"), { recursive: true });
    return new Checkout(dir, env);
  }

  get stackFile(): string {
    return path.join(this.root, `Pulumi.${NAME}.yaml`);
  }

  async quantlab(command: string, extra: readonly string[] = [], input?: string): Promise<RunResult> {
    const r = await run(process.execPath, [path.join(this.root, "bin", "quantlab.js"), command, "--stack", NAME, ...extra], {
      cwd: this.root,
      env: this.env,
      ...(input !== undefined ? { input } : {}),
    });
    this.transcript.push(r.stdout, r.stderr);
    return r;
  }

  async must(command: string, ...extra: string[]): Promise<RunResult> {
    const r = await this.quantlab(command, extra);
    if (r.code !== 0) throw new Error(`quantlab ${command} in ${this.root} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  start(command: string): { done: Promise<RunResult> } {
    const child = spawn(process.execPath, [path.join(this.root, "bin", "quantlab.js"), command, "--stack", NAME], {
      cwd: this.root,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    return { done: new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }))) };
  }
}

/** The lock objects of the stack in the state bucket, as the S3 server stores them. */
const locks = async (): Promise<string[]> =>
  (await sandbox.sh(`find /var/lib/sandbox-s3/${STATE_BUCKET}/.pulumi/locks -type f -name '*.json' 2>/dev/null || true`))
    .split("\n")
    .filter(Boolean);

beforeAll(async () => {
  const dir = sandboxDir(NAME);
  sandbox = await timed("sandbox boot", () => Sandbox.up(dir));
  await sandbox.sh(`install -d -m 700 /var/lib/sandbox-s3/${STATE_BUCKET}`);
  const s3 = sandbox.s3();
  // The backend is the sandbox's S3 server, reached from this machine at the host's address.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `s3://${STATE_BUCKET}?endpoint=http://${sandbox.host.address}:9000&use_path_style=true&region=us-east-1`,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: "us-east-1",
    PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString("hex"),
  };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-team-"));
  [a, b] = await Promise.all([Checkout.clone(path.join(work, "a"), env), Checkout.clone(path.join(work, "b"), env)]);

  // The stack file, made in checkout a and shared with b as a team commits it (its salt with it).
  const base = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.sandbox.yaml"), "utf8")) as { config: Record<string, unknown> };
  const { address, port, user, hostKey } = sandbox.host;
  base.config["quantlab:host"] = { address, port, user, hostKey };
  fs.writeFileSync(a.stackFile, YAML.stringify(base));
  const secrets: Record<string, string> = {
    sshPrivateKey: fs.readFileSync(sandbox.host.privateKeyPath, "utf8"),
    "s3.accessKeyId": s3.accessKeyId,
    "s3.secretAccessKey": s3.secretAccessKey,
    ...Object.fromEntries(TOKEN_NAMES.map((t) => [`tokens.${t}`, crypto.randomBytes(24).toString("hex")])),
  };
  for (const [key, value] of Object.entries(secrets)) {
    const r = await a.quantlab("secret", ["--key", key], value);
    if (r.code !== 0) throw new Error(`secret ${key}: ${r.stderr}`);
  }
  fs.copyFileSync(a.stackFile, b.stackFile);
});

afterAll(async () => {
  report("team e2e timings");
  await removeSandbox(sandboxDir(NAME));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("two operator checkouts, one stack, its state on the sandbox's S3 server", () => {
  it("checkout a converges the host; the state is in the bucket, not in the checkout", async () => {
    await timed("up (checkout a)", () => a.must("up"));
    expect(fs.existsSync(path.join(a.root, ".quantlab", "state"))).toBe(false);
    expect(await sandbox.sh(`ls /var/lib/sandbox-s3/${STATE_BUCKET}/.pulumi/stacks/quantlab-infra/`)).toMatch(
      new RegExp(`^${NAME}\\.json(\\.gz)?\\n`, "m"),
    );
    expect(await locks()).toEqual([]);
  });

  it("checkout b sees what a deployed: its drift finds the host as the stack says, and its up changes nothing", async () => {
    const drift = await timed("drift (checkout b)", () => b.quantlab("drift"));
    expect([drift.code, drift.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
    const up = await timed("up no-op (checkout b)", () => b.must("up"));
    expect(up.stdout).toMatch(/^\s+\d+ unchanged$/m);
    expect(up.stdout).not.toMatch(/ (created|updated|deleted|replaced)$/m);
  });

  it("one lock: while a's up deploys a change, b's up is refused, naming the holder; b, with a's stack file, then finds nothing to do", async () => {
    // Operator a deploys a change (the services that read it restart, each behind its gate: the run holds the lock a while).
    const doc = YAML.parse(fs.readFileSync(a.stackFile, "utf8")) as { config: Record<string, unknown> };
    doc.config["quantlab:env"] = { ...((doc.config["quantlab:env"] as object | undefined) ?? {}), executionStreamFills: true };
    fs.writeFileSync(a.stackFile, YAML.stringify(doc));
    const first = a.start("up");
    for (let i = 0; (await locks()).length === 0; i++) {
      if (i > 300) throw new Error("checkout a's up never took the lock");
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = await timed("up refused (checkout b)", () => b.quantlab("up"));
    const firstDone = await first.done;
    expect([firstDone.code, firstDone.stdout]).toEqual([0, expect.stringMatching(/^\s+~ \d+ updated$/m)]);
    expect(second.code).not.toBe(0);
    expect(second.stdout + second.stderr).toContain(`stack ${NAME} is locked by another run (held by `);
    expect(await locks()).toEqual([]);
    // b pulls the stack file a committed: the state already says what the host has.
    fs.copyFileSync(a.stackFile, b.stackFile);
    const up = await timed("up after the lock (checkout b)", () => b.must("up"));
    expect(up.stdout).not.toMatch(/ (created|updated|deleted|replaced)$/m);
    expect(await sandbox.sh("grep '^EXECUTION_STREAM_FILLS=' /etc/quantlab/strategyd.env")).toBe("EXECUTION_STREAM_FILLS='1'\n");
  });

  it("a hand edit on the host is drift from either checkout, and up from one repairs it for both", async () => {
    await sandbox.sh("sed -i 's/^REPLAYD_PORT=.*/REPLAYD_PORT=3999/' /etc/quantlab/replayd.env");
    for (const c of [a, b]) {
      const drift = await c.quantlab("drift");
      expect([drift.code, drift.stdout]).toEqual([2, expect.stringContaining("/etc/quantlab/replayd.env")]);
    }
    await timed("up repairs (checkout b)", () => b.must("up"));
    const clean = await a.quantlab("drift");
    expect([clean.code, clean.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
  });

  it("no command printed the S3 secret key, a token or the SSH key", async () => {
    const s3 = sandbox.s3();
    const printed = [...a.transcript, ...b.transcript].join("\n");
    expect(printed).not.toContain(s3.secretAccessKey);
    const stackFile = fs.readFileSync(a.stackFile, "utf8");
    expect(stackFile).not.toContain(s3.secretAccessKey);
    expect(stackFile).toMatch(/secretAccessKey:\s+secure: v1:/);
  });
});
