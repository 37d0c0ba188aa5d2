/**
 * The host plan: every object the package puts on a host (files with their
 * content, owner and mode; the units in startup order; the directories), as
 * one pure function of the model and the secret tokens. The components ship
 * exactly this list, and the offline tests judge exactly this list.
 */
import type { Model, ResolvedService } from "../model/model";
import type { S3Credentials } from "../model/input";
import { CATALOG, has, type ServiceDefinition, type ServiceName, type TokenName } from "../model/catalog";
import {
  AWS_CONFIG_PATH,
  AWS_CREDENTIALS_PATH,
  AWS_PLUGIN_DIR,
  AWS_PLUGIN_MODULE,
  AWS_PROFILE_PATH,
  LOGROTATE_PATH,
  SYSUSERS_PATH,
  TMPFILES_PATH,
  cronFilePath,
  cronLogPath,
  envFilePath,
  unitFilePath,
} from "../model/paths";
import { renderAwsConfig, renderAwsCredentials, renderAwsPlugin, renderAwsProfile } from "./awscli";
import { renderUnit, type UnitSpec } from "../units/render";
import { renderDotenv, renderEnvFile } from "../envfiles/render";
import { dotenvEnv, dotenvReaders, serviceEnv, type Tokens } from "../envfiles/compose";
import { renderCronFile } from "./cron";
import { renderTmpfiles, type TmpfilesEntry } from "./tmpfiles";
import { renderSysusers } from "./sysusers";
import { renderLogrotate } from "./logrotate";
import { tmpfilesEntries } from "./layout";
import type { ReloadAction, VerifyMode } from "../model/actions";
import { HOST_TOOLS, type HostTool } from "../model/tools";

export type FileKind = "sysusers" | "tmpfiles" | "unit" | "env" | "dotenv" | "cron" | "logrotate" | "awscli";

export interface PlannedFile {
  readonly kind: FileKind;
  /** Absolute. */
  readonly path: string;
  readonly content: string;
  /** Octal, e.g. "0644". */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  /** Holds tokens: shipped and stored as a secret. */
  readonly secret: boolean;
  readonly onChange: ReloadAction;
  /** The parent is a drop-in directory a minimal host lacks: create it (root, 0755). */
  readonly createParent: boolean;
  /** "systemd-unit" for unit files: systemd must accept the new text before it goes live. */
  readonly verify: VerifyMode;
}

/** What a file is on the host besides its content: the HostFile's inputs and a generation's record share it. */
export const fileAttributes = (f: PlannedFile) => ({
  path: f.path,
  mode: f.mode,
  owner: f.owner,
  group: f.group,
  onChange: f.onChange,
  createParent: f.createParent,
  verify: f.verify,
});

export interface PlannedUnit {
  readonly service: ServiceName;
  /** e.g. `quantlab-replayd.service` */
  readonly unit: string;
  /** Enabled services it starts after. */
  readonly after: readonly ServiceName[];
  /** Paths of planned files it reads: its unit file, its env file, and core/.env when it reads the dotenv. */
  readonly reads: readonly string[];
  readonly port?: number;
  /** Directories of the code it runs, relative to the backend root ("." is the root). */
  readonly codeDirs: readonly string[];
  /** URL on the host (e.g. http://127.0.0.1:3030/health), and the token it wants as a bearer. */
  readonly health?: { readonly url: string; readonly token?: TokenName };
  /** How long a (re)start may take to pass its health gate, in seconds. */
  readonly healthTimeoutSeconds: number;
}

export interface HostPlan {
  /** Order: sysusers, tmpfiles, dotenv, per service unit + env, cron files, logrotate, root's AWS CLI config. */
  readonly files: readonly PlannedFile[];
  /** Startup order (levels flattened). */
  readonly units: readonly PlannedUnit[];
  readonly levels: readonly (readonly ServiceName[])[];
  /** What tmpfiles creates. */
  readonly directories: readonly TmpfilesEntry[];
  /** The tools the runbook's procedures use: installed before anything else is touched. */
  readonly tools: readonly HostTool[];
  /**
   * The adopted buckets the enabled services use, each with the config key that names it: checked on the
   * host, with the services' keys, before anything else of the host changes. Absent in mode "create"
   * (the stack made them) and when no enabled service uses S3.
   */
  readonly buckets?: BucketCheck;
}

export interface BucketCheck {
  readonly endpoint: string;
  readonly region: string;
  readonly buckets: readonly { readonly name: string; readonly key: string }[];
  /** Requests are signed with the stack's keys; without them (the host's own role) they go unsigned. */
  readonly signed: boolean;
}

const rootFile = {
  mode: "0644",
  owner: "root",
  group: "root",
  secret: false,
  onChange: "none",
  createParent: false,
  verify: "none",
} as const;

function unitSpec(model: Model, svc: ResolvedService): UnitSpec {
  const { def } = svc;
  return {
    unit: def.unit,
    description: def.description,
    user: model.runtime.user,
    group: model.runtime.group,
    workingDirectory: svc.workingDir,
    execStart: svc.command,
    environmentFile: envFilePath(def.envFile),
    after: svc.after.map((d) => CATALOG[d].unit),
    port: svc.port,
    readWritePaths: [...(has(def, "writes-runs") ? [model.runsDir] : []), ...(has(def, "writes-spool") ? [model.runtime.spoolDir] : [])],
    runtime: def.runtime,
  };
}

