/**
 * Stack config, parsed once at the edge: the raw `quantlab:*` key/value map
 * (as `pulumi.runtime.allConfig()` returns it) -> typed config, model and
 * secrets, or a ConfigError that lists every problem with its key path.
 * Nothing here touches Pulumi, so the same code is tested without an engine.
 */
import { configSchema, type HostSettings, type SchemaConfig, type StackConfig } from "./schema";
import { requiredTokens, resolveModel, type Model } from "../model/model";
import type { TokenName } from "../model/catalog";
import { hostProblems, stackProblems, type HostScope } from "./cross";
import { ConfigError, describe, key, NAMESPACE, zodProblems } from "./problems";
import { SECRET_KEYS, secretProblems, type Secrets } from "./secrets";

export { ConfigError, NAMESPACE } from "./problems";
export type { Secrets } from "./secrets";

const PLAIN_KEYS = ["host", "runtime", "services", "env", "s3", "cron", "code"] as const;

export interface ParseOptions {
  /**
   * The keys stored encrypted in the stack file: full keys
   * ("quantlab:tokens") or leaf paths ("quantlab:tokens.labeld"). With it,
   * a secret written in plaintext is refused; undefined skips that check
   * (Pulumi mocks, where nothing is encrypted). @default undefined
   */
  readonly secretKeys?: ReadonlySet<string>;
}

export interface ParsedStack {
  readonly config: StackConfig;
  readonly model: Model;
  readonly secrets: Secrets;
}

const objectAt = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** What decides the required secrets, read from a config the schema rejected: a service is on unless `enabled: false`. */
function lenientSecrets(plain: Record<string, unknown>): { required: TokenName[]; keyRequired: boolean } {
  const services = Object.fromEntries(
    Object.entries(objectAt(plain.services)).map(([n, o]) => [n, { enabled: objectAt(o).enabled !== false }]),
  ) as unknown as SchemaConfig["services"];
  return { required: requiredTokens({ services } as unknown as SchemaConfig), keyRequired: objectAt(plain.host).useAgent !== true };
}

function parseJsonValue(name: string, text: string | undefined): { value?: unknown; problem?: string } {
  if (text === undefined) return {};
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { problem: `${key([name])}: expected a structured value (set it with --path or as a YAML object), got ${describe(text)}` };
  }
}

/** The raw values by name, and the problems of keys that are unknown or not JSON. */
function readRaw(all: Readonly<Record<string, string>>): { raw: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(all)) {
    const [ns, name] = fullKey.split(":", 2) as [string, string | undefined];
    if (ns !== NAMESPACE || name === undefined) continue;
    if ((PLAIN_KEYS as readonly string[]).includes(name)) {
      const parsed = parseJsonValue(name, text);
      if (parsed.problem) problems.push(parsed.problem);
      else raw[name] = parsed.value;
    } else if (name === "tokens") {
      // Text that is no JSON stays text: secrets.ts names the shape without showing it.
      const parsed = parseJsonValue(name, text);
      raw[name] = parsed.problem ? text : parsed.value;
    } else if (name === "sshPrivateKey" || name === "sshKeyPassphrase") {
      raw[name] = text;
    } else {
      problems.push(`${key([name])}: unknown key (known: ${[...PLAIN_KEYS, ...SECRET_KEYS].join(", ")})`);
    }
  }
  return { raw, problems };
}

/**
 * Parses the whole `quantlab:*` config. `all` maps full keys
 * ("quantlab:host") to their raw string values, as allConfig() returns them
 * (structured values are JSON text; secrets are already decrypted).
 */
export function parseStackConfig(all: Readonly<Record<string, string>>, options: ParseOptions = {}): ParsedStack {
  const { raw, problems } = readRaw(all);
  const plain = Object.fromEntries(PLAIN_KEYS.filter((k) => k in raw).map((k) => [k, raw[k]]));
  if (plain.host === undefined) problems.push(`${key(["host"])}: expected an object with address, port, user, hostKey, got nothing`);

  const result = configSchema.safeParse(plain);
  if (!result.success || plain.host === undefined) {
    // The secrets are still checked, against what the raw config enables, so one run lists every problem.
    const lenient = lenientSecrets(plain);
    const { problems: secretIssues } = secretProblems(raw, lenient.required, lenient.keyRequired, options.secretKeys);
    throw new ConfigError([...problems, ...(result.success ? stackProblems(result.data) : zodProblems(result.error.issues, plain)), ...secretIssues]);
  }
  const config = result.data;
  const host = config.host as HostSettings;
  const scope: HostScope = { host, services: config.services, hostPath: (f) => ["host", f], servicePath: (n, f) => ["services", n, f] };
  problems.push(...stackProblems(config), ...hostProblems(config, scope));
  const { problems: secretIssues, secrets } = secretProblems(raw, requiredTokens(config), !host.useAgent, options.secretKeys);
  problems.push(...secretIssues);
  if (problems.length > 0) throw new ConfigError(problems);

  return { config: { ...config, host }, model: resolveModel(config), secrets };
}
