/**
 * The host resources as Pulumi sees them: typed wrappers over the dynamic
 * provider stubs, with types `pulumi-nodejs:dynamic/quantlab:<Kind>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "./stub";
import type { HostBundleInputs } from "./bundle";
import type { HostCheckoutInputs } from "./checkout";
import type { HostFileInputs } from "./file";
import type { HostOwnerInputs } from "./ownerResource";
import type { HostServiceInputs } from "./service";
import type { HostToolsInputs } from "./tools";

/** HostFileInputs, with the content as a Pulumi input (pass a secret for files that hold tokens). */
export type HostFileArgs = Omit<HostFileInputs, "content"> & { readonly content: pulumi.Input<string> };

export class HostFile extends pulumi.dynamic.Resource {
  declare readonly sha256: pulumi.Output<string>;
  declare readonly path: pulumi.Output<string>;

  constructor(name: string, args: HostFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerStub("file"), name, { ...args }, { deleteBeforeReplace: true, ...opts }, "quantlab", "HostFile");
  }
}

/** HostServiceInputs without the wanted state (always enabled and active), `extra` optional and a Pulumi input (code hashes are outputs). */
export type HostServiceArgs = Omit<HostServiceInputs, "extra" | "enabled" | "active"> & {
  /** name -> hash of other inputs (code). @default {} */
  readonly extra?: pulumi.Input<Readonly<Record<string, pulumi.Input<string>>>>;
};

export class HostService extends pulumi.dynamic.Resource {
  declare readonly unit: pulumi.Output<string>;
  declare readonly active: pulumi.Output<boolean>;
  /** HTTP status of the health endpoint at the last look. */
  declare readonly health: pulumi.Output<string | undefined>;

  constructor(name: string, args: HostServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      host: args.host,
      unit: args.unit,
      reads: args.reads,
      extra: args.extra ?? {},
      ...(args.probe ? { probe: args.probe } : {}),
      ...(args.healthTimeoutSeconds !== undefined ? { healthTimeoutSeconds: args.healthTimeoutSeconds } : {}),
      health: undefined,
      enabled: true,
      active: true,
    };
    super(providerStub("service"), name, props, { deleteBeforeReplace: true, ...opts }, "quantlab", "HostService");
  }
}

export type HostBundleArgs = HostBundleInputs;

export class HostBundle extends pulumi.dynamic.Resource {
  declare readonly files: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: HostBundleArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerStub("bundle"), name, { ...args }, { deleteBeforeReplace: true, ...opts }, "quantlab", "HostBundle");
  }
}

/** HostToolsInputs without `installed` (wanted: all). */
export type HostToolsArgs = Omit<HostToolsInputs, "installed">;

export class HostTools extends pulumi.dynamic.Resource {
  declare readonly installed: pulumi.Output<Record<string, boolean>>;

  constructor(name: string, args: HostToolsArgs, opts?: pulumi.CustomResourceOptions) {
    const installed = Object.fromEntries(Object.keys(args.commands).map((k) => [k, true]));
    super(providerStub("tools"), name, { host: args.host, commands: args.commands, installed }, { deleteBeforeReplace: true, ...opts }, "quantlab", "HostTools");
  }
}

export type HostCheckoutArgs = HostCheckoutInputs;

export class HostCheckout extends pulumi.dynamic.Resource {
  /** The commit checked out on the host. */
  declare readonly commit: pulumi.Output<string>;
  /** Code directory -> tree hash at `commit`. */
  declare readonly trees: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: HostCheckoutArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerStub("checkout"), name, { ...args, commit: undefined, clean: undefined, trees: undefined }, { deleteBeforeReplace: true, ...opts }, "quantlab", "HostCheckout");
  }
}

/** HostOwnerInputs without `previous` (an output: the stack taken over from). */
export type HostOwnerArgs = Omit<HostOwnerInputs, "previous">;

export class HostOwner extends pulumi.dynamic.Resource {
  /** The stack the host was taken over from, when it was. */
  declare readonly previous: pulumi.Output<string | undefined>;

  constructor(name: string, args: HostOwnerArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerStub("owner"), name, { host: args.host, owner: args.owner, previous: undefined }, { deleteBeforeReplace: true, ...opts }, "quantlab", "HostOwner");
  }
}
