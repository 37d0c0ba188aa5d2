/**
 * HostOwner: one stack per host. The first resource of every stack: it
 * claims the host's owner record (provider/owner.ts, under flock) before
 * anything else is touched, and refuses when another stack holds it, unless
 * the operator takes the host over (`quantlab up --take-over` sets
 * QUANTLAB_TAKE_OVER=1 for the engine run). read() reports the record, so a
 * host another stack took over is drift; delete releases it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { run } from "./context";
import { claimScript, ownedText, ownerStateScript, parseClaim, releaseScript } from "./owner";
import { hostFor } from "./context";

export interface HostOwnerInputs {
  readonly host: string;
  /** `<project>/<stack>` */
  readonly owner: string;
  /** The stack it was taken over from, when it was. */
  readonly previous?: string;
}

const LABEL = "HostOwner";

async function claim(p: HostOwnerInputs): Promise<HostOwnerInputs> {
  const host = await hostFor(p.host, LABEL);
  const r = await host.exec(claimScript(p.owner, process.env.QUANTLAB_TAKE_OVER === "1"));
  if (r.code !== 0 && r.code !== 3) throw new Error(`${LABEL} on ${p.host}: ${(r.stderr || r.stdout).trim()}`);
  const c = parseClaim(r.code, r.stdout);
  if (!c.claimed) throw new Error(ownedText(p.host, c.owner, p.owner));
  return { host: p.host, owner: p.owner, ...(c.previous && c.previous !== p.owner ? { previous: c.previous } : {}) };
}

export const owner: pulumi.dynamic.ResourceProvider<HostOwnerInputs, HostOwnerInputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:owner`, outs: await claim(inputs) };
  },

  async read(id, stored) {
    const props = stored!;
    const current = (await run(props.host, LABEL, ownerStateScript())).trim();
    if (current === "none") return { id: "", props: {} as HostOwnerInputs };
    const refreshed = { host: props.host, owner: current };
    return { id, props: refreshed, inputs: refreshed };
  },

  async diff(_id, olds, news) {
    return { changes: olds.owner !== news.owner || olds.host !== news.host, replaces: olds.host !== news.host ? ["host"] : [], deleteBeforeReplace: true };
  },

  async update(_id, _olds, news) {
    return { outs: await claim(news) };
  },

  async delete(_id, props) {
    await run(props.host, LABEL, releaseScript(props.owner));
  },
};
