/**
 * A sandbox stack: everything in .sandbox/<stack>/. The host (or, for a
 * fleet, one host per entry of `quantlab:hosts` at .sandbox/<stack>/<name>,
 * booted at the same time), a stack file made from the base config plus each
 * sandbox's address and host key, random tokens for every token the base
 * lacks and the SSH key (all stored encrypted, never in a tracked file), its
 * own passphrase (0600) and its own backend.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { S3_KEY_LEAVES } from "../config/secrets";
import { TOKEN_NAMES } from "../model/catalog";
import { must } from "./run";
import { Sandbox, type SandboxS3 } from "./sandbox";

type StackDoc = { encryptionsalt?: string; secretsprovider?: string; config?: Record<string, unknown> };
export const readDoc = (file: string): StackDoc =>
  fs.existsSync(file) ? ((YAML.parse(fs.readFileSync(file, "utf8")) as StackDoc | null) ?? {}) : {};

const SECRET_KEYS = ["quantlab:tokens", "quantlab:sshPrivateKey", "quantlab:sshKeyPassphrase"];
const NAME = /^[a-z0-9-]{1,40}$/;

/** The entry names of a base config's `quantlab:hosts`, or undefined for a single-host config. */
export function fleetNames(base: StackDoc): string[] | undefined {
  const hosts = base.config?.["quantlab:hosts"];
  if (!Array.isArray(hosts)) return undefined;
  return hosts.map((h, i) => {
    const name = (h as { name?: unknown })?.name;
    if (typeof name !== "string" || !NAME.test(name))
      throw new Error(`quantlab:hosts.${i}.name: expected a host name of [a-z0-9-] (a sandbox host is booted per entry)`);
    return name;
  });
}

export interface SandboxHosts {
  /** The single host, or one per fleet entry by name. */
  readonly hosts: ReadonlyMap<string | undefined, Sandbox>;
  /** The private key every host of the stack accepts. */
  readonly privateKeyPath: string;
  /** The keys every host's S3 server takes. */
  readonly s3: SandboxS3;
}

/** Boots (or reuses) the stack's sandbox host(s), in parallel; a fleet's hosts all accept the stack's own key. */
export async function sandboxHosts(dir: string, base: StackDoc): Promise<SandboxHosts> {
  const names = fleetNames(base);
  if (!names) {
    const sandbox = await Sandbox.up(dir);
    return { hosts: new Map([[undefined, sandbox]]), privateKeyPath: sandbox.host.privateKeyPath, s3: sandbox.s3() };
  }
  const key = path.join(dir, "id_ed25519");
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(key)) await must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `quantlab-sandbox-stack`, "-f", key]);
  const pub = fs.readFileSync(`${key}.pub`, "utf8");
  const hosts = await Promise.all(
    names.map(async (n) => {
      const sandbox = await Sandbox.up(path.join(dir, n));
      await sandbox.authorize(pub);
      return [n, sandbox] as const;
    }),
  );
  const s3 = hosts[0]![1].s3();
  await Promise.all(hosts.slice(1).map(([, sandbox]) => sandbox.useS3Keys(s3)));
  return { hosts: new Map(hosts), privateKeyPath: key, s3 };
}

type CodeDoc = { git?: { remote?: unknown; ref?: unknown } } | undefined;

/** The ref `quantlab deploy --ref` set on the sandbox's stack survives the rewrite, while the base names the same remote. */
export function keepDeployedRef(base: unknown, old: unknown): unknown {
  const [b, o] = [base as CodeDoc, old as CodeDoc];
  if (!b?.git || !o?.git || o.git.ref === undefined || b.git.remote !== o.git.remote) return base;
  return { ...b, git: { ...b.git, ref: o.git.ref } };
}

const connection = (s: Sandbox) => ({ address: s.host.address, port: s.host.port, user: s.host.user, hostKey: s.host.hostKey });

