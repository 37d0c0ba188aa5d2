/**
 * HostCheckout: a git ref checked out into the backend root by the runtime
 * user. read() reports the commit the host has checked out (and whether
 * tracked files were edited), diff() asks the remote what the ref names now,
 * so a hand-moved or hand-edited checkout, or a branch that moved, is a
 * change. Its `trees` output (code directory -> tree hash) is what each
 * service's fingerprint takes, so only the services whose code changed restart.
 */
import type * as pulumi from "@pulumi/pulumi";
import { run } from "./context";
import { checkoutScript, checkoutStateScript, lsRemoteScript, parseCheckoutState, removeCheckoutScript, resolveRef } from "./gitscripts";

export interface HostCheckoutInputs {
  readonly host: string;
  /** Absolute: the backend root. */
  readonly root: string;
  /** Runs git and owns the checked-out files. */
  readonly user: string;
  readonly remote: string;
  /** Branch, tag or full commit id. */
  readonly ref: string;
  /** Code directories whose tree hash `trees` reports. */
  readonly paths: readonly string[];
}

export interface HostCheckoutOutputs extends HostCheckoutInputs {
  /** The commit checked out on the host. */
  readonly commit: string;
  /** Tracked files are as committed. */
  readonly clean: boolean;
  /** path -> tree hash at `commit` ("absent" when the commit lacks it). */
  readonly trees: Readonly<Record<string, string>>;
}

const label = (p: { root: string }) => `HostCheckout ${p.root}`;

async function checkout(p: HostCheckoutInputs): Promise<HostCheckoutOutputs> {
  const state = parseCheckoutState(await run(p.host, label(p), checkoutScript(p)));
  if (!state) throw new Error(`${label(p)}: nothing checked out after the checkout`);
  return { ...p, ...state };
}

/** The commit `ref` names at the remote now. */
async function wanted(p: HostCheckoutInputs): Promise<string> {
  const commit = resolveRef(p.ref, /^[0-9a-f]{40}$/.test(p.ref) ? "" : await run(p.host, label(p), lsRemoteScript(p)));
  if (!commit) throw new Error(`${label(p)}: ref "${p.ref}" not found at ${p.remote} (quantlab:code.git.ref)`);
  return commit;
}

export const checkoutProvider: pulumi.dynamic.ResourceProvider<HostCheckoutInputs, HostCheckoutOutputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:${inputs.root}`, outs: await checkout(inputs) };
  },

  async read(id, stored) {
    const props = stored!;
    const state = parseCheckoutState(await run(props.host, label(props), checkoutStateScript(props)));
    if (!state) return { id: "", props: {} as HostCheckoutOutputs };
    const { commit: _c, clean: _k, trees: _t, ...inputs } = props;
    // Inputs stay as declared (the host's state is output only): a refresh alone shows no diff.
    return { id, props: { ...props, ...state }, inputs: inputs as HostCheckoutOutputs };
  },

  async diff(_id, olds, news) {
    const replaces = (["host", "root"] as const).filter((k) => olds[k] !== news[k]);
    const inputs =
      olds.user !== news.user || olds.remote !== news.remote || olds.ref !== news.ref || JSON.stringify(olds.paths) !== JSON.stringify(news.paths);
    const changes = replaces.length > 0 || inputs || !olds.clean || olds.commit !== (await wanted(news));
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id, _olds, news) {
    return { outs: await checkout(news) };
  },

  async delete(_id, props) {
    await run(props.host, label(props), removeCheckoutScript(props));
  },
};
