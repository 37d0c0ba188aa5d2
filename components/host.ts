/**
 * QuantlabHost: everything one host runs, from the resolved model. Order:
 * user -> directories -> (code) -> dotenv -> services along the startup DAG;
 * cron entries and logrotate once the directories exist.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Model } from "../config/model";
import { CATALOG, type ServiceName, type TokenName } from "../units/catalog";
import { renderUnit } from "../units/render";
import { renderEnvFile, renderDotenv } from "../envfiles/render";
import { dotenvEnv, dotenvReaders, serviceEnv, type EnvValues } from "../envfiles/compose";
import { renderCronFile, cronFilePath, cronLogPath } from "../hostfiles/cron";
import { renderTmpfiles } from "../hostfiles/tmpfiles";
import { renderSysusers } from "../hostfiles/sysusers";
import { renderLogrotate } from "../hostfiles/logrotate";
import { LOGROTATE_PATH, SYSUSERS_PATH, TMPFILES_PATH, envFilePath, tmpfilesEntries } from "../hostfiles/layout";
import { HostFile, type Connection } from "./hostFile";
import { QuantlabService } from "./service";
import { CodeBundle, type BundleFile } from "./codeBundle";

export interface QuantlabHostArgs {
  readonly connection: Connection;
  readonly model: Model;
  /** Secret tokens by name. */
  readonly tokens: Readonly<Partial<Record<TokenName, pulumi.Input<string>>>>;
  /** Bucket names and endpoint (from QuantlabBuckets). */
  readonly compactBucket: pulumi.Input<string>;
  readonly archiveBucket: pulumi.Input<string>;
  readonly endpoint: pulumi.Input<string>;
  /** Backend files to place under runtime.backendRoot. @default none (code is released out of band) */
  readonly code?: readonly BundleFile[];
}

export class QuantlabHost extends pulumi.ComponentResource {
  readonly services: Readonly<Partial<Record<ServiceName, QuantlabService>>>;

  constructor(name: string, args: QuantlabHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:host:Host", name, {}, opts);
    const { model, connection } = args;
    const { user, group } = model.runtime;
    const child = { parent: this };

    const sysusers = new HostFile(`${name}-sysusers`, {
      connection,
      path: SYSUSERS_PATH,
      content: renderSysusers({ user, group, home: model.runtime.home }),
      afterWrite: `systemd-sysusers ${SYSUSERS_PATH}`,
    }, child);
    const tmpfiles = new HostFile(`${name}-tmpfiles`, {
      connection,
      path: TMPFILES_PATH,
      content: renderTmpfiles(tmpfilesEntries(model)),
      afterWrite: `systemd-tmpfiles --create ${TMPFILES_PATH}`,
    }, { ...child, dependsOn: [sysusers] });
    const code = args.code
      ? new CodeBundle(`${name}-code`, { connection, root: model.runtime.backendRoot, user, files: args.code }, { ...child, dependsOn: [tmpfiles] })
      : undefined;

    // Everything env files need, resolved once; the result is secret because the tokens are.
    const values: pulumi.Output<EnvValues> = pulumi
      .all([pulumi.all(args.tokens as Record<string, pulumi.Input<string>>), args.compactBucket, args.archiveBucket, args.endpoint])
      .apply(([tokens, compactBucket, archiveBucket, endpoint]) => ({ tokens, compactBucket, archiveBucket, endpoint }));

    const dotenv = new HostFile(`${name}-dotenv`, {
      connection,
      path: model.dotenvPath,
      content: pulumi.secret(values.apply((v) => renderDotenv(dotenvReaders(model), dotenvEnv(model, v)))),
      mode: "0640",
      group,
    }, { ...child, dependsOn: code ? [tmpfiles, code] : [tmpfiles] });

    const services: Partial<Record<ServiceName, QuantlabService>> = {};
    for (const level of model.levels) {
      for (const svcName of level) {
        const svc = model.services.find((s) => s.def.name === svcName)!;
        const { def } = svc;
        const envPath = envFilePath(def.envFile);
        const inputs: Record<string, pulumi.Input<string>> = {};
        if (def.readsDotenv) inputs.dotenv = dotenv.hash;
        if (code) inputs.code = code.hash;
        services[svcName] = new QuantlabService(`${name}-${svcName}`, {
          connection,
          unit: def.unit,
          unitText: renderUnit({
            unit: def.unit,
            description: def.description,
            user,
            group,
            workingDirectory: svc.workingDir,
            execStart: svc.command,
            environmentFile: envPath,
            after: svc.after.map((d) => CATALOG[d].unit),
            port: svc.port,
            readWritePaths: [...(def.writesRuns ? [model.runsDir] : []), ...(def.writesSpool ? [model.runtime.spoolDir] : [])],
            runtime: def.runtime,
          }),
          envFilePath: envPath,
          envText: pulumi.secret(values.apply((v) => renderEnvFile(def.unit, serviceEnv(model, svc, v)))),
          inputs,
          after: svc.after.map((d) => services[d]!),
          requires: [tmpfiles, ...(def.readsDotenv ? [dotenv] : []), ...(code ? [code] : [])],
        }, child);
      }
    }
    this.services = services;

    for (const job of model.cronJobs) {
      new HostFile(`${name}-cron-${job.job}`, {
        connection,
        path: cronFilePath(job.job),
        content: renderCronFile({ job: job.job, schedule: job.schedule, user, coreDir: model.coreDir }),
        mode: "0644",
      }, { ...child, dependsOn: [tmpfiles] });
    }
    if (model.cronJobs.length > 0) {
      new HostFile(`${name}-logrotate`, {
        connection,
        path: LOGROTATE_PATH,
        content: renderLogrotate({ paths: model.cronJobs.map((j) => cronLogPath(j.job)), user, group }),
      }, { ...child, dependsOn: [tmpfiles] });
    }
    this.registerOutputs({ units: Object.values(services).map((s) => s.unit) });
  }
}
