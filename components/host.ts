/**
 * QuantlabHost: ships one host plan (hostfiles/plan.ts) to one host, through
 * that host's own provider. Order: owner -> tools -> (adopted buckets checked) -> sysusers -> tmpfiles ->
 * (code) -> every other file, a service's env file after its unit file (a
 * unit systemd rejects stops its env file too, so the pair on disk stays
 * consistent); each unit after the files it reads and the units it starts
 * after, so `dependsOn` here and `After=` in the units are the same DAG;
 * the generation last, once every service passed its gate.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { fileAttributes, type HostPlan } from "../hostfiles/plan";
import type { ServiceName } from "../model/catalog";
import { bundleHash, bundleIndex, type BundleFile } from "../provider/code";
import { bucketsInputs } from "../provider/buckets";
import { fingerprintOf } from "../provider/generation";
import {
  HostBuckets,
  HostBundle,
  HostCheckout,
  HostFile,
  HostGeneration,
  HostOwner,
  HostService,
  HostTools,
  type HostProvider,
} from "../provider/resources";

export interface QuantlabHostArgs {
  /** The host's provider (its connection and config). */
  readonly provider: HostProvider;
  /** Everything to put on the host. */
  readonly plan: HostPlan;
  /** `<project>/<stack>`: the owner record. */
  readonly stack: string;
  /** Generations the host keeps. @default 10 */
  readonly keep?: number;
  /** Code to place under `root`, owned by `user`. @default none (code is released out of band) */
  readonly code?: { readonly root: string; readonly user: string; readonly files: readonly BundleFile[] };
  /**
   * Or a git ref to check out into `root` as `user`: each service's fingerprint
   * takes the tree of its code directories, so only changed services restart.
   * @default none
   */
  readonly git?: { readonly root: string; readonly user: string; readonly remote: string; readonly ref: string };
  /** Resources this host starts after (the previous wave's generations). @default none */
  readonly after?: readonly pulumi.Resource[];
  /**
   * The name this host's resources had in a single-host stack (`quantlab`),
   * when it is the one entry of `quantlab:hosts`: aliases keep them. @default none
   */
  readonly formerly?: string;
}

const sha256 = (data: string | Buffer): string => crypto.createHash("sha256").update(data).digest("hex");

export class QuantlabHost extends pulumi.ComponentResource {
  readonly services: Readonly<Partial<Record<ServiceName, HostService>>>;
  readonly owner: HostOwner;
  /** Recorded once every service of the host passed its gates. */
  readonly generation: HostGeneration;

