/**
 * The config one host's provider is configured with: a single-host stack
 * config (the `quantlab:*` keys, defaults applied, keys sorted), the same
 * text whether the host came from `quantlab:host` or from an entry of
 * `quantlab:hosts`, so moving a stack between the two changes nothing. The
 * provider parses it again with parseStackConfig (secrets added), so it
 * never reads a host's config without the schema.
 */
import type { ParsedHost, ParsedStack } from "./parse";
import { S3_KEY_LEAVES } from "./secrets";

/** JSON with object keys sorted at every level: the same value is the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** `quantlab:<key>` -> JSON text of one host's single-host config, without secrets. */
export function hostConfig(parsed: ParsedStack, host: ParsedHost): Record<string, string> {
  const c = parsed.config;
  const keys = {
    host: host.settings.host,
    runtime: c.runtime,
    services: host.settings.services,
    env: c.env,
    s3: c.s3,
    cron: c.cron,
    code: c.code,
    generations: parsed.generations,
    // A host of a fleet of several fails softly (rolled back and reported, the wave's other hosts run on); only
    // the tolerance reaches it. A fleet of one is a single host: its config is the same as the quantlab:host form's.
    ...(parsed.hosts.length > 1 ? { rollout: { maxFailedHosts: parsed.rollout.maxFailedHosts } } : {}),
  };
  return Object.fromEntries(Object.entries(keys).map(([k, v]) => [`quantlab:${k}`, stableJson(v)]));
}

/** The S3 keys of a `quantlab:s3` value, as JSON text, when it has any. */
function s3Secrets(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const leaves = S3_KEY_LEAVES.flatMap((k) =>
    (value as Record<string, unknown>)[k] !== undefined ? [[k, (value as Record<string, unknown>)[k]]] : [],
  );
  return leaves.length ? stableJson(Object.fromEntries(leaves)) : undefined;
}

/** The stack's secrets as config keys (added to a host config inside the provider only); of `quantlab:s3`, only its keys. */
export function secretConfig(all: Readonly<Record<string, string>>): Record<string, string> {
  const s3 = s3Secrets(all["quantlab:s3"]);
  return Object.fromEntries([
    ...["quantlab:tokens", "quantlab:sshPrivateKey", "quantlab:sshKeyPassphrase"].flatMap((k) =>
      all[k] !== undefined && all[k] !== "" ? [[k, all[k]!]] : [],
    ),
    ...(s3 ? [["quantlab:s3", s3]] : []),
  ]);
}

/** A host config with the stack's secrets added (secretConfig's): the S3 keys go into the host's `quantlab:s3`. */
export function withSecrets(config: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): Record<string, string> {
  const all = { ...config, ...secrets };
  if (config["quantlab:s3"] !== undefined && secrets["quantlab:s3"] !== undefined)
    all["quantlab:s3"] = stableJson({ ...JSON.parse(config["quantlab:s3"]), ...JSON.parse(secrets["quantlab:s3"]) });
  return all;
}
