/**
 * Stack config, parsed once at the edge: the raw `quantlab:*` key/value map
 * (as `pulumi.runtime.allConfig()` returns it) -> typed config, model and
 * secrets, or a ConfigError that lists every problem with its key path.
 * Nothing here touches Pulumi, so the same code is tested without an engine.
 */
import type { z } from "zod";
import { configSchema, type StackConfig } from "./schema";
import { allEdges, cronJobEnabled, enabledServiceNames, requiredTokens, resolveModel, servicePort, type Model } from "../model/model";
import { SERVICE_NAMES, TOKEN_NAMES, type TokenName } from "../model/catalog";
import { DagError, validateDag } from "../model/dag";
import { CRON_JOB_NAMES, CRON_JOBS } from "../model/cron";
import { loopbackPort } from "./rules";

export const NAMESPACE = "quantlab";
const PLAIN_KEYS = ["host", "runtime", "services", "env", "s3", "cron", "code"] as const;
const SECRET_KEYS = ["tokens", "sshPrivateKey", "sshKeyPassphrase"] as const;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface Secrets {
  readonly tokens: Readonly<Partial<Record<TokenName, string>>>;
  readonly sshPrivateKey: string;
}

export interface ParsedStack {
  readonly config: StackConfig;
  readonly model: Model;
  readonly secrets: Secrets;
}

const key = (path: readonly PropertyKey[]): string => `${NAMESPACE}:${path.map(String).join(".")}`;

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The raw value at a key path: what the user wrote, whatever zod reports as input. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

function zodProblems(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => `${key([...issue.path, k])}: unknown key`);
    }
    return [`${key(issue.path)}: ${issue.message}, got ${describe(valueAt(input, issue.path))}`];
  });
}

const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;

function setTokenCommand(name: string): string {
  return `openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.${name}`;
}

function secretProblems(raw: Record<string, unknown>, required: readonly TokenName[], useAgent: boolean): { problems: string[]; secrets: Secrets } {
  const problems: string[] = [];
  const tokens: Partial<Record<TokenName, string>> = {};
  const rawTokens = raw.tokens ?? {};
  if (typeof rawTokens !== "object" || rawTokens === null || Array.isArray(rawTokens)) {
    problems.push(`${key(["tokens"])}: expected an object of secret tokens (the value is secret and not shown)`);
  } else {
    for (const k of Object.keys(rawTokens)) {
      if (!(TOKEN_NAMES as readonly string[]).includes(k)) {
        problems.push(`${key(["tokens", k])}: unknown token (known: ${TOKEN_NAMES.join(", ")})`);
      }
    }
    for (const name of required) {
      const value = (rawTokens as Record<string, unknown>)[name];
      if (value === undefined || value === "") {
        problems.push(`${key(["tokens", name])}: missing secret; set it with: ${setTokenCommand(name)}`);
      } else if (typeof value !== "string" || !TOKEN_SHAPE.test(value)) {
        problems.push(
          `${key(["tokens", name])}: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)`,
        );
      } else {
        tokens[name] = value;
      }
    }
  }
  const sshPrivateKey = raw.sshPrivateKey;
  if ((sshPrivateKey === undefined || sshPrivateKey === "") && !useAgent) {
    problems.push(`${key(["sshPrivateKey"])}: missing secret; set it with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519`);
  } else if (sshPrivateKey !== undefined && sshPrivateKey !== "" && (typeof sshPrivateKey !== "string" || !/^-----BEGIN [A-Z ]*PRIVATE KEY-----\n/.test(sshPrivateKey))) {
    problems.push(`${key(["sshPrivateKey"])}: expected a PEM/OpenSSH private key starting with "-----BEGIN ... PRIVATE KEY-----" (the value is secret and not shown)`);
  }
  return { problems, secrets: { tokens, sshPrivateKey: typeof sshPrivateKey === "string" ? sshPrivateKey : "" } };
}

