/**
 * HostOwner: one stack per host. The first resource of every host: it
 * claims the host's owner record (under flock) before anything else is
 * touched, and refuses when another stack holds it, unless the operator
 * takes the host over (`quantlab up --take-over` sets QUANTLAB_TAKE_OVER=1
 * for the engine run). Observing reports the record, so a host another stack
 * took over is drift; removing releases it.
 */
import { claimScript, ownedText, ownerStateScript, parseClaim, releaseScript } from "../host/owner";
import { providerOf, type Kind } from "./kind";
import { observed } from "./reads";

export interface HostOwnerInputs {
  readonly host: string;
  /** `<project>/<stack>` */
  readonly owner: string;
}

export interface HostOwnerOutputs extends HostOwnerInputs {
  /** The stack the host was taken over from, when it was. */
  readonly previous?: string;
}

const LABEL = "HostOwner";

export const ownerKind: Kind<HostOwnerInputs, HostOwnerOutputs> = {
  name: "owner",
  label: () => LABEL,

  async apply(c, p) {
    const r = await c.session.run(claimScript(p.owner, process.env.QUANTLAB_TAKE_OVER === "1"));
    if (r.code !== 0 && r.code !== 3) throw new Error(`${LABEL} on ${c.label}: ${(r.stderr || r.stdout).trim()}`);
    const claim = parseClaim(r.code, r.stdout);
    if (!claim.claimed) throw new Error(ownedText(c.label, claim.owner, p.owner, "up"));
    return { host: p.host, owner: p.owner, ...(claim.previous && claim.previous !== p.owner ? { previous: claim.previous } : {}) };
  },

  async observe(c, p) {
    const current = (await observed(c, LABEL, "owner", () => ({ script: ownerStateScript() }))).trim();
    if (current === "none") return undefined;
    const seen = { host: p.host, owner: current };
    return { inputs: seen, outputs: seen };
  },

  async remove(c, p) {
    await c.session.must(LABEL, releaseScript(p.owner));
  },
};

export const owner = providerOf(ownerKind);
