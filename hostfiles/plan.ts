/**
 * The host plan: every file the package writes, with its content, owner and
 * mode, as a pure function of the model (and, for env files, of deploy-time
 * values). components/host.ts ships exactly this; tests validate exactly this.
 */
import type { Model, ResolvedService } from "../config/model";
import { CATALOG } from "../units/catalog";
import { renderUnit, type UnitSpec } from "../units/render";
import { renderDotenv, renderEnvFile } from "../envfiles/render";
import { dotenvEnv, dotenvReaders, serviceEnv, type EnvValues } from "../envfiles/compose";
import { cronFilePath, cronLogPath, renderCronFile } from "./cron";
import { renderTmpfiles } from "./tmpfiles";
import { renderSysusers } from "./sysusers";
import { renderLogrotate } from "./logrotate";
import { LOGROTATE_PATH, SYSUSERS_PATH, TMPFILES_PATH, envFilePath, tmpfilesEntries } from "./layout";

export type FileKind = "sysusers" | "tmpfiles" | "unit" | "env" | "dotenv" | "cron" | "logrotate";

export interface PlannedFile {
  readonly kind: FileKind;
  readonly path: string;
  readonly content: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  /** Holds tokens: shipped as a secret. */
  readonly secret: boolean;
  readonly afterWrite?: string;
  readonly afterDelete?: string;
  /** The parent is a drop-in directory a minimal install may lack: create it (root, 0755). */
  readonly createParent?: boolean;
}

const rootFile = { mode: "0644", owner: "root", group: "root", secret: false } as const;

export function unitSpec(model: Model, svc: ResolvedService): UnitSpec {
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
    readWritePaths: [...(def.writesRuns ? [model.runsDir] : []), ...(def.writesSpool ? [model.runtime.spoolDir] : [])],
    runtime: def.runtime,
  };
}

export const sysusersFile = (model: Model): PlannedFile => ({
  kind: "sysusers",
  path: SYSUSERS_PATH,
  content: renderSysusers({ user: model.runtime.user, group: model.runtime.group, home: model.runtime.home }),
  ...rootFile,
  createParent: true,
  afterWrite: `systemd-sysusers ${SYSUSERS_PATH}`,
});

export const tmpfilesFile = (model: Model): PlannedFile => ({
  kind: "tmpfiles",
  path: TMPFILES_PATH,
  content: renderTmpfiles(tmpfilesEntries(model)),
  ...rootFile,
  createParent: true,
  afterWrite: `systemd-tmpfiles --create ${TMPFILES_PATH}`,
});

export const cronFiles = (model: Model): PlannedFile[] =>
  model.cronJobs.map((job) => ({
    kind: "cron",
    path: cronFilePath(job.job),
    content: renderCronFile({ job: job.job, schedule: job.schedule, user: model.runtime.user, coreDir: model.coreDir }),
    ...rootFile,
  }));

export const logrotateFiles = (model: Model): PlannedFile[] =>
  model.cronJobs.length === 0
    ? []
    : [{
        kind: "logrotate",
        path: LOGROTATE_PATH,
        content: renderLogrotate({ paths: model.cronJobs.map((j) => cronLogPath(j.job)), user: model.runtime.user, group: model.runtime.group }),
        ...rootFile,
      }];

export const unitFile = (model: Model, svc: ResolvedService): PlannedFile => ({
  kind: "unit",
  path: `/etc/systemd/system/${svc.def.unit}`,
  content: renderUnit(unitSpec(model, svc)),
  ...rootFile,
  afterDelete: "systemctl daemon-reload",
});

/** Where a file goes and who may read it, without its content. */
export type FileTarget = Omit<PlannedFile, "content">;

/** Read by PID 1 as root before it drops privileges: root-only. */
export const envTarget = (svc: ResolvedService): FileTarget => ({
  kind: "env",
  path: envFilePath(svc.def.envFile),
  mode: "0600",
  owner: "root",
  group: "root",
  secret: true,
});

export const envFile = (model: Model, svc: ResolvedService, values: EnvValues): PlannedFile => ({
  ...envTarget(svc),
  content: renderEnvFile(svc.def.unit, serviceEnv(model, svc, values)),
});

/** Read by the services themselves: root-owned, readable by the runtime group only. */
export const dotenvTarget = (model: Model): FileTarget => ({
  kind: "dotenv",
  path: model.dotenvPath,
  mode: "0640",
  owner: "root",
  group: model.runtime.group,
  secret: true,
});

export const dotenvFile = (model: Model, values: EnvValues): PlannedFile => ({
  ...dotenvTarget(model),
  content: renderDotenv(dotenvReaders(model), dotenvEnv(model, values)),
});

/** Every file, in the order the host gets them. */
export function planAllFiles(model: Model, values: EnvValues): PlannedFile[] {
  return [
    sysusersFile(model),
    tmpfilesFile(model),
    dotenvFile(model, values),
    ...model.services.flatMap((s) => [unitFile(model, s), envFile(model, s, values)]),
    ...cronFiles(model),
    ...logrotateFiles(model),
  ];
}

// ---- interim adapter (replaced by the issue-9 plan) ----
import type { ServiceName, TokenName } from "../units/catalog";
import type { TmpfilesEntry } from "./tmpfiles";
export type ReloadAction = "none" | "daemon-reload" | "sysusers" | "tmpfiles";
export interface HostPlanFile { readonly kind: FileKind; readonly path: string; readonly content: string; readonly mode: string; readonly owner: string; readonly group: string; readonly secret: boolean; readonly onChange: ReloadAction; readonly createParent: boolean }
export interface PlannedUnit { readonly service: ServiceName; readonly unit: string; readonly after: readonly ServiceName[]; readonly reads: readonly string[]; readonly port?: number; readonly health?: { readonly url: string; readonly token?: TokenName } }
export interface HostPlan { readonly files: readonly HostPlanFile[]; readonly units: readonly PlannedUnit[]; readonly levels: readonly (readonly ServiceName[])[]; readonly directories: readonly TmpfilesEntry[] }
export function planHost(model: Model, tokens: Readonly<Partial<Record<TokenName, string>>>): HostPlan {
  const s3 = model.s3;
  const values: EnvValues = { tokens, compactBucket: s3.compactBucket, archiveBucket: s3.archiveBucket, endpoint: s3.endpoint ?? (s3.mode === "create" ? `https://s3.${s3.region}.amazonaws.com` : "") };
  const files = planAllFiles(model, values).map((f): HostPlanFile => ({
    kind: f.kind, path: f.path, content: f.content, mode: f.mode, owner: f.owner, group: f.group, secret: f.secret,
    onChange: f.kind === "sysusers" ? "sysusers" : f.kind === "tmpfiles" ? "tmpfiles" : f.kind === "unit" ? "daemon-reload" : "none",
    createParent: f.createParent ?? false,
  }));
  const byName = new Map(model.services.map((s) => [s.def.name, s]));
  const units = model.levels.flat().map((name): PlannedUnit => {
    const s = byName.get(name)!;
    return {
      service: name, unit: s.def.unit, after: s.after,
      reads: [`/etc/systemd/system/${s.def.unit}`, envFilePath(s.def.envFile), ...(s.def.readsDotenv ? [model.dotenvPath] : [])],
      port: s.port,
      health: s.def.health && s.port !== undefined ? { url: `http://127.0.0.1:${s.port}${s.def.health.path}`, ...(s.def.health.auth ? { token: s.def.token } : {}) } : undefined,
    };
  });
  return { files, units, levels: model.levels, directories: tmpfilesEntries(model) };
}
