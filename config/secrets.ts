/**
 * The stack's secrets (`quantlab:tokens`, `quantlab:sshPrivateKey`,
 * `quantlab:sshKeyPassphrase`, the S3 keys `quantlab:s3.accessKeyId` and
 * `quantlab:s3.secretAccessKey`): present where needed, well-formed, stored
 * encrypted, and never shown in a message, whatever shape they were given in.
 */
import { TOKEN_NAMES, type TokenName } from "../model/catalog";
import type { S3Credentials } from "../model/input";
import { key, NAMESPACE } from "./problems";

export const SECRET_KEYS = ["tokens", "sshPrivateKey", "sshKeyPassphrase"] as const;

export interface Secrets {
  readonly tokens: Readonly<Partial<Record<TokenName, string>>>;
  readonly sshPrivateKey: string;
  /** The S3 users' keys; absent: they use the host's own role. */
  readonly s3?: S3Credentials;
}

const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;
const NOT_SHOWN = "the value is secret and not shown";

export const setTokenCommand = (name: string): string => `openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.${name}`;
const SET_KEY = "npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519";
const SET_PASSPHRASE = "npx quantlab secret --stack STACK --key sshKeyPassphrase";
const setS3Command = (leaf: string): string => `npx quantlab secret --stack STACK --key s3.${leaf}`;

/** The secret leaves of `quantlab:s3`. */
export const S3_KEY_LEAVES = ["accessKeyId", "secretAccessKey"] as const;

/** Each S3 key's shape: plain characters only (they go into env files and a curl config line). */
const S3_KEYS = {
  accessKeyId: { shape: /^[A-Za-z0-9]{3,128}$/, text: "3-128 letters and digits" },
  secretAccessKey: { shape: /^[A-Za-z0-9+/=._~-]{8,256}$/, text: "8-256 characters of [A-Za-z0-9+/=._~-]" },
} as const;

const plaintext = (path: readonly string[], command: string, what = "it"): string =>
  `${key(path)}: written in plaintext in the stack file (${NOT_SHOWN}); remove it there and store ${what} encrypted with: ${command}`;

/**
 * Whether the value at `name` (and, inside a map, `sub`) was stored
 * encrypted. `secretKeys` holds full keys ("quantlab:tokens": the whole value,
 * or some part of it, is encrypted, as Pulumi reports it) or leaf paths
 * ("quantlab:tokens.labeld", from the stack file itself).
 */
const encrypted = (secretKeys: ReadonlySet<string>, name: string, sub?: string): boolean =>
  secretKeys.has(`${NAMESPACE}:${name}`) || (sub !== undefined && secretKeys.has(`${NAMESPACE}:${name}.${sub}`));

/** The `quantlab:tokens` value as written: a map, or undefined when it is not one (already reported). */
function tokenMap(raw: Record<string, unknown>, problems: string[]): Record<string, unknown> | undefined {
  const tokens = raw.tokens ?? {};
  if (typeof tokens === "object" && tokens !== null && !Array.isArray(tokens)) return tokens as Record<string, unknown>;
  problems.push(
    `${key(["tokens"])}: expected a map of token name to secret (${NOT_SHOWN}); remove it from the stack file and set each token with: ${setTokenCommand("<name>")}`,
  );
  return undefined;
}

/**
 * Every secret problem, with the secrets that passed. `raw` holds the
 * secret keys by name: `tokens` parsed from its JSON (or the text itself
 * when it was none), the key and passphrase as text. With `secretKeys`
 * (the keys stored encrypted) a plaintext secret is refused too.
 */