/** Checks zod cannot express field by field: collisions, the DAG, conditional requirements. */
function crossProblems(config: StackConfig): string[] {
  const problems: string[] = [];
  const enabled = enabledServiceNames(config);

  const ports = new Map<number, string>();
  const s3Port = config.s3.endpoint === undefined ? undefined : loopbackPort(config.s3.endpoint);
  for (const name of enabled) {
    const port = servicePort(config, name);
    if (port === undefined) continue;
    const other = ports.get(port);
    if (other) problems.push(`${key(["services", name, "port"])}: port ${port} is already used by ${other}`);
    else if (port === config.host.port) problems.push(`${key(["services", name, "port"])}: port ${port} is the host's SSH port (quantlab:host.port)`);
    else if (port === s3Port) problems.push(`${key(["services", name, "port"])}: port ${port} is the S3 endpoint's port on this host (quantlab:s3.endpoint)`);
    else ports.set(port, name);
  }

  try {
    validateDag(SERVICE_NAMES, allEdges(config));
  } catch (e) {
    if (!(e instanceof DagError)) throw e;
    problems.push(`${key(["services", e.node, "after"])}: ${e.message}`);
  }

  for (const job of CRON_JOB_NAMES) {
    if (cronJobEnabled(config, job) && !config.cron[job]?.schedule && !CRON_JOBS[job].defaultSchedule) {
      problems.push(`${key(["cron", job, "schedule"])}: required when the job is enabled (a cron schedule such as "30 1 * * *")`);
    }
  }

  if (!config.host.hostKey && !config.host.insecureSkipHostKeyCheck) {
    problems.push(
      `${key(["host", "hostKey"])}: required to pin the host's SSH key (e.g. the ssh-ed25519 line of \`ssh-keyscan -t ed25519 ${config.host.address}\`), or set host.insecureSkipHostKeyCheck: true`,
    );
  }

  if (config.code.localDir !== undefined && config.code.git !== undefined) {
    problems.push(`${key(["code"])}: set either localDir (ship a local directory) or git (check a ref out on the host), not both`);
  }

  if (config.runtime.user === config.host.user) {
    problems.push(
      `${key(["runtime", "user"])}: expected an account other than the SSH login user of ${key(["host", "user"])} (the package acts as root through it), got ${describe(config.runtime.user)}`,
    );
  }
  return problems;
}

const objectAt = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** What decides the required secrets, read from a config the schema rejected: a service is on unless `enabled: false`. */
function lenientSettings(plain: Record<string, unknown>): { services: StackConfig["services"]; useAgent: boolean } {
  const services = Object.fromEntries(
    Object.entries(objectAt(plain.services)).map(([n, o]) => [n, { enabled: objectAt(o).enabled !== false }]),
  ) as unknown as StackConfig["services"];
  return { services, useAgent: objectAt(plain.host).useAgent === true };
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
 * Parses the whole `quantlab:*` config. `all` maps full keys
 * ("quantlab:host") to their raw string values, as allConfig() returns them
 * (structured values are JSON text; secrets are already decrypted).
 */
export function parseStackConfig(all: Readonly<Record<string, string>>): ParsedStack {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(all)) {
    const [ns, name] = fullKey.split(":", 2) as [string, string | undefined];
    if (ns !== NAMESPACE || name === undefined) continue;
    if ((PLAIN_KEYS as readonly string[]).includes(name) || name === "tokens") {
      const parsed = parseJsonValue(name, text);
      if (parsed.problem) problems.push(parsed.problem);
      else raw[name] = parsed.value;
    } else if (name === "sshPrivateKey" || name === "sshKeyPassphrase") {
      raw[name] = text;
    } else {
      problems.push(`${key([name])}: unknown key (known: ${[...PLAIN_KEYS, ...SECRET_KEYS].join(", ")})`);
    }
  }

  const plain = Object.fromEntries(PLAIN_KEYS.filter((k) => k in raw).map((k) => [k, raw[k]]));
  const result = configSchema.safeParse(plain);
  if (!result.success) {
    // The secrets are still checked, against what the raw config enables, so one run lists every problem.
    const lenient = lenientSettings(plain);
    const { problems: secretIssues } = secretProblems(raw, requiredTokens(lenient as unknown as StackConfig), lenient.useAgent);
    throw new ConfigError([...problems, ...zodProblems(result.error.issues, plain), ...secretIssues]);
  }
  problems.push(...crossProblems(result.data));
  const { problems: secretIssues, secrets } = secretProblems(raw, requiredTokens(result.data), result.data.host.useAgent);
  problems.push(...secretIssues);
  if (problems.length > 0) throw new ConfigError(problems);

  return { config: result.data, model: resolveModel(result.data), secrets };
}
