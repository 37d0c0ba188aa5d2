/**
 * This run on this host (one provider process serves one host for one run):
 * which units it (re)started and in which invocation, which host operations
 * are in flight, and whether the host was put back on its last generation.
 * Once it was, every later operation of the run on this host is refused, and
 * every operation that was in flight fails after it ends, so the engine
 * records none of them as done.
 */
import { generations, restoreGeneration, type GenerationRecord, type Rollback, type RolloutUnit } from "../host/rollout";
import type { HostContext } from "./context";
import { rolloutUnits } from "./units";

class HostRun {
  /** unit -> the invocation that passed its gate in this run. */
  readonly started = new Map<string, string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  rollback?: Promise<Rollback>;

  /** Runs a host operation, counted as in flight; refused once the host was rolled back. */
  async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.rollback) throw new Error(`${what}: not done: ${await rolledBackText(this.rollback)}`);
    const p = fn();
    this.inFlight.add(p);
    try {
      const result = await p;
      if (this.rollback) throw new Error(`${what}: undone: ${await rolledBackText(this.rollback)}`);
      return result;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /** Operations in flight other than `self`, settled. */
  async quiet(self?: Promise<unknown>): Promise<void> {
    await Promise.allSettled([...this.inFlight].filter((p) => p !== self));
  }
}

async function rolledBackText(r: Promise<Rollback>): Promise<string> {
  const { outcome, cause } = await r;
  return "impossible" in outcome ? `${cause} failed in this run (the host could not be rolled back: ${outcome.impossible})` : `${cause} failed in this run and the host is back on generation ${outcome.generation}`;
}

const KEY = Symbol.for("quantlab-infra.host-run");
export const hostRun = (): HostRun => ((globalThis as { [KEY]?: HostRun })[KEY] ??= new HostRun());

/**
 * Puts the host back on its current (last good) generation after `cause`
 * failed: waits for the operations in flight, then restores files, code and
 * the units this run touched (or whose files the restore changed), in
 * startup order, each behind its gate. Runs once per run; a second failure
 * waits for the first one's rollback.
 */
export function rollbackHost(c: HostContext, cause: string, touched: readonly string[]): Promise<Rollback> {
  const run = hostRun();
  run.rollback ??= (async (): Promise<Rollback> => {
    await run.quiet();
    const listed = await generations(c.session);
    const n = listed.current;
    const gen = listed.generations.find((g) => g.n === n)?.record;
    if (n === undefined || !gen) return { cause, outcome: { impossible: "no generation has passed all its gates on this host yet, so there is nothing to go back to" } };
    const units: readonly RolloutUnit[] = rolloutUnits(c);
    const restore = await restoreGeneration(
      c.session,
      {
        gen: gen as GenerationRecord,
        n,
        touched: new Set([...run.started.keys(), ...touched]),
        extraFiles: c.plan.files.map((f) => ({ path: f.path, onChange: f.onChange, owner: f.owner })),
        extraUnits: units.map((u) => u.unit),
        runtimeUser: c.parsed.model.runtime.user,
      },
      (t) => c.token(t),
    );
    return { cause, outcome: { generation: n, restore } };
  })();
  return run.rollback;
}