  constructor(name: string, args: QuantlabHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:host:Host", name, {}, { ...opts, ...(args.formerly ? { aliases: [{ name: args.formerly }] } : {}) });
    const { plan } = args;
    const host = name;
    const child = (suffix: string, deps: (pulumi.Resource | undefined)[]): pulumi.CustomResourceOptions => ({
      parent: this,
      provider: args.provider,
      dependsOn: deps.filter((d): d is pulumi.Resource => d !== undefined),
      ...(args.formerly ? { aliases: [{ name: `${args.formerly}:${suffix}` }] } : {}),
    });

    // One stack per host: claimed before anything else is touched. Then the runbook's tools: a host that cannot get them is not touched at all.
    const owner = new HostOwner(`${name}:owner`, { host, owner: args.stack }, child("owner", [...(args.after ?? [])]));
    this.owner = owner;
    const tools = new HostTools(
      `${name}:tools`,
      {
        host,
        commands: Object.fromEntries(plan.tools.map((t) => [t.package, t.command])),
        installed: Object.fromEntries(plan.tools.map((t) => [t.package, true])),
      },
      child("tools", [owner]),
    );

    // The adopted buckets answer to the services' keys, asked from the host: else nothing after the tools is touched.
    const b = plan.buckets;
    const buckets = b ? new HostBuckets(`${name}:buckets`, bucketsInputs(host, b), child("buckets", [tools])) : undefined;

    const files = new Map<string, HostFile>();
    let sysusers: HostFile | undefined;
    let tmpfiles: HostFile | undefined;
    let code: HostBundle | HostCheckout | undefined;
    let checkout: HostCheckout | undefined;
    const kindOf = new Map(plan.files.map((f) => [f.path, f.kind]));
    const unitFileOf = new Map(
      plan.units.flatMap((u) => {
        const unitFile = u.reads.find((p) => kindOf.get(p) === "unit");
        return unitFile ? u.reads.filter((p) => kindOf.get(p) === "env").map((env) => [env, unitFile] as const) : [];
      }),
    );
    const hashes = new Map(plan.files.map((f) => [f.path, sha256(f.content)]));
    for (const f of plan.files) {
      const unitFile = unitFileOf.get(f.path);
      const deps =
        f.kind === "sysusers"
          ? [tools, buckets]
          : f.kind === "tmpfiles"
            ? [sysusers]
            : [tmpfiles, code, unitFile ? files.get(unitFile) : undefined];
      const file = new HostFile(`${name}:${f.path}`, { host, ...fileAttributes(f), sha256: hashes.get(f.path)! }, child(f.path, deps));
      files.set(f.path, file);
      if (f.kind === "sysusers") sysusers = file;
      if (f.kind === "tmpfiles") {
        tmpfiles = file;
        if (args.code)
          code = new HostBundle(
            `${name}:code`,
            { host, root: args.code.root, user: args.code.user, files: bundleIndex(args.code.files) },
            child("code", [tmpfiles]),
          );
        if (args.git) {
          const paths = [...new Set(plan.units.flatMap((u) => u.codeDirs))].sort();
          code = checkout = new HostCheckout(
            `${name}:checkout`,
            { host, ...args.git, paths, current: true },
            child("checkout", [tmpfiles]),
          );
        }
      }
    }

    const codeHash = args.code ? bundleHash(args.code.files) : undefined;
    const services: Partial<Record<ServiceName, HostService>> = {};
    for (const u of plan.units) {
      services[u.service] = new HostService(
        `${name}:${u.unit}`,
        {
          host,
          unit: u.unit,
          reads: Object.fromEntries(u.reads.map((p) => [p, hashes.get(p)!])),
          extra: codeHash ? { code: codeHash } : checkout ? codeTrees(checkout, u.codeDirs) : {},
          ...(u.health ? { probe: { url: u.health.url, ...(u.health.token ? { token: u.health.token } : {}) } } : {}),
          healthTimeoutSeconds: u.healthTimeoutSeconds,
          enabled: true,
          active: true,
          healthy: true,
        },
        child(u.unit, [...u.reads.map((p) => files.get(p)), ...u.after.map((d) => services[d]), code]),
      );
    }
    this.services = services;

    const all = Object.values(services) as HostService[];
    const started = pulumi
      .all(all.map((s) => pulumi.all([s.unit, s.started])))
      .apply((pairs) => Object.fromEntries(pairs.filter(([, inv]) => inv).map(([unit, inv]) => [unit, inv!])));
    const commit: pulumi.Input<string> = checkout ? checkout.commit : (codeHash ?? "none");
    const trees: pulumi.Input<Record<string, string>> = checkout ? checkout.trees : {};
    const fingerprint = pulumi
      .all([started, commit])
      .apply(([s, c]) => fingerprintOf({ files: Object.fromEntries(hashes), code: c, started: s }));
    this.generation = new HostGeneration(
      `${name}:generation`,
      { host, keep: args.keep ?? 10, fingerprint, started, code: commit, trees },
      child("generation", [...files.values(), ...all, code]),
    );
    this.registerOutputs({});
  }
}

/** A service's code fingerprint from a checkout: `code:<dir>` -> the tree hash of each of its code directories. */
function codeTrees(checkout: HostCheckout, dirs: readonly string[]): pulumi.Output<Record<string, string>> {
  return checkout.trees.apply((trees) => Object.fromEntries(dirs.map((d) => [`code:${d}`, (trees ?? {})[d] ?? "absent"])));
}
