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

  async reboot(): Promise<void> {
    await must("bash", [SCRIPT, "reboot", this.stateDir]);
  }

  async down(): Promise<void> {
    await must("bash", [SCRIPT, "down", this.stateDir]);
  }
}