export function secretProblems(
  raw: Record<string, unknown>,
  required: readonly TokenName[],
  keyRequired: boolean,
  secretKeys: ReadonlySet<string> | undefined,
): { problems: string[]; secrets: Secrets } {
  const problems: string[] = [];
  const tokens: Partial<Record<TokenName, string>> = {};
  const map = tokenMap(raw, problems);
  if (map) {
    const plain = (k: string): boolean =>
      secretKeys !== undefined && map[k] !== undefined && map[k] !== "" && !encrypted(secretKeys, "tokens", k);
    for (const k of Object.keys(map)) {
      if (!(TOKEN_NAMES as readonly string[]).includes(k)) {
        problems.push(`${key(["tokens", k])}: unknown token (known: ${TOKEN_NAMES.join(", ")})`);
      } else if (plain(k)) {
        // Replaced, not checked: a token that sat in the file in plaintext is known to whoever read it.
        problems.push(plaintext(["tokens", k], setTokenCommand(k), "a new one"));
      }
    }
    for (const name of required) {
      const value = map[name];
      if (value === undefined || value === "") {
        problems.push(`${key(["tokens", name])}: missing secret; set it with: ${setTokenCommand(name)}`);
      } else if (plain(name)) {
        continue;
      } else if (typeof value !== "string" || !TOKEN_SHAPE.test(value)) {
        problems.push(
          `${key(["tokens", name])}: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; ${NOT_SHOWN})`,
        );
      } else {
        tokens[name] = value;
      }
    }
  }

  const sshPrivateKey = raw.sshPrivateKey;
  const given = sshPrivateKey !== undefined && sshPrivateKey !== "";
  if (!given && keyRequired) {
    problems.push(`${key(["sshPrivateKey"])}: missing secret; set it with: ${SET_KEY}`);
  } else if (given && secretKeys && !encrypted(secretKeys, "sshPrivateKey")) {
    problems.push(plaintext(["sshPrivateKey"], SET_KEY));
  } else if (given && (typeof sshPrivateKey !== "string" || !/^-----BEGIN [A-Z ]*PRIVATE KEY-----\n/.test(sshPrivateKey))) {
    problems.push(
      `${key(["sshPrivateKey"])}: expected a PEM/OpenSSH private key starting with "-----BEGIN ... PRIVATE KEY-----" (${NOT_SHOWN})`,
    );
  }
  const s3 = s3Credentials(raw.s3Credentials, secretKeys, problems);
  const passphrase = raw.sshKeyPassphrase;
  if (passphrase !== undefined && passphrase !== "" && secretKeys && !encrypted(secretKeys, "sshKeyPassphrase")) {
    problems.push(plaintext(["sshKeyPassphrase"], SET_PASSPHRASE));
  }
  return { problems, secrets: { tokens, sshPrivateKey: typeof sshPrivateKey === "string" ? sshPrivateKey : "", ...(s3 ? { s3 } : {}) } };
}

/** The S3 keys: both or neither, each stored encrypted and well-formed; undefined when absent or refused. */
function s3Credentials(raw: unknown, secretKeys: ReadonlySet<string> | undefined, problems: string[]): S3Credentials | undefined {
  if (raw === undefined) return undefined;
  const given = raw as Partial<Record<keyof typeof S3_KEYS, unknown>>;
  const before = problems.length;
  for (const leaf of Object.keys(S3_KEYS) as (keyof typeof S3_KEYS)[]) {
    const value = given[leaf];
    const other = leaf === "accessKeyId" ? "secretAccessKey" : "accessKeyId";
    if (value === undefined || value === "") {
      problems.push(
        `${key(["s3", leaf])}: missing secret (quantlab:s3.${other} is set: give both, or neither for the host's own role); set it with: ${setS3Command(leaf)}`,
      );
    } else if (secretKeys && !encrypted(secretKeys, "s3", leaf)) {
      problems.push(plaintext(["s3", leaf], setS3Command(leaf), leaf === "secretAccessKey" ? "a new one" : "it"));
    } else if (typeof value !== "string" || !S3_KEYS[leaf].shape.test(value)) {
      problems.push(`${key(["s3", leaf])}: expected ${S3_KEYS[leaf].text} (${NOT_SHOWN})`);
    }
  }
  return problems.length === before ? (given as unknown as S3Credentials) : undefined;
}
