/**
 * The provider's view of the stack: which host it may touch and how to log
 * in, read from the stack config the engine hands every provider (secrets
 * decrypted, kept in memory only). Resources carry only the host's address,
 * so a key rotation or a re-pinned host key needs no resource change.
 */
import * as crypto from "crypto";
import { connect, type SshConnection, type SshCredentials, type SshTarget } from "./ssh";

export type ConfigGetter = (key: string) => string | undefined;

interface HostConfig {
  address: string;
  port?: number;
  user?: string;
  hostKey?: string;
  insecureSkipHostKeyCheck?: boolean;
  useAgent?: boolean;
  bastion?: { address: string; port?: number; user?: string; hostKey?: string };
}

export interface Connection {
  readonly target: SshTarget;
  readonly credentials: SshCredentials;
  /** The bearer tokens (`quantlab:tokens`), for health probes. */
  readonly tokens: Readonly<Record<string, string>>;
}

/** The connection the stack config describes (`quantlab:host`, `quantlab:sshPrivateKey`, `quantlab:sshKeyPassphrase`). */
export function connectionFromConfig(get: ConfigGetter): Connection {
  const raw = get("quantlab:host");
  if (!raw) throw new Error("host provider: quantlab:host is not set in the stack config");
  const host = JSON.parse(raw) as HostConfig;
  const bastion = host.bastion
    ? { address: host.bastion.address, port: host.bastion.port ?? 22, user: host.bastion.user ?? "root", hostKey: host.bastion.hostKey }
    : undefined;
  return {
    target: {
      address: host.address,
      port: host.port ?? 22,
      user: host.user ?? "root",
      hostKey: host.insecureSkipHostKeyCheck ? undefined : host.hostKey,
      ...(bastion ? { bastion } : {}),
    },
    credentials: {
      privateKey: get("quantlab:sshPrivateKey") || undefined,
      passphrase: get("quantlab:sshKeyPassphrase") || undefined,
      agent: host.useAgent ? process.env.SSH_AUTH_SOCK : undefined,
    },
    tokens: JSON.parse(get("quantlab:tokens") || "{}") as Record<string, string>,
  };
}

const CONTEXT_KEY = Symbol.for("quantlab-infra.provider-connection");
type Holder = { [CONTEXT_KEY]?: Connection };

/** Called by the stubs' configure(): remembers the stack's connection for this provider process. */
export function configure(get: ConfigGetter): void {
  (globalThis as Holder)[CONTEXT_KEY] = connectionFromConfig(get);
}

/** The pooled SSH connection to the stack's host, for a resource that belongs to `address`. */
export async function hostFor(address: string, resource: string): Promise<SshConnection> {
  const conn = (globalThis as Holder)[CONTEXT_KEY];
  if (!conn) throw new Error(`${resource}: the host provider was not configured (no stack config)`);
  if (conn.target.address !== address) {
    throw new Error(
      `${resource}: belongs to host ${address}, but the stack now targets ${conn.target.address}; ` +
        `destroy it on the old host first (point quantlab:host.address back), or drop it from the state with \`pulumi state delete\``,
    );
  }
  return connect(conn.target, conn.credentials);
}

/** The value of a bearer token from the stack config, for a health probe's header. */
export function tokenValue(name: string, resource: string): string {
  const value = (globalThis as Holder)[CONTEXT_KEY]?.tokens[name];
  if (!value) throw new Error(`${resource}: quantlab:tokens.${name} is not set`);
  return value;
}

/** Every secret value the provider holds (the bearer tokens), for redacting text that leaves the host. */
export function secretValues(): string[] {
  return Object.values((globalThis as Holder)[CONTEXT_KEY]?.tokens ?? {}).filter((v) => v.length > 0);
}

export const sha256 = (text: string): string => crypto.createHash("sha256").update(text).digest("hex");

/** Runs a script; throws `<resource>: <trimmed stderr>` on a non-zero exit. */
export async function run(address: string, resource: string, script: string, stdin = ""): Promise<string> {
  const host = await hostFor(address, resource);
  const r = await host.exec(script, stdin);
  if (r.code !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).split("\n").slice(-30).join("\n");
    throw new Error(`${resource} on ${address}: ${detail}`);
  }
  return r.stdout;
}
