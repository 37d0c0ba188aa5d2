/**
 * The stack config as the Pulumi CLI prints it (`pulumi config
 * --show-secrets --json`): the values as allConfig() gives them, and the
 * keys that were stored encrypted, for parseStackConfig's plaintext check.
 */
import * as YAML from "yaml";

export interface CliConfig {
  /** Full key -> raw value (structured values as JSON text), secrets decrypted. */
  readonly values: Record<string, string>;
  /** Full keys, or leaf paths ("quantlab:tokens.labeld"), stored encrypted. */
  readonly secretKeys: ReadonlySet<string>;
}

type Entry = { value?: string; objectValue?: unknown; secret?: boolean };

/** A `secure:` leaf as the stack file holds it: a map of exactly one string `secure`. */
export const isSecure = (v: unknown): v is { readonly secure: string } =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  typeof (v as { secure?: unknown }).secure === "string";

/** The paths of the `secure:` leaves under `value`, `path` included when it is one. */
export function secureLeaves(value: unknown, path: string): string[] {
  if (isSecure(value)) return [path];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => secureLeaves(v, `${path}.${k}`));
}

/**
 * Values and secret keys of the CLI's JSON. The CLI flags a structured
 * value secret when any one of its leaves is encrypted; given the stack
 * file's text, such a key is narrowed to the leaves encrypted in it, so a
 * plaintext token beside encrypted ones is found.
 */
export function configFromCliJson(json: string, stackFile?: string): CliConfig {
  const entries = JSON.parse(json) as Record<string, Entry>;
  const values = Object.fromEntries(
    Object.entries(entries).map(([k, v]) => [k, v.objectValue !== undefined ? JSON.stringify(v.objectValue) : (v.value ?? "")]),
  );
  const written =
    stackFile === undefined
      ? {}
      : (((YAML.parse(stackFile) as { config?: Record<string, unknown> } | null)?.config ?? {}) as Record<string, unknown>);
  const secretKeys = new Set<string>();
  for (const [k, v] of Object.entries(entries)) {
    if (v.secret !== true) continue;
    const leaves = k in written ? secureLeaves(written[k], k) : [];
    // No leaf found (a secret from elsewhere than this file): keep the CLI's word for the whole key.
    for (const leaf of leaves.length > 0 ? leaves : [k]) secretKeys.add(leaf);
  }
  return { values, secretKeys };
}
