/**
 * The resolved model: catalog + stack settings -> plain values every
 * renderer and component works from, every default resolved here (ports,
 * directories, commands, startup and call edges, cron schedules, the S3
 * endpoint). Pure; nothing outside model/ is imported.
 */
import { CATALOG, SERVICE_NAMES, type ServiceDefinition, type ServiceName, type TokenName } from "./catalog";
import { restrictEdges, startupLevels } from "./dag";
import { CRON_JOBS, CRON_JOB_NAMES, type CronJobName } from "./cron";
import { CORE_DIR, DOTENV_FILE, RUNS_DIR, join } from "./paths";
import type { EnvSettings, ModelInput, RuntimeSettings, S3Settings } from "./input";

export interface ResolvedService {
  readonly def: ServiceDefinition;
  readonly port: number | undefined;
  /** Absolute. */
  readonly workingDir: string;
  readonly command: readonly string[];
  /** Directories of the code it runs, relative to the backend root ("." is the root). */
  readonly codeDirs: readonly string[];
  /** Enabled services this one starts after (catalog edges + stack edges). */
  readonly after: readonly ServiceName[];
  /** Enabled services whose API this one calls (catalog `calls`; never bridged). */
  readonly calls: readonly ServiceName[];
  /** Deadline of the health gate after a (re)start, in seconds. */
  readonly healthTimeoutSeconds: number;
}

/** The health gate's deadline when the stack sets none (`services.<name>.healthTimeoutSeconds`). */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 30;

export interface ResolvedCronJob {
  readonly job: CronJobName;
  readonly schedule: string;
}

/** The S3 settings with the endpoint resolved: what S3_COMPACT_ENDPOINT carries. */
export type ResolvedS3 = S3Settings & { readonly endpoint: string };

export interface Model {
  readonly runtime: RuntimeSettings;
  /** Enabled services, in catalog order. */
  readonly services: readonly ResolvedService[];
  /** Startup levels of the enabled services (the runbook's parallel groups). */
  readonly levels: readonly (readonly ServiceName[])[];
  readonly cronJobs: readonly ResolvedCronJob[];
  readonly env: EnvSettings;
  readonly s3: ResolvedS3;
  readonly runsDir: string;
  readonly coreDir: string;
  readonly dotenvPath: string;
  /** Tokens the enabled services and their clients need. */
  readonly requiredTokens: readonly TokenName[];
}

/** The regional AWS endpoint, for mode "create" without an explicit endpoint. */
export const awsS3Endpoint = (region: string): string => `https://s3.${region}.amazonaws.com`;

export function resolveS3(s3: S3Settings): ResolvedS3 {
  return s3.mode === "adopt" ? s3 : { ...s3, endpoint: s3.endpoint ?? awsS3Endpoint(s3.region) };
}

/** All startup edges: the catalog's and the stack's extra `after` lists. */
export function allEdges(input: ModelInput): Record<string, string[]> {
  return Object.fromEntries(SERVICE_NAMES.map((n) => [n, [...new Set([...CATALOG[n].after, ...(input.services[n]?.after ?? [])])]]));
}

export function enabledServiceNames(input: ModelInput): ServiceName[] {
  return SERVICE_NAMES.filter((n) => input.services[n]?.enabled ?? true);
}

/** The port a service listens on: the stack's, else the catalog's. */
export function servicePort(input: ModelInput, name: ServiceName): number | undefined {
  return input.services[name]?.port ?? CATALOG[name].port;
}

export function cronJobEnabled(input: ModelInput, job: CronJobName): boolean {
  return input.cron[job]?.enabled ?? (input.cron[job]?.schedule !== undefined || job === "ml");
}

/** The tokens of the enabled services; their callers are enabled services too. */
export function requiredTokens(input: ModelInput): TokenName[] {
  const tokens = enabledServiceNames(input).flatMap((n) => (CATALOG[n].token ? [CATALOG[n].token] : []));
  return [...new Set(tokens)].sort();
}

/** Call only on settings that passed validation (config/parse.ts): the startup edges are a DAG. */
export function resolveModel(input: ModelInput): Model {
  const enabled = enabledServiceNames(input);
  const edges = restrictEdges(allEdges(input), enabled) as Record<ServiceName, ServiceName[]>;
  const backend = input.runtime.backendRoot;
  const services = enabled.map((name): ResolvedService => {
    const def = CATALOG[name];
    const o = input.services[name];
    return {
      def,
      port: servicePort(input, name),
      workingDir: join(backend, o?.workingDir ?? def.workingDir),
      command: o?.command ?? def.command,
      codeDirs: o?.workingDir !== undefined ? [o.workingDir] : (def.code ?? [def.workingDir]),
      after: edges[name],
      calls: def.calls.filter((callee) => enabled.includes(callee)),
      healthTimeoutSeconds: o?.healthTimeoutSeconds ?? DEFAULT_HEALTH_TIMEOUT_SECONDS,
    };
  });
  return {
    runtime: input.runtime,
    services,
    levels: startupLevels(enabled, edges) as ServiceName[][],
    cronJobs: CRON_JOB_NAMES.filter((j) => cronJobEnabled(input, j)).map((job) => ({
      job,
      schedule: input.cron[job]?.schedule ?? CRON_JOBS[job].defaultSchedule!,
    })),
    env: input.env,
    s3: resolveS3(input.s3),
    runsDir: join(backend, RUNS_DIR),
    coreDir: join(backend, CORE_DIR),
    dotenvPath: join(backend, DOTENV_FILE),
    requiredTokens: requiredTokens(input),
  };
}
