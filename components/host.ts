/**
 * QuantlabHost: ships the host plan (hostfiles/plan.ts) to one host. Order:
 * user -> directories -> (code) -> dotenv -> services along the startup DAG;
 * cron entries and logrotate once the directories exist.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Model } from "../model/model";
import type { ServiceName, TokenName } from "../model/catalog";
import type { EnvValues } from "../envfiles/compose";
import { cronFiles, dotenvFile, dotenvTarget, envFile, envTarget, logrotateFiles, sysusersFile, tmpfilesFile, unitFile, type PlannedFile } from "../hostfiles/plan";
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
    const child = { parent: this };
    const file = (suffix: string, f: PlannedFile, dependsOn: pulumi.Resource[]) =>
      new HostFile(`${name}-${suffix}`, { connection, ...f }, { ...child, dependsOn });

    const sysusers = file("sysusers", sysusersFile(model), []);
    const tmpfiles = file("tmpfiles", tmpfilesFile(model), [sysusers]);
    const code = args.code
      ? new CodeBundle(`${name}-code`, { connection, root: model.runtime.backendRoot, user: model.runtime.user, files: args.code }, { ...child, dependsOn: [tmpfiles] })
      : undefined;

    // Deploy-time values, resolved once; secret because the tokens are.
    const values: pulumi.Output<EnvValues> = pulumi
      .all([pulumi.all(args.tokens as Record<string, pulumi.Input<string>>), args.compactBucket, args.archiveBucket, args.endpoint])
      .apply(([tokens, compactBucket, archiveBucket, endpoint]) => ({ tokens, compactBucket, archiveBucket, endpoint }));
    const secretText = (render: (v: EnvValues) => string) => pulumi.secret(values.apply(render));

    const dotenv = new HostFile(`${name}-dotenv`, {
      connection,
      ...dotenvTarget(model),
      content: secretText((v) => dotenvFile(model, v).content),
    }, { ...child, dependsOn: code ? [tmpfiles, code] : [tmpfiles] });

    const services: Partial<Record<ServiceName, QuantlabService>> = {};
    for (const level of model.levels) {
      for (const svcName of level) {
        const svc = model.services.find((s) => s.def.name === svcName)!;
        const inputs: Record<string, pulumi.Input<string>> = {};
        if (svc.def.readsDotenv) inputs.dotenv = dotenv.hash;
        if (code) inputs.code = code.hash;
        services[svcName] = new QuantlabService(`${name}-${svcName}`, {
          connection,
          unit: svc.def.unit,
          unitFile: unitFile(model, svc),
          envFile: { ...envTarget(svc), content: secretText((v) => envFile(model, svc, v).content) },
          inputs,
          after: svc.after.map((d) => services[d]!),
          requires: [tmpfiles, ...(svc.def.readsDotenv ? [dotenv] : []), ...(code ? [code] : [])],
        }, child);
      }
    }
    this.services = services;

    for (const f of cronFiles(model)) file(`cron-${f.path.slice("/etc/cron.d/quantlab-".length)}`, f, [tmpfiles]);
    for (const f of logrotateFiles(model)) file("logrotate", f, [tmpfiles]);
    this.registerOutputs({ units: Object.values(services).map((s) => s.unit) });
  }
}
