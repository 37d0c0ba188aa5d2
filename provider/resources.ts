/**
 * The host resources as Pulumi sees them: one provider resource per host
 * (its configuration is the host's config and the stack's secrets), and one
 * custom resource class per kind, of type `pulumi-nodejs:dynamic/quantlab:<Kind>`,
 * served by that provider. Inputs are the kind's own (provider/*.ts), never
 * file content or secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostBucketsInputs } from "./buckets";
import type { HostBundleInputs } from "./bundle";
import type { HostCheckoutInputs } from "./checkout";
import type { HostProviderConfig } from "./context";
import type { HostFileInputs } from "./file";
import type { HostGenerationInputs } from "./generation";
import { KINDS, typeToken, type KindName } from "./kinds";
import type { HostOwnerInputs } from "./owner";
import type { HostServiceInputs } from "./service";
import { stubText } from "./stub";
import type { HostToolsInputs } from "./tools";
import type { HostWaveInputs } from "./wave";

type Inputs<T> = { readonly [K in keyof T]: pulumi.Input<T[K]> };

/** The provider of one host: a `pulumi-nodejs` provider whose configuration is that host's. */
export class HostProvider extends pulumi.ProviderResource {
  constructor(
    name: string,
    args: Omit<HostProviderConfig, "secrets"> & { readonly secrets: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super("pulumi-nodejs", name, { config: args.config, secrets: pulumi.secret(args.secrets), stack: args.stack }, opts);
  }
}

/** A host resource of `kind`; `outputs` names the output properties beyond the inputs. */
abstract class HostResource<I> extends pulumi.CustomResource {
  protected constructor(
    kind: KindName,
    name: string,
    args: Inputs<I>,
    opts: pulumi.CustomResourceOptions | undefined,
    outputs: readonly string[] = [],
  ) {
    const props: Record<string, unknown> = { ...args, __provider: stubText(kind) };
    for (const o of outputs) props[o] ??= undefined;
    super(typeToken(kind), name, props, opts);
  }
}

export class HostOwner extends HostResource<HostOwnerInputs> {
  declare readonly previous: pulumi.Output<string | undefined>;
  constructor(name: string, args: Inputs<HostOwnerInputs>, opts?: pulumi.CustomResourceOptions) {
    super("owner", name, args, opts, ["previous"]);
  }
}

export class HostTools extends HostResource<HostToolsInputs> {
  constructor(name: string, args: Inputs<HostToolsInputs>, opts?: pulumi.CustomResourceOptions) {
    super("tools", name, args, opts);
  }
}

export class HostBuckets extends HostResource<HostBucketsInputs> {
  constructor(name: string, args: Inputs<HostBucketsInputs>, opts?: pulumi.CustomResourceOptions) {
    super("buckets", name, args, opts);
  }
}

export class HostFile extends HostResource<HostFileInputs> {
  declare readonly sha256: pulumi.Output<string>;
  constructor(name: string, args: Inputs<HostFileInputs>, opts?: pulumi.CustomResourceOptions) {
    super("file", name, args, opts);
  }
}

export class HostBundle extends HostResource<HostBundleInputs> {
  constructor(name: string, args: Inputs<HostBundleInputs>, opts?: pulumi.CustomResourceOptions) {
    super("bundle", name, args, opts);
  }
}

export class HostCheckout extends HostResource<HostCheckoutInputs> {
  /** The commit checked out on the host. */
  declare readonly commit: pulumi.Output<string>;
  /** Code directory -> tree hash at `commit`. */
  declare readonly trees: pulumi.Output<Record<string, string>>;
  constructor(name: string, args: Inputs<HostCheckoutInputs>, opts?: pulumi.CustomResourceOptions) {
    super("checkout", name, args, opts, ["commit", "trees"]);
  }
}

export class HostService extends HostResource<HostServiceInputs> {
  declare readonly unit: pulumi.Output<string>;
  declare readonly active: pulumi.Output<boolean>;
  /** The invocation this package last started (that passed its gate). */
  declare readonly started: pulumi.Output<string | undefined>;
  /** HTTP status of the health endpoint at the last look. */
  declare readonly health: pulumi.Output<string | undefined>;
  constructor(name: string, args: Inputs<HostServiceInputs>, opts?: pulumi.CustomResourceOptions) {
    super("service", name, args, opts, ["started", "health"]);
  }
}

export class HostGeneration extends HostResource<HostGenerationInputs> {
  declare readonly generation: pulumi.Output<number>;
  /** Every service of the run passed its gates. */
  declare readonly ok: pulumi.Output<boolean>;
  declare readonly failure: pulumi.Output<string | undefined>;
  constructor(name: string, args: Inputs<HostGenerationInputs>, opts?: pulumi.CustomResourceOptions) {
    super("generation", name, args, opts, ["generation", "ok", "failure"]);
  }
}

export class HostWave extends HostResource<HostWaveInputs> {
  constructor(name: string, args: Inputs<HostWaveInputs>, opts?: pulumi.CustomResourceOptions) {
    super("wave", name, args, opts);
  }
}

export { KINDS };
