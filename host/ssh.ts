/**
 * The transport: one SSH connection per host, shared by every resource of a
 * run (the pool lives on globalThis, so every module copy in the one
 * provider process shares it), with a pinned host key, keepalive, bounded
 * dial retries and at most MAX_CHANNELS commands in flight per connection
 * (sshd's MaxSessions is 10; an 11th channel fails).
 *
 * A command is a script built by the host layer (host/script.ts) from checked
 * values; file content and other payloads travel on its stdin, never in its
 * text. Every command has a deadline (host/session.ts sets it).
 */
import * as os from "os";
import type * as Ssh2 from "ssh2";
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import type { Readable } from "stream";
import { withHandshake } from "./handshakes";

/** ssh2, loaded at the first dial: the operator command of an `up` opens none (its host provider does), and starts 40 ms sooner. */
const ssh2 = (): typeof Ssh2 => require("ssh2") as typeof Ssh2;

/** Where to connect. Every field comes from the stack config (`quantlab:host`). */
export interface SshTarget {
  readonly address: string;
  /** @default 22 */
  readonly port: number;
  /** @default "root" */
  readonly user: string;
  /** Pinned OpenSSH host key line ("ssh-ed25519 AAAA..."); undefined only with insecureSkipHostKeyCheck. */
  readonly hostKey?: string;
  /** A jump host reached first; the target is dialled through it. @default none */
  readonly bastion?: Omit<SshTarget, "bastion">;
}

/** How to authenticate: the private key from secret config (kept in memory only), or an ssh-agent. */
export interface SshCredentials {
  readonly privateKey?: string;
  /** @default none */
  readonly passphrase?: string;
  /** ssh-agent socket path. @default none */
  readonly agent?: string;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Below sshd's MaxSessions (10): the server frees a session slot a moment after the channel closes. */
export const MAX_CHANNELS = 6;
const CHANNEL_ATTEMPTS = 4;
const DIAL_ATTEMPTS = 3;
const DIAL_TIMEOUT_MS = 8_000;
const RETRY_DELAY_MS = 500;
/** How long a closing connection may wait for the peer before its socket is dropped. */
const END_GRACE_MS = 2_000;

export class SshError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SshError";
  }
}

/**
 * How a command ended, as a shell would say it: its exit status, or 128 plus
 * the signal's number when a signal killed it (sshd then sends exit-signal,
 * not exit-status, which ssh2 hands over as "SIGKILL"; `timeout -k` ends
 * that way when it has to kill).
 */
const exitStatus = (code: number | null, signal?: string): number | null =>
  code ?? (signal ? 128 + (os.constants.signals[(signal.startsWith("SIG") ? signal : `SIG${signal}`) as NodeJS.Signals] ?? 0) : null);

/** The server refused to open a channel (too many sessions): nothing ran. */
class ChannelRefused extends SshError {}

const describeTarget = (t: Omit<SshTarget, "bastion">): string => `${t.user}@${t.address}:${t.port}`;

/** Host key algorithms the server must offer for the pinned key's type (so it presents that key). */
export function hostKeyAlgorithms(hostKey: string): string[] {
  const type = hostKey.split(" ")[0]!;
  return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}

/** The base64 blob of an OpenSSH key line, decoded: what ssh2 hands the host verifier. */
export const hostKeyBlob = (hostKey: string): Buffer => Buffer.from(hostKey.split(" ")[1] ?? "", "base64");

function connectConfig(target: Omit<SshTarget, "bastion">, creds: SshCredentials, onMismatch: () => void, sock?: Readable): ConnectConfig {
  const pinned = target.hostKey;
  return {
    host: target.address,
    port: target.port,
    username: target.user,
    ...(creds.privateKey ? { privateKey: creds.privateKey } : {}),
    ...(creds.passphrase ? { passphrase: creds.passphrase } : {}),
    ...(creds.agent ? { agent: creds.agent } : {}),
    ...(sock ? { sock } : {}),
    readyTimeout: DIAL_TIMEOUT_MS,
    keepaliveInterval: 5_000,
    keepaliveCountMax: 3,
    ...(pinned
      ? {
          algorithms: { serverHostKey: hostKeyAlgorithms(pinned) as never },
          hostVerifier: (key: Buffer) => {
            const ok = key.equals(hostKeyBlob(pinned));
            if (!ok) onMismatch();
            return ok;
          },
        }
      : {}),
  };
}

/** One authenticated connection; `exec` queues beyond MAX_CHANNELS. */
export class SshConnection {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closed?: Error;

  constructor(
    private readonly client: Client,
    readonly label: string,
    private readonly jump?: Client,
  ) {
    client.on("close", () => (this.closed ??= new SshError(`${label}: connection closed`)));
    client.on("error", (e) => (this.closed ??= new SshError(`${label}: ${e.message}`)));
  }

  get isOpen(): boolean {
    return this.closed === undefined;
  }

