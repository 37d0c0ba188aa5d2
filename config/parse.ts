/**
 * Stack config, parsed once at the edge: the raw `quantlab:*` key/value map
 * (as `pulumi.runtime.allConfig()` returns it) -> typed config, model and
 * secrets, or a ConfigError that lists every problem with its key path.
 * Nothing here touches Pulumi, so the same code is tested without an engine.
 */
import { configSchema, type HostSettings, type SchemaConfig, type ServicesConfig, type StackConfig } from "./schema";
import { requiredTokens, resolveModel, type Model } from "../model/model";
import { SERVICE_NAMES, type TokenName } from "../model/catalog";
import type { HostTarget } from "../model/input";
import { hostProblems, stackProblems } from "./cross";
import { fleetHosts, fleetProblems, rolloutWaves, targetOf } from "./fleet";
import { ConfigError, describe, key, NAMESPACE, zodProblems } from "./problems";
import { SECRET_KEYS, secretProblems, type Secrets } from "./secrets";

export { ConfigError, NAMESPACE } from "./problems";
export { hostTarget } from "./fleet";
export type { Secrets } from "./secrets";
export type { HostTarget } from "../model/input";

const PLAIN_KEYS = ["host", "hosts", "runtime", "services", "env", "s3", "cron", "code", "rollout", "generations"] as const;

export interface ParseOptions {
  /**
   * The keys stored encrypted in the stack file: full keys
   * ("quantlab:tokens") or leaf paths ("quantlab:tokens.labeld"). With it,
   * a secret written in plaintext is refused; undefined skips that check
   * (Pulumi mocks, where nothing is encrypted). @default undefined
   */
  readonly secretKeys?: ReadonlySet<string>;
}

/** One host of the stack: its name (`host` for the single-host form), where it is, and what it runs. */
export interface ParsedHost {
  readonly name: string;
  readonly target: HostTarget;
  readonly model: Model;
  /** Its connection settings and services as parsed (the stack's with its own merged over them): its single-host config. */
  readonly settings: { readonly host: HostSettings; readonly services: ServicesConfig };
}

export interface ParsedStack {
  /** The config as parsed; for a fleet, `host` is the first host's and `services` the stack-level ones. */
  readonly config: StackConfig;
  /** The first host's model. */
  readonly model: Model;
  readonly secrets: Secrets;
  /** Every host, in list order. */
  readonly hosts: readonly ParsedHost[];
  /** The waves of host names `up` converges in turn, and how many hosts of a wave may fail before the rollout stops. */
  readonly rollout: { readonly waves: readonly (readonly string[])[]; readonly maxFailedHosts: number };
  /** How many generations each host keeps. */
  readonly generations: { readonly keep: number };
}

const objectAt = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * What decides the required secrets, read from a config the schema rejected:
 * a service is on unless `enabled: false` (a host's own flag first).
 */
function lenientSecrets(plain: Record<string, unknown>): { required: TokenName[]; keyRequired: boolean } {
  const stack = objectAt(plain.services);
  const entries = Array.isArray(plain.hosts) ? plain.hosts.map(objectAt) : [objectAt(plain.host)];
  const required = entries.flatMap((entry) => {
    const own = objectAt(entry.services);
    const enabled = (n: string) => (objectAt(own[n]).enabled ?? objectAt(stack[n]).enabled) !== false;
    const services = Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: enabled(n) }]));
    return requiredTokens({ services } as unknown as SchemaConfig);
  });
  return { required: [...new Set(required)].sort(), keyRequired: entries.length === 0 || entries.some((e) => e.useAgent !== true) };
}

/** Exactly one of quantlab:host and quantlab:hosts. */
function hostKeyProblems(plain: Record<string, unknown>): string[] {
  if (plain.host !== undefined && plain.hosts !== undefined) {
    return [`${key(["hosts"])}: set either quantlab:host (one host) or quantlab:hosts (a list of hosts), not both`];
  }
  if (plain.host === undefined && plain.hosts === undefined) {
    return [`${key(["host"])}: expected an object with address, port, user, hostKey (or a list of hosts in quantlab:hosts), got nothing`];
  }
  return [];
}

function parseJsonValue(name: string, text: string | undefined): { value?: unknown; problem?: string } {
  if (text === undefined) return {};
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { problem: `${key([name])}: expected a structured value (set it with --path or as a YAML object), got ${describe(text)}` };
  }
}

/**
 * `quantlab:s3` without its two secret leaves, and the leaves apart (`s3Credentials`): the settings go
 * through the schema and into the hosts' configs, the keys only where secrets go.
 */
function splitS3(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { s3: value };
  const { accessKeyId, secretAccessKey, ...settings } = value as Record<string, unknown>;
  const given = accessKeyId !== undefined || secretAccessKey !== undefined;
  return { s3: settings, ...(given ? { s3Credentials: { accessKeyId, secretAccessKey } } : {}) };
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
      else if (name === "s3") Object.assign(raw, splitS3(parsed.value));
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
  const hostKeys = hostKeyProblems(plain);
  problems.push(...hostKeys);

  const result = configSchema.safeParse(plain);
  if (!result.success || hostKeys.length > 0) {
    // The secrets are still checked, against what the raw config enables, so one run lists every problem.
    const lenient = lenientSecrets(plain);
    const { problems: secretIssues } = secretProblems(raw, lenient.required, lenient.keyRequired, options.secretKeys);
    throw new ConfigError([
      ...problems,
      ...(result.success ? stackProblems(result.data) : zodProblems(result.error.issues, plain)),
      ...secretIssues,
    ]);
  }
  const config = result.data;
  const fleet = fleetHosts(config);
  // A stack-level problem shows on every host: listed once.
  const perHost = [...new Set(fleet.flatMap((h) => hostProblems(config, h)))];
  problems.push(...stackProblems(config), ...fleetProblems(config, fleet), ...perHost);
  const inputs = fleet.map((h) => ({ ...config, services: h.services }));
  const required = [...new Set(inputs.flatMap((input) => requiredTokens(input)))].sort();
  const { problems: secretIssues, secrets } = secretProblems(
    raw,
    required,
    fleet.some((h) => !h.host.useAgent),
    options.secretKeys,
  );
  problems.push(...secretIssues);
  if (problems.length > 0) throw new ConfigError(problems);

  const hosts = fleet.map((h, i): ParsedHost => ({
    name: h.name,
    target: targetOf(h.host),
    model: resolveModel(inputs[i]!),
    settings: { host: h.host, services: h.services },
  }));
  const { host: _host, hosts: _hosts, ...rest } = config;
  return {
    config: { ...rest, host: fleet[0]!.host },
    model: hosts[0]!.model,
    secrets,
    hosts,
    rollout: {
      waves: rolloutWaves(
        hosts.map((h) => h.name),
        config.rollout,
      ),
      maxFailedHosts: config.rollout.maxFailedHosts,
    },
    generations: { keep: config.generations.keep },
  };
}
