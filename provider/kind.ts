/**
 * One shape for every host resource kind. A kind says how to put its wanted
 * state on the host (apply), what the host holds now (observe), and how to
 * take it away (remove); the Pulumi methods follow from that, the same for
 * every kind:
 *
 * - read() returns the host's state as the inputs that would produce it (the
 *   observed state becomes the inputs), so the engine's diff after a refresh
 *   names the drifted property, and a resource the host no longer has is gone;
 * - diff() compares the kind's properties (provider/kinds.ts) as data: no
 *   host access, and no replacement (a resource's identity is its name; what
 *   it targets is reached through its host's provider);
 * - create() and update() apply; delete() removes.
 */
import type * as pulumi from "@pulumi/pulumi";
import { stableJson } from "../config/hostconfig";
import { context, type HostContext } from "./context";
import { hostRun } from "./hostrun";
import { KINDS, type KindName } from "./kinds";

export interface Kind<I extends object, O extends I = I> {
  readonly name: KindName;
  /** How messages name the resource: "HostFile /etc/quantlab/x.env". */
  label(p: I): string;
  /** Puts the wanted state on the host; `olds` is the state before (update). Returns the outputs. */
  apply(c: HostContext, news: I, olds?: O): Promise<O>;
  /** The host's state: as inputs (for the diff) and outputs (the record); undefined when the host has none. */
  observe(c: HostContext, stored: O): Promise<{ readonly inputs: I; readonly outputs: O } | undefined>;
  remove(c: HostContext, props: O): Promise<void>;
}

/** The property names of `kind` whose values differ between `olds` and `news`. */
export function differing(kind: KindName, olds: object, news: object): string[] {
  const o = olds as Record<string, unknown>;
  const n = news as Record<string, unknown>;
  return KINDS[kind].compare.filter((k) => stableJson(o[k] ?? null) !== stableJson(n[k] ?? null));
}

/**
 * Applies, the way the host's failures go: thrown (the engine stops), or, on a
 * host of a fleet of several, recorded for the host's generation and wave
 * barrier to report, so the wave's other hosts run on. After a failure on
 * such a host nothing more is changed there in this run: the resource keeps
 * what it had, and the next refresh reads the host as it is.
 */
async function applying<I extends object, O extends I>(k: Kind<I, O>, c: HostContext, news: I, olds?: O): Promise<O> {
  if (!c.softFailures || k.name === "generation" || k.name === "wave") return k.apply(c, news, olds);
  const run = hostRun();
  const keep = (): O => olds ?? (news as unknown as O);
  if (run.failure) return keep();
  try {
    return await k.apply(c, news, olds);
  } catch (e) {
    run.failure ??= e instanceof Error ? e.message : String(e);
    return keep();
  }
}

/** The dynamic provider of a kind. */
export function providerOf<I extends object, O extends I>(k: Kind<I, O>): pulumi.dynamic.ResourceProvider<I, O> {
  return {
    async create(inputs) {
      const outs = await applying(k, context(), inputs);
      return { id: k.label(inputs), outs };
    },
    async read(id, stored) {
      const seen = await k.observe(context(), stored!);
      if (!seen) return { id: "", props: {} as O };
      return { id, props: seen.outputs, inputs: seen.inputs as unknown as O };
    },
    async diff(_id, olds, news) {
      return { changes: differing(k.name, olds, news).length > 0, replaces: [] };
    },
    async update(_id, olds, news) {
      return { outs: await applying(k, context(), news, olds) };
    },
    async delete(_id, props) {
      await k.remove(context(), props);
    },
  };
}