/** The sandbox's stack file: the base config with each sandbox's connection, and the secrets set earlier (kept encrypted). */
export function writeSandboxConfig(base: StackDoc, target: string, sandboxes: SandboxHosts): void {
  const old = readDoc(target);
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base.config ?? {})) if (!SECRET_KEYS.includes(k)) config[k] = v;
  const single = sandboxes.hosts.get(undefined);
  if (single) config["quantlab:host"] = connection(single);
  else
    config["quantlab:hosts"] = (base.config!["quantlab:hosts"] as Record<string, unknown>[]).map((h) => ({
      ...h,
      ...connection(sandboxes.hosts.get(h.name as string)!),
    }));
  for (const k of SECRET_KEYS) if (old.config?.[k] !== undefined) config[k] = old.config[k];
  // The S3 keys set earlier (encrypted leaves of quantlab:s3) stay beside the base's settings.
  const oldS3 = (old.config?.["quantlab:s3"] ?? {}) as Record<string, unknown>;
  if (config["quantlab:s3"] && typeof config["quantlab:s3"] === "object")
    for (const leaf of S3_KEY_LEAVES)
      if (oldS3[leaf] !== undefined && (config["quantlab:s3"] as Record<string, unknown>)[leaf] === undefined)
        config["quantlab:s3"] = { ...(config["quantlab:s3"] as object), [leaf]: oldS3[leaf] };
  config["quantlab:code"] = keepDeployedRef(config["quantlab:code"], old.config?.["quantlab:code"]);
  if (config["quantlab:code"] === undefined) delete config["quantlab:code"];
  const doc: StackDoc = { ...(old.encryptionsalt ? { encryptionsalt: old.encryptionsalt } : {}), config };
  fs.writeFileSync(`${target}.tmp`, YAML.stringify(doc), { mode: 0o600 });
  fs.renameSync(`${target}.tmp`, target);
}

export function sandboxPassphrase(dir: string): string {
  const file = path.join(dir, "passphrase");
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
  return fs.readFileSync(file, "utf8").trim();
}

/** Sets `value` as `key` unless the stack file has it and it is the one set last (its hash in workDir/<name>). */
async function setWhenChanged(have: boolean, workDir: string, name: string, value: string, set: () => Promise<void>): Promise<void> {
  const stamp = path.join(workDir, name);
  const hash = crypto.createHash("sha256").update(value).digest("hex");
  if (have && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash) return;
  await set();
  fs.writeFileSync(stamp, hash, { mode: 0o600 });
}

/**
 * The secrets a sandbox stack sets itself: each missing token, the SSH key and the S3 server's keys when they
 * changed (with a new sandbox), unless the base file sets its own S3 keys.
 */
export async function sandboxSecrets(
  configFile: string,
  workDir: string,
  sandboxes: Pick<SandboxHosts, "privateKeyPath" | "s3">,
  set: (key: string, value: string) => Promise<void>,
  base: StackDoc = {},
): Promise<void> {
  const have = readDoc(configFile).config ?? {};
  const tokens = (have["quantlab:tokens"] ?? {}) as Record<string, unknown>;
  for (const t of TOKEN_NAMES) if (tokens[t] === undefined) await set(`quantlab:tokens.${t}`, crypto.randomBytes(24).toString("hex"));
  // The keys change only with a new sandbox: set them again only then (one CLI call less per command).
  const key = fs.readFileSync(sandboxes.privateKeyPath, "utf8");
  await setWhenChanged(have["quantlab:sshPrivateKey"] !== undefined, workDir, "ssh-key-set.sha256", key, () =>
    set("quantlab:sshPrivateKey", key),
  );
  const own = (base.config?.["quantlab:s3"] ?? {}) as Record<string, unknown>;
  if (own.accessKeyId !== undefined || own.secretAccessKey !== undefined) return;
  const s3 = (have["quantlab:s3"] ?? {}) as Record<string, unknown>;
  const { accessKeyId, secretAccessKey } = sandboxes.s3;
  await setWhenChanged(
    s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined,
    workDir,
    "s3-keys-set.sha256",
    `${accessKeyId}:${secretAccessKey}`,
    async () => {
      await set("quantlab:s3.accessKeyId", accessKeyId);
      await set("quantlab:s3.secretAccessKey", secretAccessKey);
    },
  );
}
