/**
 * The host plan: every object the package puts on a host (files with their
 * content, owner and mode; the units in startup order; the directories), as
 * one pure function of the model and the secret tokens. The components ship
 * exactly this list, and the offline tests judge exactly this list.
 */
import type { Model, ResolvedService } from "../model/model";
import { CATALOG, has, type ServiceName, type TokenName } from "../model/catalog";
import { LOGROTATE_PATH, SYSUSERS_PATH, TMPFILES_PATH, cronFilePath, cronLogPath, envFilePath, unitFilePath } from "../model/paths";
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

export type FileKind = "sysusers" | "tmpfiles" | "unit" | "env" | "dotenv" | "cron" | "logrotate";

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
  /** Order: sysusers, tmpfiles, dotenv, per service unit + env, cron files, logrotate. */
  readonly files: readonly PlannedFile[];
  /** Startup order (levels flattened). */
  readonly units: readonly PlannedUnit[];
  readonly levels: readonly (readonly ServiceName[])[];
  /** What tmpfiles creates. */
  readonly directories: readonly TmpfilesEntry[];
  /** The tools the runbook's procedures use: installed before anything else is touched. */
  readonly tools: readonly HostTool[];
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

function serviceFiles(model: Model, svc: ResolvedService, tokens: Tokens): PlannedFile[] {
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
      content: renderEnvFile(svc.def.unit, serviceEnv(model, svc, tokens)),
      ...rootFile,
      mode: "0600",
      secret: true,
    },
  ];
}

function hostFiles(model: Model, tokens: Tokens, directories: readonly TmpfilesEntry[]): PlannedFile[] {
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
    ...model.services.flatMap((s) => serviceFiles(model, s, tokens)),
    ...model.cronJobs.map((job): PlannedFile => ({
      kind: "cron",
      path: cronFilePath(job.job),
      content: renderCronFile({ job: job.job, schedule: job.schedule, user, coreDir: model.coreDir }),
      ...rootFile,
    })),
    ...(logs.length === 0
      ? []
      : [{ kind: "logrotate" as const, path: LOGROTATE_PATH, content: renderLogrotate({ paths: logs, user, group }), ...rootFile }]),
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

/** Pure: the model plus the secret tokens -> every host object. Bucket names and endpoint come from the model. */
export function planHost(model: Model, tokens: Readonly<Partial<Record<TokenName, string>>>): HostPlan {
  const directories = tmpfilesEntries(model);
  const byName = new Map(model.services.map((s) => [s.def.name, s]));
  return {
    files: hostFiles(model, tokens, directories),
    units: model.levels.flat().map((name) => plannedUnit(model, byName.get(name)!)),
    levels: model.levels,
    directories,
    tools: HOST_TOOLS,
  };
}
