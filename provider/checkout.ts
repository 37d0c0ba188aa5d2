/**
 * HostCheckout: a git ref checked out into the backend root by the runtime
 * user. Observing reports the commit the host has and whether it is what
 * the ref names at the remote now (asked from the host) with tracked files
 * as committed, so a hand-moved or hand-edited checkout, or a branch that
 * moved, is drift. Its `trees` output (code directory -> tree hash) is what
 * each service's fingerprint takes, so only the services whose code changed
 * restart.
 */
import {
  CHECKOUT_DEADLINE_S,
  checkoutScript,
  checkoutStateScript,
  lsRemoteScript,
  parseCheckoutState,
  removeCheckoutScript,
  resolveRef,
} from "../host/checkout";
import type { HostContext } from "./context";
import { hostRun, softFailures } from "./hostrun";
import { providerOf, type Kind } from "./kind";
import { checkoutKey, observed, remoteKey } from "./reads";

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
  /** Wanted: true: the host has what `ref` names, with tracked files as committed. */
  readonly current: boolean;
}

export interface HostCheckoutOutputs extends HostCheckoutInputs {
  /** The commit checked out on the host. */
  readonly commit: string;
  /** path -> tree hash at `commit` ("absent" when the commit lacks it). */
  readonly trees: Readonly<Record<string, string>>;
}

const label = (p: { root: string }) => `HostCheckout ${p.root}`;

/** The commit `ref` names at the remote now. */
async function wanted(c: HostContext, p: HostCheckoutInputs): Promise<string> {
  const commit = resolveRef(
    p.ref,
    /^[0-9a-f]{40}$/.test(p.ref)
      ? ""
      : await observed(c, label(p), remoteKey(p), () => ({ script: lsRemoteScript(p), opts: { deadline: CHECKOUT_DEADLINE_S } })),
  );
  if (!commit) throw new Error(`${label(p)}: ref "${p.ref}" not found at ${p.remote} (quantlab:code.git.ref)`);
  return commit;
}

export const checkoutKind: Kind<HostCheckoutInputs, HostCheckoutOutputs> = {
  name: "checkout",
  label,

  apply(c, p) {
    // A tolerated failure elsewhere on the host: the checkout as the rollback left it.
    const asItIs = async (): Promise<HostCheckoutOutputs> => {
      const state = parseCheckoutState(await c.session.must(label(p), checkoutStateScript(p)));
      return { ...p, current: false, commit: state?.commit ?? "", trees: state?.trees ?? {} };
    };
    return hostRun().op(
      label(p),
      async () => {
        const state = parseCheckoutState(await c.session.must(label(p), checkoutScript(p), { deadline: CHECKOUT_DEADLINE_S }));
        if (!state) throw new Error(`${label(p)}: nothing checked out after the checkout`);
        return { ...p, current: true, commit: state.commit, trees: state.trees };
      },
      softFailures(c) ? asItIs : undefined,
    );
  },

  async observe(c, stored) {
    const state = parseCheckoutState(
      await observed(c, label(stored), checkoutKey(stored), () => ({ script: checkoutStateScript(stored) })),
    );
    if (!state) return undefined;
    const { commit: _c, trees: _t, ...inputs } = stored;
    const seen = { ...inputs, current: state.clean && state.commit === (await wanted(c, stored)) };
    return { inputs: seen, outputs: { ...seen, commit: state.commit, trees: state.trees } };
  },

  async remove(c, p) {
    await c.session.must(label(p), removeCheckoutScript(p));
  },
};

export const checkout = providerOf(checkoutKind);
