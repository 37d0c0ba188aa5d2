/**
 * HostService: a unit enabled, active and healthy, (re)started when what it
 * reads changes. `reads` maps each file the unit reads (unit file, env
 * file, dotenv) to its sha-256; read() hashes those files on the host and
 * asks the health endpoint (on the host's loopback, with its token), so a
 * hand-edited env file, a stopped unit or an unhealthy service shows as
 * drift, and the repairing `up` restarts the service on the repaired files.
 */
import type * as pulumi from "@pulumi/pulumi";
import { run, tokenValue } from "./context";
import { forgetGoodScript } from "./gate";
import { rollout } from "./rollout";
import { bearer, deactivateScript, parseUnitState, unitStateScript } from "./scripts";

export interface HostServiceInputs {
  readonly host: string;
  readonly unit: string;
  /** path -> sha-256 of every file the unit reads. */
  readonly reads: Readonly<Record<string, string>>;
  /** Other things it runs on that the host cannot hash cheaply (e.g. the code bundle), name -> hash. @default {} */
  readonly extra: Readonly<Record<string, string>>;
  /** Its health endpoint and the name of the token it wants. @default none */
  readonly probe?: { readonly url: string; readonly token?: string };
  /** Seconds a (re)start may take to pass its health gate (not compared by diff: it changes nothing on the host). @default 30 */
  readonly healthTimeoutSeconds?: number;
  /** Wanted state; read() reports the host's. */
  readonly enabled: boolean;
  readonly active: boolean;
}

export interface HostServiceOutputs extends HostServiceInputs {
  /** The health endpoint's HTTP status at the last look ("000": no answer); absent without a probe. */
  readonly health?: string;
}

const label = (p: { unit: string }) => `HostService ${p.unit}`;

const sameMap = (a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** Why a service restarts: the read files (or extras) whose hash differs. */
export function restartCauses(olds: Pick<HostServiceInputs, "reads" | "extra">, news: Pick<HostServiceInputs, "reads" | "extra">): string[] {
  const keys = (o: Readonly<Record<string, string>> = {}, n: Readonly<Record<string, string>> = {}) =>
    [...new Set([...Object.keys(o), ...Object.keys(n)])].filter((k) => o[k] !== n[k]);
  return [...keys(olds.reads, news.reads), ...keys(olds.extra, news.extra)];
}

/** The unit's state on the host, health included. */
async function look(p: HostServiceInputs) {
  const token = p.probe?.token ? tokenValue(p.probe.token, label(p)) : undefined;
  const script = unitStateScript(p.unit, Object.keys(p.reads ?? {}), p.probe ? { url: p.probe.url, withToken: token !== undefined } : undefined);
  return parseUnitState(await run(p.host, label(p), script, bearer(token)));
}

/** (Re)starts behind the health gate (provider/rollout.ts: a failure rolls back and throws), then looks. */
async function activate(p: HostServiceInputs, how: "restart" | "start", changed: readonly string[], before?: HostServiceInputs): Promise<HostServiceOutputs> {
  await rollout(p, label(p), how, changed, before);
  const state = await look(p);
  return { ...p, enabled: state.enabled, active: state.active, ...(state.health ? { health: state.health } : {}) };
}

const unhealthy = (o: HostServiceOutputs): boolean => o.probe !== undefined && o.health !== undefined && o.health !== "200";

export const service: pulumi.dynamic.ResourceProvider<HostServiceInputs, HostServiceOutputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:${inputs.unit}`, outs: await activate(inputs, "restart", ["new unit"]) };
  },

  async read(id, stored) {
    const props = stored!;
    const state = await look(props);
    if (!state.loaded) return { id: "", props: {} as HostServiceOutputs };
    const { health: _old, ...inputs } = props;
    const refreshedInputs = { ...inputs, reads: state.reads, enabled: state.enabled, active: state.active };
    return { id, props: { ...refreshedInputs, ...(state.health ? { health: state.health } : {}) }, inputs: refreshedInputs };
  },

  async diff(_id, olds, news) {
    const replaces = (["host", "unit"] as const).filter((k) => olds[k] !== news[k]);
    const changes =
      replaces.length > 0 ||
      !sameMap(olds.reads, news.reads) ||
      !sameMap(olds.extra, news.extra) ||
      JSON.stringify(olds.probe ?? null) !== JSON.stringify(news.probe ?? null) ||
      olds.enabled !== news.enabled ||
      olds.active !== news.active ||
      unhealthy(olds);
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    // A changed input or a failing health check restarts; a unit that was merely stopped or disabled is enabled and started.
    const causes = restartCauses(olds, news);
    return { outs: await activate(news, causes.length > 0 || unhealthy(olds) ? "restart" : "start", causes, olds) };
  },

  async delete(_id, props) {
    await run(props.host, label(props), deactivateScript(props.unit));
    await run(props.host, label(props), forgetGoodScript(props.unit));
  },
};
