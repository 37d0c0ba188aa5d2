/**
 * The resolved model: catalog + stack config -> plain values every renderer
 * and component works from. Pure; no @pulumi/* import.
 */
import { CATALOG, SERVICE_NAMES, type ServiceDefinition, type ServiceName, type TokenName } from "../units/catalog";
import { restrictEdges, startupLevels } from "../units/dag";
import { CRON_JOBS, CRON_JOB_NAMES, type CronJobName } from "../hostfiles/cron";
import type { StackConfig } from "./schema";

export interface ResolvedService {
  readonly def: ServiceDefinition;
  readonly port: number | undefined;
  /** Absolute. */
  readonly workingDir: string;
  readonly command: readonly string[];
  /** Enabled services this one starts after (catalog edges + stack edges). */
  readonly after: readonly ServiceName[];
}

export interface ResolvedCronJob {
  readonly job: CronJobName;
  readonly schedule: string;
}

export interface Model {
  readonly runtime: StackConfig["runtime"];
  /** Enabled services, in catalog order. */
  readonly services: readonly ResolvedService[];
  /** Startup levels of the enabled services (the runbook's parallel groups). */
  readonly levels: readonly (readonly ServiceName[])[];
  readonly cronJobs: readonly ResolvedCronJob[];
  readonly env: StackConfig["env"];
  readonly s3: StackConfig["s3"];
  readonly runsDir: string;
  readonly coreDir: string;
  readonly dotenvPath: string;
  /** Tokens the enabled services and their clients need. */
  readonly requiredTokens: readonly TokenName[];
}

export const ENV_DIR = "/etc/quantlab";

export const join = (root: string, rel: string): string =>
  rel === "." || rel === "" ? root : `${root.replace(/\/$/, "")}/${rel.replace(/^\.\//, "").replace(/\/$/, "")}`;

/** All startup edges: the catalog's and the stack's extra `after` lists. */
export function allEdges(config: StackConfig): Record<string, string[]> {
  return Object.fromEntries(
    SERVICE_NAMES.map((n) => [n, [...new Set([...CATALOG[n].after, ...(config.services[n]?.after ?? [])])]]),
  );
}

export function enabledServiceNames(config: StackConfig): ServiceName[] {
  return SERVICE_NAMES.filter((n) => config.services[n]?.enabled ?? true);
}

export function cronJobEnabled(config: StackConfig, job: CronJobName): boolean {
  return config.cron[job]?.enabled ?? (config.cron[job]?.schedule !== undefined || job === "ml");
}

/** The tokens of the enabled services; their clients are enabled services too. */
export function requiredTokens(config: StackConfig): TokenName[] {
  const tokens = enabledServiceNames(config).flatMap((n) => (CATALOG[n].token ? [CATALOG[n].token] : []));
  return [...new Set(tokens)].sort();
}

/** Call only on a config that passed validation (config/parse.ts). */
export function resolveModel(config: StackConfig): Model {
  const enabled = enabledServiceNames(config);
  const edges = restrictEdges(allEdges(config), enabled) as Record<ServiceName, ServiceName[]>;
  const backend = config.runtime.backendRoot;
  const services = enabled.map((name): ResolvedService => {
    const def = CATALOG[name];
    const o = config.services[name];
    return {
      def,
      port: o?.port ?? def.port,
      workingDir: join(backend, o?.workingDir ?? def.workingDir),
      command: o?.command ?? def.command,
      after: edges[name],
    };
  });
  return {
    runtime: config.runtime,
    services,
    levels: startupLevels(enabled, edges) as ServiceName[][],
    cronJobs: CRON_JOB_NAMES.filter((j) => cronJobEnabled(config, j)).map((job) => ({
      job,
      schedule: config.cron[job]?.schedule ?? CRON_JOBS[job].defaultSchedule!,
    })),
    env: config.env,
    s3: config.s3,
    runsDir: join(backend, "services/strategyd/runs"),
    coreDir: join(backend, "core"),
    dotenvPath: join(backend, "core/.env"),
    requiredTokens: requiredTokens(config),
  };
}