function serviceFiles(model: Model, svc: ResolvedService, tokens: Tokens, s3: S3Credentials | undefined): PlannedFile[] {
  return [
    {
      kind: "unit",
      path: unitFilePath(svc.def.unit),
      content: renderUnit(unitSpec(model, svc)),
      ...rootFile,
      onChange: "daemon-reload",
      verify: "systemd-unit",
    },
    // Read by PID 1 as root before it drops privileges: root-only.
    {
      kind: "env",
      path: envFilePath(svc.def.envFile),
      content: renderEnvFile(svc.def.unit, serviceEnv(model, svc, tokens, s3)),
      ...rootFile,
      mode: "0600",
      secret: true,
    },
  ];
}

function hostFiles(model: Model, tokens: Tokens, s3: S3Credentials | undefined, directories: readonly TmpfilesEntry[]): PlannedFile[] {
  const { user, group, home } = model.runtime;
  const logs = model.cronJobs.map((j) => cronLogPath(j.job));
  return [
    {
      kind: "sysusers",
      path: SYSUSERS_PATH,
      content: renderSysusers({ user, group, home }),
      ...rootFile,
      onChange: "sysusers",
      createParent: true,
    },
    { kind: "tmpfiles", path: TMPFILES_PATH, content: renderTmpfiles(directories), ...rootFile, onChange: "tmpfiles", createParent: true },
    // Read by the services themselves, in core/ (the runtime user's tree): that user writes it (root never
    // works in its tree), readable by the runtime group only. The tokens in it are those its readers hold anyway.
    {
      kind: "dotenv",
      path: model.dotenvPath,
      content: renderDotenv(dotenvReaders(model), dotenvEnv(model, tokens)),
      ...rootFile,
      mode: "0640",
      owner: user,
      group,
      secret: true,
    },
    ...model.services.flatMap((svc) => serviceFiles(model, svc, tokens, s3)),
    ...model.cronJobs.map((job): PlannedFile => ({
      kind: "cron",
      path: cronFilePath(job.job),
      content: renderCronFile({ job: job.job, schedule: job.schedule, user, coreDir: model.coreDir }),
      ...rootFile,
    })),
    ...(logs.length === 0
      ? []
      : [{ kind: "logrotate" as const, path: LOGROTATE_PATH, content: renderLogrotate({ paths: logs, user, group }), ...rootFile }]),
    ...awsCliFiles(model, s3),
  ];
}

/** Root's AWS CLI, pointed at the stack's S3 (hostfiles/awscli.ts); the keys root-only. */
function awsCliFiles(model: Model, keys: S3Credentials | undefined): PlannedFile[] {
  const aws = { ...rootFile, kind: "awscli" as const };
  return [
    { ...aws, path: AWS_CONFIG_PATH, content: renderAwsConfig(model.s3) },
    ...(keys ? [{ ...aws, path: AWS_CREDENTIALS_PATH, content: renderAwsCredentials(keys), mode: "0600", secret: true }] : []),
    {
      ...aws,
      path: `${AWS_PLUGIN_DIR}/${AWS_PLUGIN_MODULE}.py`,
      content: renderAwsPlugin(),
      createParent: true,
      onChange: "python-module" as const,
    },
    { ...aws, path: AWS_PROFILE_PATH, content: renderAwsProfile(keys !== undefined) },
  ];
}

function plannedUnit(model: Model, svc: ResolvedService): PlannedUnit {
  const { def, port } = svc;
  const reads = [unitFilePath(def.unit), envFilePath(def.envFile), ...(has(def, "reads-dotenv") ? [model.dotenvPath] : [])];
  const health =
    def.health && port !== undefined
      ? { url: `http://127.0.0.1:${port}${def.health.path}`, ...(def.health.auth && def.token ? { token: def.token } : {}) }
      : undefined;
  return {
    service: def.name,
    unit: def.unit,
    after: svc.after,
    reads,
    codeDirs: svc.codeDirs,
    ...(port !== undefined ? { port } : {}),
    ...(health ? { health } : {}),
    healthTimeoutSeconds: svc.healthTimeoutSeconds,
  };
}

/** The buckets these services read or write, each with the config key naming it (the archive bucket only while archives are on). */
export function bucketsOf(model: Model, defs: readonly ServiceDefinition[]): { name: string; key: string }[] {
  const { s3 } = model;
  const uses = (cap: "s3-compact" | "s3-archive") => defs.some((def) => has(def, cap));
  return [
    ...(uses("s3-compact") ? [{ name: s3.compactBucket, key: "quantlab:s3.compactBucket" }] : []),
    ...(uses("s3-archive") && s3.archiveEnabled ? [{ name: s3.archiveBucket, key: "quantlab:s3.archiveBucket" }] : []),
  ];
}

/** The adopted buckets the enabled services use (none in mode "create": the stack made them). */
function bucketCheck(model: Model, signed: boolean): BucketCheck | undefined {
  if (model.s3.mode !== "adopt") return undefined;
  const buckets = bucketsOf(
    model,
    model.services.map((svc) => svc.def),
  );
  return buckets.length ? { endpoint: model.s3.endpoint, region: model.s3.region, buckets, signed } : undefined;
}

/**
 * Pure: the model plus the secrets (tokens, the S3 keys) -> every host object. Bucket names and endpoint
 * come from the model.
 */
export function planHost(model: Model, tokens: Readonly<Partial<Record<TokenName, string>>>, s3?: S3Credentials): HostPlan {
  const directories = tmpfilesEntries(model);
  const byName = new Map(model.services.map((svc) => [svc.def.name, svc]));
  const buckets = bucketCheck(model, s3 !== undefined);
  return {
    files: hostFiles(model, tokens, s3, directories),
    units: model.levels.flat().map((name) => plannedUnit(model, byName.get(name)!)),
    levels: model.levels,
    directories,
    tools: HOST_TOOLS,
    ...(buckets ? { buckets } : {}),
  };
}
