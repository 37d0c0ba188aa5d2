/**
 * Which variables each env file carries, from the runbook's "Critical
 * Environment Variables" table: a variable goes where its "Used By" column
 * says; a service gets its own port and token; a service that calls another
 * (catalog `calls`) gets that one's URL and token. Startup order (`after`)
 * grants nothing. Pure: tokens arrive here as plain strings.
 */
import { CATALOG, has, type Capability, type ServiceDefinition, type ServiceName, type TokenName } from "../model/catalog";
import type { Model, ResolvedService } from "../model/model";
import type { S3Credentials } from "../model/input";
import type { EnvVars } from "./render";

/** The secret tokens by name (everything else an env file carries is in the model). */
export type Tokens = Readonly<Partial<Record<TokenName, string>>>;

/** Who reads a shared variable: the services with one of these capabilities, and/or the core dotenv file. */
type Reader = Capability | "dotenv";

interface SharedVariable {
  readonly name: string;
  readonly usedBy: readonly Reader[];
  readonly value: (model: Model) => string;
}

const flag = (on: boolean): string => (on ? "1" : "0");

/** The runbook's table ("Used By" as capabilities), plus the ExecutionEngine flags and the two directories. */
export const SHARED_VARIABLES: readonly SharedVariable[] = [
  { name: "S3_COMPACT_BUCKET", usedBy: ["s3-compact", "dotenv"], value: (m) => m.s3.compactBucket },
  // "All S3 clients": the compact readers and strategyd's RunArchiveWriter.
  { name: "S3_COMPACT_ENDPOINT", usedBy: ["s3-compact", "s3-archive", "dotenv"], value: (m) => m.s3.endpoint },
  { name: "RUN_ARCHIVE_S3_BUCKET", usedBy: ["s3-archive", "dotenv"], value: (m) => m.s3.archiveBucket },
  { name: "RUN_ARCHIVE_ENABLED", usedBy: ["s3-archive", "dotenv"], value: (m) => flag(m.s3.archiveEnabled) },
  // observer-api loads its config from core/.env (runbook, "Dotenv Files").
  { name: "OBSERVER_MODE", usedBy: ["dotenv"], value: (m) => flag(m.env.observerMode) },
  // The ExecutionEngine runs inside strategyd, backtestd and the worker's strategy scripts.
  { name: "EXECUTION_STREAMING_MAXDD", usedBy: ["execution-engine"], value: (m) => flag(m.env.executionStreamingMaxdd) },
  { name: "EXECUTION_STREAM_FILLS", usedBy: ["execution-engine"], value: (m) => flag(m.env.executionStreamFills) },
  { name: "EXECUTION_FILLS_STREAM_PATH", usedBy: ["execution-engine"], value: (m) => m.env.executionFillsStreamPath },
  // Both observers read the runs strategyd, backtestd and the worker write.
  { name: "STRATEGYD_RUNS_DIR", usedBy: ["reads-runs"], value: (m) => m.runsDir },
  { name: "COLLECTOR_SPOOL_DIR", usedBy: ["writes-spool"], value: (m) => m.runtime.spoolDir },
];

/** The shared variables a service reads. */
export const readsVariable = (v: SharedVariable, def: ServiceDefinition): boolean => v.usedBy.some((r) => r !== "dotenv" && has(def, r));

export const tokenVariable = (token: TokenName): string => `${token.toUpperCase()}_TOKEN`;

function requireToken(tokens: Tokens, token: TokenName): string {
  const value = tokens[token];
  if (value === undefined) throw new Error(`token ${token} was not provided`);
  return value;
}

/** A service that talks to S3 (reads the compact bucket or writes run archives). */
export const usesS3 = (def: ServiceDefinition): boolean => has(def, "s3-compact") || has(def, "s3-archive");

/**
 * The variables of one service's /etc/quantlab env file, in a stable order. An S3 user gets the region
 * and, when the stack has them, the S3 keys (the SDK's own variable names); no other service does.
 */
export function serviceEnv(model: Model, service: ResolvedService, tokens: Tokens, s3?: S3Credentials): EnvVars {
  const vars: [string, string][] = [];
  const { def } = service;
  if (service.port !== undefined) vars.push([`${def.envPrefix}_PORT`, String(service.port)]);
  if (def.token) vars.push([tokenVariable(def.token), requireToken(tokens, def.token)]);
  for (const calleeName of service.calls) {
    const callee = model.services.find((s) => s.def.name === calleeName)!;
    if (callee.port !== undefined) vars.push([`${callee.def.envPrefix}_URL`, `http://127.0.0.1:${callee.port}`]);
    const token = CATALOG[calleeName].token;
    if (token && !vars.some(([n]) => n === tokenVariable(token))) vars.push([tokenVariable(token), requireToken(tokens, token)]);
  }
  for (const v of SHARED_VARIABLES) {
    if (readsVariable(v, def)) vars.push([v.name, v.value(model)]);
  }
  if (usesS3(def)) vars.push(["AWS_REGION", model.s3.region]);
  if (usesS3(def) && s3) vars.push(["AWS_ACCESS_KEY_ID", s3.accessKeyId], ["AWS_SECRET_ACCESS_KEY", s3.secretAccessKey]);
  return vars;
}

/** The enabled services that read core/.env themselves. */
export function dotenvReaders(model: Model): ServiceName[] {
  return model.services.filter((s) => has(s.def, "reads-dotenv")).map((s) => s.def.name);
}

/** The variables of core/.env. OBSERVER_TOKEN only when an observer is enabled. */
export function dotenvEnv(model: Model, tokens: Tokens): EnvVars {
  const vars: [string, string][] = SHARED_VARIABLES.filter((v) => v.usedBy.includes("dotenv")).map((v) => [v.name, v.value(model)]);
  if (model.requiredTokens.includes("observer")) vars.push([tokenVariable("observer"), requireToken(tokens, "observer")]);
  return vars;
}
