/**
 * HostService: a unit enabled and active, (re)started when what it reads
 * changes. `reads` maps each file the unit reads (unit file, env file,
 * dotenv) to its sha-256; read() hashes those files on the host, so a
 * hand-edited env file or a stopped unit shows as drift, and the repairing
 * `up` restarts the service on the repaired files.
 */
import type * as pulumi from "@pulumi/pulumi";
import { run } from "./context";
import { activateScript, deactivateScript, parseUnitState, unitStateScript } from "./scripts";

export interface HostServiceInputs {
  readonly host: string;
  readonly unit: string;
  /** path -> sha-256 of every file the unit reads. */
  readonly reads: Readonly<Record<string, string>>;
  /** Other things it runs on that the host cannot hash cheaply (e.g. the code bundle), name -> hash. @default {} */
  readonly extra: Readonly<Record<string, string>>;
  /** Wanted state; read() reports the host's. */
  readonly enabled: boolean;
  readonly active: boolean;
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

async function activate(p: HostServiceInputs, how: "restart" | "start"): Promise<HostServiceInputs> {
  await run(p.host, label(p), activateScript(p.unit, how));
  return { ...p, enabled: true, active: true };
}

export const service: pulumi.dynamic.ResourceProvider<HostServiceInputs, HostServiceInputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:${inputs.unit}`, outs: await activate(inputs, "restart") };
  },

  async read(id, stored) {
    const props = stored!;
    const state = parseUnitState(await run(props.host, label(props), unitStateScript(props.unit, Object.keys(props.reads ?? {}))));
    if (!state.loaded) return { id: "", props: {} as HostServiceInputs };
    const refreshed = { ...props, reads: state.reads, enabled: state.enabled, active: state.active };
    return { id, props: refreshed, inputs: refreshed };
  },

  async diff(_id, olds, news) {
    const replaces = (["host", "unit"] as const).filter((k) => olds[k] !== news[k]);
    const changes =
      replaces.length > 0 || !sameMap(olds.reads, news.reads) || !sameMap(olds.extra, news.extra) || olds.enabled !== news.enabled || olds.active !== news.active;
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    // A changed input restarts; a unit that was merely stopped or disabled is enabled and started.
    return { outs: await activate(news, restartCauses(olds, news).length > 0 ? "restart" : "start") };
  },

  async delete(_id, props) {
    await run(props.host, label(props), deactivateScript(props.unit));
  },
};
