/**
 * QuantlabHost: ships one host plan (hostfiles/plan.ts) to one host, and
 * nothing else. Order: owner -> tools -> sysusers -> tmpfiles -> (code) -> every other file,
 * a service's env file after its unit file (a unit systemd rejects stops
 * its env file too, so the pair on disk stays consistent); each unit after
 * the files it reads and the units it starts after, so `dependsOn` here and
 * `After=` in the units are the same DAG.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { HostPlan } from "../hostfiles/plan";
import type { ServiceName } from "../model/catalog";
import { HostBundle, HostCheckout, HostFile, HostOwner, HostService, HostTools } from "../provider/resources";

/** A file of the code bundle, relative to the backend root. */
export interface BundleFile {
  readonly path: string;
  readonly content: Buffer;
  /** Octal mode. */
  readonly mode: string;
}

export interface QuantlabHostArgs {
  /** The host's address (`quantlab:host.address`): every resource's identity. */
  readonly address: string;
  /** Everything to put on the host. */
  readonly plan: HostPlan;
  /** Code to place under `root`, owned by `user`. @default none (code is released out of band) */
  readonly code?: { readonly root: string; readonly user: string; readonly files: readonly BundleFile[] };
  /**
   * Or a git ref to check out into `root` as `user`: each service's fingerprint
   * takes the tree of its code directories, so only changed services restart.
   * @default none
   */
  readonly git?: { readonly root: string; readonly user: string; readonly remote: string; readonly ref: string };
}

const sha256 = (data: string | Buffer): string => crypto.createHash("sha256").update(data).digest("hex");

export class QuantlabHost extends pulumi.ComponentResource {
  readonly services: Readonly<Partial<Record<ServiceName, HostService>>>;
  /** The host's owner record (this stack's claim). */
  readonly owner: HostOwner;

  constructor(name: string, args: QuantlabHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:host:Host", name, {}, opts);
    const { plan, address } = args;
    const after = (...deps: (pulumi.Resource | undefined)[]) => ({ parent: this, dependsOn: deps.filter((d): d is pulumi.Resource => d !== undefined) });

    // The runbook's tools first: a host that cannot get them is not touched at all.
    // One stack per host: claimed before anything else is touched.
    const owner = new HostOwner(`${name}:owner`, { host: address, owner: `${pulumi.getProject()}/${pulumi.getStack()}` }, after());
    this.owner = owner;
    const tools = new HostTools(`${name}:tools`, { host: address, commands: Object.fromEntries(plan.tools.map((t) => [t.package, t.command])) }, after(owner));
    const files = new Map<string, HostFile>();
    let sysusers: HostFile | undefined;
    let tmpfiles: HostFile | undefined;
    let code: HostBundle | HostCheckout | undefined;
    let checkout: HostCheckout | undefined;
    const codeHash = args.code ? sha256(bundlePayload(args.code.files)) : undefined;
    const kindOf = new Map(plan.files.map((f) => [f.path, f.kind]));
    const unitFileOf = new Map(
      plan.units.flatMap((u) => {
        const unitFile = u.reads.find((p) => kindOf.get(p) === "unit");
        return unitFile ? u.reads.filter((p) => kindOf.get(p) === "env").map((env) => [env, unitFile] as const) : [];
      }),
    );
    for (const f of plan.files) {
      const unitFile = unitFileOf.get(f.path);
      const deps =
        f.kind === "sysusers" ? after(tools) : f.kind === "tmpfiles" ? after(sysusers) : after(tmpfiles, code, unitFile ? files.get(unitFile) : undefined);
      const file = new HostFile(`${name}:${f.path}`, {
        host: address,
        path: f.path,
        content: f.secret ? pulumi.secret(f.content) : f.content,
        sha256: sha256(f.content),
        mode: f.mode,
        owner: f.owner,
        group: f.group,
        onChange: f.onChange,
        createParent: f.createParent,
        verify: f.verify,
      }, deps);
      files.set(f.path, file);
      if (f.kind === "sysusers") sysusers = file;
      if (f.kind === "tmpfiles") {
        tmpfiles = file;
        if (args.code) code = new HostBundle(`${name}:code`, { host: address, ...bundleArgs(args.code) }, after(tmpfiles));
        if (args.git) {
          const paths = [...new Set(plan.units.flatMap((u) => u.codeDirs))].sort();
          code = checkout = new HostCheckout(`${name}:checkout`, { host: address, ...args.git, paths }, after(tmpfiles));
        }
      }
    }

    const hashes = new Map(plan.files.map((f) => [f.path, sha256(f.content)]));
    const services: Partial<Record<ServiceName, HostService>> = {};
    for (const u of plan.units) {
      services[u.service] = new HostService(`${name}:${u.unit}`, {
        host: address,
        unit: u.unit,
        reads: Object.fromEntries(u.reads.map((p) => [p, hashes.get(p)!])),
        extra: codeHash ? { code: codeHash } : checkout ? codeTrees(checkout, u.codeDirs) : {},
        ...(u.health ? { probe: { url: u.health.url, ...(u.health.token ? { token: u.health.token } : {}) } } : {}),
        healthTimeoutSeconds: u.healthTimeoutSeconds,
      }, after(...u.reads.map((p) => files.get(p)), ...u.after.map((d) => services[d]), code));
    }
    this.services = services;
    this.registerOutputs({});
  }
}

/** The bundle as the provider ships it: JSON of {path, mode, content(base64)}, sorted by path. */
export function bundlePayload(files: readonly BundleFile[]): string {
  return JSON.stringify([...files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => ({ path: f.path, mode: f.mode, content: f.content.toString("base64") })));
}

function bundleArgs(code: NonNullable<QuantlabHostArgs["code"]>) {
  return {
    root: code.root,
    user: code.user,
    files: Object.fromEntries([...code.files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => [f.path, `${f.mode} ${sha256(f.content)}`])),
    payload: bundlePayload(code.files),
  };
}

/** A service's code fingerprint from a checkout: `code:<dir>` -> the tree hash of each of its code directories. */
function codeTrees(checkout: HostCheckout, dirs: readonly string[]): pulumi.Output<Record<string, string>> {
  return checkout.trees.apply((trees) => Object.fromEntries(dirs.map((d) => [`code:${d}`, (trees ?? {})[d] ?? "absent"])));
}
