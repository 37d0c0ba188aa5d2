/**
 * The stack file's config decrypted in this process, as `pulumi config
 * --show-secrets --json` would give it (configFromCliJson's CliConfig),
 * without starting the CLI (0.5-0.8 s per command here, most of a no-op's
 * time outside the engine).
 *
 * Pulumi's passphrase secrets provider (pulumi 3.248, sdk/go/common/
 * resource/config/crypt.go, pkg/secrets/passphrase/manager.go):
 * - `encryptionsalt: v1:<salt>:v1:<nonce>:<ciphertext>`: the key is
 *   PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds, 32 bytes), and the
 *   ciphertext after the salt must open to "pulumi" (the passphrase check);
 * - `secure: v1:<nonce>:<ciphertext>`: AES-256-GCM, the 16-byte tag after the
 *   ciphertext, no associated data; base64 throughout.
 *
 * This is a fast path only. It answers for the files this package writes:
 * string, boolean and decimal integer scalars, maps and lists of them, and
 * `secure:` leaves. For anything whose reading could differ between this
 * YAML parser and the CLI's (nulls, floats, YAML 1.1 booleans, octal or
 * timestamp-like words, tags, aliases), another secrets provider, an ESC
 * environment, or a passphrase that does not open the salt, it answers
 * undefined and the caller asks the CLI, whose word (and error text) stands.
 */
import * as crypto from "crypto";
import * as YAML from "yaml";
import { isSecure, secureLeaves, type CliConfig } from "./cliJson";

/** Where Pulumi itself finds the passphrase: the variable first (even empty), then the file, trimmed. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv, readFile: (p: string) => string): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file === undefined || file === "") return undefined;
  try {
    return readFile(file).trim();
  } catch {
    return undefined; // the CLI names the unreadable file
  }
}

class NotMine extends Error {}
const notMine = (): never => {
  throw new NotMine();
};

type Plain = string | number | boolean | Plain[] | { [k: string]: Plain };
type Secure = { readonly secure: string };
type Value = string | number | boolean | Secure | Value[] | { [k: string]: Value };

/** Plain words Go's YAML (1.1 rules in part) could read as something other than a string. */
const AMBIGUOUS = [
  /^(?:[yYnN~]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|null|Null|NULL)$/,
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
  /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/,
];

function scalar(node: YAML.Scalar): string | number | boolean {
  if (node.tag !== undefined || node.anchor !== undefined) notMine();
  const { value } = node;
  if (node.type !== "PLAIN") return typeof value === "string" ? value : notMine();
  const source = node.source ?? notMine();
  if (typeof value === "boolean") return /^(?:true|false)$/.test(source) ? value : notMine();
  if (typeof value === "number") return /^-?(?:0|[1-9][0-9]*)$/.test(source) && Number.isSafeInteger(value) ? value : notMine();
  if (typeof value !== "string" || AMBIGUOUS.some((re) => re.test(value))) notMine();
  return value as string;
}

function node(n: unknown): Value {
  if (YAML.isScalar(n)) return scalar(n);
  if (YAML.isMap(n)) {
    if (n.tag !== undefined || n.anchor !== undefined) notMine();
    const out: Record<string, Value> = {};
    for (const pair of n.items) {
      const key = YAML.isScalar(pair.key) ? scalar(pair.key) : notMine();
      if (typeof key !== "string" || key === "<<" || key in out) notMine();
      out[key as string] = node(pair.value);
    }
    if ("secure" in out && (Object.keys(out).length !== 1 || typeof out.secure !== "string")) notMine();
    return out;
  }
  if (YAML.isSeq(n)) {
    if (n.tag !== undefined || n.anchor !== undefined) notMine();
    return n.items.map(node);
  }
  return notMine(); // null, alias
}

const b64 = (s: string): Buffer => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) ? Buffer.from(s, "base64") : notMine());

function open(key: Buffer, ciphertext: string): string {
  const parts = ciphertext.split(":");
  if (parts.length !== 3 || parts[0] !== "v1") notMine();
  const nonce = b64(parts[1]!);
  const sealed = b64(parts[2]!);
  if (nonce.length !== 12 || sealed.length < 16) notMine();
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    return notMine();
  }
}

/** The value with its secure leaves opened, maps in Go's order (sorted keys), as the CLI's JSON has them. */
function reveal(v: Value, key: Buffer | undefined): Plain {
  if (isSecure(v)) return key === undefined ? notMine() : open(key, v.secure);
  if (Array.isArray(v)) return v.map((x) => reveal(x, key));
  if (typeof v === "object") {
    const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return Object.fromEntries(keys.map((k) => [k, reveal(v[k]!, key)]));
  }
  return v;
}

const derive = (passphrase: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    crypto.pbkdf2(passphrase, salt, 1_000_000, 32, "sha256", (err, key) => (err ? reject(err) : resolve(key))),
  );

/**
 * The stack file's CliConfig, or undefined when the CLI must answer (see
 * above). `project` is Pulumi.yaml's name, the namespace of a key written
 * without one.
 */
export async function decryptStackFile(text: string, passphrase: string | undefined, project: string): Promise<CliConfig | undefined> {
  try {
    const doc = YAML.parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
    const top = doc.contents === null ? {} : node(doc.contents);
    if (typeof top !== "object" || Array.isArray(top) || isSecure(top)) return undefined;
    const { config = {}, encryptionsalt, secretsprovider, ...rest } = top;
    if (Object.keys(rest).length > 0 || (secretsprovider !== undefined && secretsprovider !== "passphrase")) return undefined;
    if (typeof config !== "object" || Array.isArray(config) || isSecure(config)) return undefined;

    const entries = Object.entries(config).map(([k, v]) => {
      const full = k.includes(":") ? k : `${project}:${k}`; // Pulumi's namespace for a bare key
      if (full.split(":").length !== 2) notMine();
      return [full, v] as const;
    });
    const secretKeys = new Set(entries.flatMap(([k, v]) => secureLeaves(v, k)));

    let key: Buffer | undefined;
    if (secretKeys.size > 0) {
      if (passphrase === undefined || typeof encryptionsalt !== "string") return undefined;
      const [version, salt, ...check] = encryptionsalt.split(":");
      if (version !== "v1" || salt === undefined) return undefined;
      key = await derive(passphrase, b64(salt));
      if (open(key, check.join(":")) !== "pulumi") return undefined;
    }

    const values: Record<string, string> = {};
    for (const [k, v] of entries) {
      if (k in values) return undefined;
      const plain = reveal(v, key);
      values[k] = typeof plain === "string" ? plain : typeof plain === "object" ? JSON.stringify(plain) : String(plain);
    }
    return { values, secretKeys };
  } catch (e) {
    if (e instanceof NotMine) return undefined;
    throw e;
  }
}
