/**
 * The local sandbox host: a fresh Debian 12 systemd host booted by
 * scripts/sandbox.sh (systemd-nspawn in a network namespace of its own,
 * key-only SSH, pinned host key). `quantlab --sandbox` and the tests use it.
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./paths";
import { must, run, type RunResult } from "./run";

const SCRIPT = path.join(ROOT, "scripts", "sandbox.sh");

export interface SandboxHostInfo {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  readonly hostKey: string;
}

/** The sandbox host's S3 server (scripts/sandbox/s3.sh): its endpoint as the host sees it, and its keys. */
export interface SandboxS3 {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export class Sandbox {
  private constructor(
    readonly stateDir: string,
    readonly host: SandboxHostInfo,
  ) {}

  /** Boots a fresh host in stateDir, or reuses the one running there. Installs the sandbox's apt dependencies when missing. */
  static async up(stateDir: string): Promise<Sandbox> {
    fs.mkdirSync(stateDir, { recursive: true });
    const running = (await run("bash", [SCRIPT, "status", stateDir])).code === 0 && fs.existsSync(path.join(stateDir, "host.json"));
    if (!running) {
      await must("bash", [SCRIPT, "deps"], { stderr: "inherit" });
      await must("bash", [SCRIPT, "up", stateDir], { stderr: "inherit" });
    }
    return Sandbox.attach(stateDir);
  }

  /** The sandbox already booted in stateDir (no connection is opened). */
  static attach(stateDir: string): Sandbox {
    const host = JSON.parse(fs.readFileSync(path.join(stateDir, "host.json"), "utf8")) as SandboxHostInfo;
    return new Sandbox(stateDir, host);
  }

  /** A command on the host over SSH (pinned host key), input on stdin. */
  ssh(command: string, input?: string): Promise<RunResult> {
    return run("bash", [SCRIPT, "ssh", this.stateDir, command], { input });
  }

  async sh(command: string, input?: string): Promise<string> {
    const r = await this.ssh(command, input);
    if (r.code !== 0) throw new Error(`on host: ${command} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Lets `publicKey` log in as root too (a fleet's hosts all accept the stack's key); idempotent. */
  async authorize(publicKey: string): Promise<void> {
    const line = publicKey.trim();
    if (!/^ssh-ed25519 [A-Za-z0-9+/=]+( [\w@.-]+)?$/.test(line)) throw new Error("sandbox: not an ssh-ed25519 public key line");
    await must("bash", [
      SCRIPT,
      "exec",
      this.stateDir,
      "sh",
      "-c",
      'grep -qxF "$1" /root/.ssh/authorized_keys || printf "%s\\n" "$1" >> /root/.ssh/authorized_keys',
      "authorize",
      line,
    ]);
  }

  /** The S3 server's endpoint and keys (STATE/s3.json, 0600). */
  s3(): SandboxS3 {
    const file = path.join(this.stateDir, "s3.json");
    if (!fs.existsSync(file))
      throw new Error(
        `sandbox ${this.stateDir} has no S3 server (booted by an older version): bash scripts/sandbox.sh down ${this.stateDir}, then run the command again`,
      );
    return JSON.parse(fs.readFileSync(file, "utf8")) as SandboxS3;
  }

  /** Makes the S3 server take these keys (a fleet's hosts all take the stack's); idempotent. */
  async useS3Keys(keys: Pick<SandboxS3, "accessKeyId" | "secretAccessKey">): Promise<void> {
    const current = this.s3();
    if (current.accessKeyId === keys.accessKeyId && current.secretAccessKey === keys.secretAccessKey) return;
    const env = `ROOT_ACCESS_KEY_ID=${keys.accessKeyId}\nROOT_SECRET_ACCESS_KEY=${keys.secretAccessKey}\n`;
    // The keys go on stdin: never in a command line.
    await must("bash", [SCRIPT, "ssh", this.stateDir, "umask 077; cat > /etc/sandbox-s3.env && systemctl restart sandbox-s3"], {
      input: env,
    });
    const file = path.join(this.stateDir, "s3.json");
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...current, ...keys }), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  async reboot(): Promise<void> {
    await must("bash", [SCRIPT, "reboot", this.stateDir]);
  }

  async down(): Promise<void> {
    await must("bash", [SCRIPT, "down", this.stateDir]);
  }
}