  /**
   * Runs `command` on the host with `stdin` (may be empty); resolves with its
   * exit code and output. After `timeoutMs` the channel is closed and the
   * promise rejects (the command itself carries its own, shorter, deadline).
   */
  async exec(command: string, stdin: string | Buffer = "", timeoutMs = 0): Promise<ExecResult> {
    if (this.active >= MAX_CHANNELS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.run(command, stdin, timeoutMs);
        } catch (e) {
          // A refused channel ran nothing on the host: safe to ask again shortly.
          if (!(e instanceof ChannelRefused) || attempt >= CHANNEL_ATTEMPTS) throw e;
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private run(command: string, stdin: string | Buffer, timeoutMs: number): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.closed);
      this.client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
        if (err) return reject(new ChannelRefused(`${this.label}: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        let expired = false;
        const timer =
          timeoutMs > 0
            ? setTimeout(() => {
                expired = true;
                channel.close();
              }, timeoutMs)
            : undefined;
        channel.on("data", (d: Buffer) => out.push(d));
        channel.stderr.on("data", (d: Buffer) => errOut.push(d));
        channel.on("exit", (c: number | null, signal?: string) => (code = exitStatus(c, signal)));
        channel.on("close", () => {
          if (timer) clearTimeout(timer);
          if (expired) return reject(new SshError(`${this.label}: no answer within ${Math.round(timeoutMs / 1000)} s (channel closed)`));
          if (code === null) return reject(new SshError(`${this.label}: command ended without an exit status (connection lost?)`));
          resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errOut).toString("utf8") });
        });
        channel.on("error", () => undefined);
        channel.end(stdin);
      });
    });
  }

  /**
   * Runs `script` and hands its output over as it arrives (for `logs -f`).
   * Its stdin stays open until stop(): the script sees end-of-file then (and
   * when the connection drops), which is its cue to stop what it runs.
   * `done` resolves with the exit code (-1 when there was none).
   */
  async stream(
    script: string,
    onStdout: (d: Buffer) => void,
    onStderr: (d: Buffer) => void,
  ): Promise<{ done: Promise<number>; stop(): void }> {
    if (this.active >= MAX_CHANNELS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    const release = () => {
      this.active--;
      this.waiting.shift()?.();
    };
    return new Promise((resolve, reject) => {
      if (this.closed) {
        release();
        return reject(this.closed);
      }
      this.client.exec(script, (err: Error | undefined, channel: ClientChannel) => {
        if (err) {
          release();
          return reject(new SshError(`${this.label}: ${err.message}`));
        }
        let code: number | null = null;
        channel.on("data", onStdout);
        channel.stderr.on("data", onStderr);
        channel.on("exit", (c: number | null, signal?: string) => (code = exitStatus(c, signal)));
        const done = new Promise<number>((res) =>
          channel.on("close", () => {
            release();
            res(code ?? -1);
          }),
        );
        resolve({ done, stop: () => channel.end() });
      });
    });
  }

  /**
   * Closes gracefully; when the peer cannot answer (the link is down), the
   * socket is dropped after a moment, so a failed run can still exit.
   */
  end(): void {
    this.client.end();
    this.jump?.end();
    setTimeout(() => {
      this.client.destroy();
      this.jump?.destroy();
    }, END_GRACE_MS).unref();
  }
}

function dialOnce(target: Omit<SshTarget, "bastion">, creds: SshCredentials, sock?: Readable): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new (ssh2().Client)();
    let mismatch = false;
    client.once("ready", () => resolve(client));
    client.once("error", (e: Error & { level?: string }) => {
      client.end();
      const reason = mismatch
        ? `host key mismatch: the host did not present the pinned key (${target.hostKey?.slice(0, 40)}...); check quantlab:host.hostKey`
        : e.level === "client-authentication"
          ? "authentication failed (check quantlab:sshPrivateKey and quantlab:host.user)"
          : e.message;
      reject(
        Object.assign(new SshError(`cannot connect to ${describeTarget(target)}: ${reason}`), {
          permanent: mismatch || e.level === "client-authentication",
        }),
      );
    });
    client.connect(connectConfig(target, creds, () => (mismatch = true), sock));
  });
}

async function dial(target: Omit<SshTarget, "bastion">, creds: SshCredentials, sock?: Readable): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withHandshake(() => dialOnce(target, creds, sock));
    } catch (e) {
      if ((e as { permanent?: boolean }).permanent || attempt >= DIAL_ATTEMPTS || sock) throw e;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * attempt));
    }
  }
}

async function open(target: SshTarget, creds: SshCredentials): Promise<SshConnection> {
  if (!target.bastion) return new SshConnection(await dial(target, creds), describeTarget(target));
  const jump = await dial(target.bastion, creds);
  try {
    const stream = await new Promise<Readable>((resolve, reject) =>
      jump.forwardOut("127.0.0.1", 0, target.address, target.port, (err, ch) =>
        err
          ? reject(new SshError(`bastion ${describeTarget(target.bastion!)} cannot reach ${target.address}:${target.port}: ${err.message}`))
          : resolve(ch),
      ),
    );
    return new SshConnection(await dial(target, creds, stream), `${describeTarget(target)} via ${target.bastion.address}`, jump);
  } catch (e) {
    // A failed hop must not keep the jump connection (and the process) alive.
    jump.end();
    setTimeout(() => jump.destroy(), END_GRACE_MS).unref();
    throw e;
  }
}

type Pool = Map<string, Promise<SshConnection>>;
const POOL_KEY = Symbol.for("quantlab-infra.ssh-pool");
const pool = (): Pool => ((globalThis as Record<symbol, Pool>)[POOL_KEY] ??= new Map());

/** The pooled connection to `target`, opened on first use (and again if it dropped). */
export async function connect(target: SshTarget, creds: SshCredentials): Promise<SshConnection> {
  const key = `${target.user}@${target.address}:${target.port}|${target.hostKey ?? ""}|${target.bastion?.address ?? ""}`;
  const existing = pool().get(key);
  if (existing) {
    const conn = await existing.catch(() => undefined);
    if (conn?.isOpen) return conn;
  }
  const opening = open(target, creds);
  pool().set(key, opening);
  opening.catch(() => pool().delete(key));
  return opening;
}

/** Closes every pooled connection (the operator command calls this when it is done). */
export async function closeAll(): Promise<void> {
  const conns = [...pool().values()];
  pool().clear();
  for (const c of conns) (await c.catch(() => undefined))?.end();
}
