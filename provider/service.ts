/**
 * HostService: a unit enabled, active and healthy, (re)started when what it
 * reads changes. `reads` maps each file the unit reads (unit file, env file,
 * dotenv) to its sha-256, `extra` the code it runs; observing hashes those
 * files on the host and asks the health endpoint (on the host's loopback,
 * with its token), so a hand-edited env file, a stopped unit or an
 * unhealthy service is drift, and the repairing `up` restarts the service
 * on the repaired files. A (re)start passes the health gate or the whole
 * host goes back to its last generation (provider/hostrun.ts).
 */
import { gate } from "../host/rollout";
import { failureText } from "../host/report";
import { bearer, deactivateScript, parseUnitState, unitStateScript } from "../host/units";
import type { HostContext } from "./context";
import { hostRun, rollbackHost, softFailures } from "./hostrun";
import { providerOf, differing, type Kind } from "./kind";
import { observed, unitKey } from "./reads";
import { planUnits } from "./units";

export interface HostServiceInputs {
  readonly host: string;
  readonly unit: string;
  /** path -> sha-256 of every file the unit reads. */
  readonly reads: Readonly<Record<string, string>>;
  /** Other things it runs on, name -> hash (its code). @default {} */
  readonly extra: Readonly<Record<string, string>>;
  /** Its health endpoint and the name of the token it wants. @default none */
  readonly probe?: { readonly url: string; readonly token?: string };
  /** Seconds a (re)start may take to pass its gate (not compared: it changes nothing on the host). */
  readonly healthTimeoutSeconds: number;
  /** Wanted: true; observing reports the host's. */
  readonly enabled: boolean;
  readonly active: boolean;
  /** Its endpoint answers 200 (true without an endpoint while active). */
  readonly healthy: boolean;
}

export interface HostServiceOutputs extends HostServiceInputs {
  /** The invocation this package last started that passed its gate. */
  readonly started?: string;
  /** The endpoint's HTTP status at the last look ("000": no answer). */
  readonly health?: string;
}

const label = (p: { unit: string }) => `HostService ${p.unit}`;

/** Why a service restarts: the read files (or extras) whose hash differs. */
export function restartCauses(
  olds: Pick<HostServiceInputs, "reads" | "extra">,
  news: Pick<HostServiceInputs, "reads" | "extra">,
): string[] {
  const keys = (o: Readonly<Record<string, string>> = {}, n: Readonly<Record<string, string>> = {}) =>
    [...new Set([...Object.keys(o), ...Object.keys(n)])].filter((k) => o[k] !== n[k]);
  return [...keys(olds.reads, news.reads), ...keys(olds.extra, news.extra)];
}

/** The unit on the host now (after a start), or, for a refresh, as the run's snapshot found it. */
async function look(c: HostContext, p: HostServiceInputs, refresh = false) {
  const token = p.probe?.token ? c.token(p.probe.token) : undefined;
  const reads = Object.keys(p.reads ?? {});
  const live = () => ({
    script: unitStateScript(
      p.unit,
      reads,
      c.parsed.model.runtime.user,
      p.probe ? { url: p.probe.url, withToken: token !== undefined } : undefined,
    ),
    opts: { stdin: bearer(token) },
  });
  if (!refresh) return parseUnitState(await c.session.must(label(p), live().script, live().opts));
  return parseUnitState(await observed(c, label(p), unitKey(p.unit, reads, p.probe?.url), live));
}

async function apply(c: HostContext, p: HostServiceInputs, olds?: HostServiceOutputs): Promise<HostServiceOutputs> {
  const run = hostRun();
  const causes = olds ? restartCauses(olds, p) : ["new unit"];
  const changed = olds ? differing("service", olds, p) : ["new unit"];
  const how = !olds || causes.length > 0 || olds.healthy === false || changed.includes("probe") ? "restart" : "start";
  const unit = planUnits(c.plan).find((u) => u.unit === p.unit);
  if (!unit) throw new Error(`${label(p)}: not in this host's plan (the program and the provider disagree: run \`npm run build\`)`);
  // A tolerated failure records what the host runs now (the last generation's version), so the next up tries again.
  const asItIs = async (): Promise<HostServiceOutputs> => {
    const state = await look(c, p);
    return {
      ...p,
      reads: state.reads,
      enabled: state.enabled,
      active: state.active,
      healthy: state.active && (p.probe === undefined || state.health === "200"),
      ...(olds?.started ? { started: olds.started } : {}),
      ...(state.health ? { health: state.health } : {}),
    };
  };
  const soft = softFailures(c) ? asItIs : undefined;
  return run.op(
    label(p),
    async (awaitRollback) => {
      await c.loaded(); // the unit files this run wrote, systemd's own (provider/file.ts)
      const result = await gate(c.session, { ...unit, timeoutSeconds: p.healthTimeoutSeconds }, how, (t) => c.token(t), {
        files: p.reads,
        reader: c.parsed.model.runtime.user,
      });
      if (!result.passed) {
        const rollback = await awaitRollback(() => rollbackHost(c, p.unit, [p.unit]));
        const text = failureText({
          resource: label(p),
          host: c.label,
          reason: result.reason,
          changed: causes.length ? causes : changed,
          journal: result.journal,
          rollback,
        });
        if (!soft) throw new Error(text);
        run.failure ??= text;
        return asItIs();
      }
      run.started.set(p.unit, result.invocation);
      // What the gate saw pass: enabled, active in a new invocation, the endpoint 200 (no second look: the settle
      // checks it again once every unit of the run started).
      return { ...p, enabled: true, active: true, healthy: true, started: result.invocation, ...(p.probe ? { health: "200" } : {}) };
    },
    soft,
  );
}

export const serviceKind: Kind<HostServiceInputs, HostServiceOutputs> = {
  name: "service",
  label,
  apply,

  async observe(c, stored) {
    const state = await look(c, stored, true);
    if (!state.loaded) return undefined;
    const healthy = state.active && (stored.probe === undefined || state.health === "200");
    const { started, health: _h, ...inputs } = stored;
    // The files as the running process read them: a file this run already rewrote counts as it was before.
    const run = hostRun();
    const reads = Object.fromEntries(Object.entries(state.reads).map(([path, sha]) => [path, run.beforeRun(path, sha)]));
    const seen = { ...inputs, reads, enabled: state.enabled, active: state.active, healthy };
    return { inputs: seen, outputs: { ...seen, ...(started ? { started } : {}), ...(state.health ? { health: state.health } : {}) } };
  },

  async remove(c, p) {
    await c.session.must(label(p), deactivateScript(p.unit));
  },
};

export const service = providerOf(serviceKind);
