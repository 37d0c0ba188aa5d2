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

/** One operation in flight: it may be waiting on the rollback itself (then the rollback must not wait on it). */
interface InFlight {
  waiting: boolean;
}

class HostRun {
  /** unit -> the invocation that passed its gate in this run. */
  readonly started = new Map<string, string>();
  /**
   * path -> its sha-256 (or "absent") as this run first found it, for the files this run rewrote. A
   * service is read after the files it depends on were written (the refresh runs with the program), so
   * this is how it still sees the files as its running process read them: the host before this run.
   */
  readonly before = new Map<string, string>();
  private readonly seen = new Map<string, string>();

  /** A file as a refresh found it (the first look of the run wins). */
  sawFile(path: string, sha: string): void {
    if (!this.seen.has(path)) this.seen.set(path, sha);
  }

  /** This run rewrote the file: what it held before stays what its readers started with. */
  wroteFile(path: string): void {
    if (!this.before.has(path)) this.before.set(path, this.seen.get(path) ?? "absent");
  }

  /** A file's hash as the host held it before this run: the pre-write one for a file this run rewrote, else `now`. */
  beforeRun(path: string, now: string): string {
    return this.before.get(path) ?? now;
  }
  private readonly inFlight = new Set<InFlight>();
  rollback?: Promise<Rollback>;
  /** What failed on this host in this run, in words (the first failure's text). */
  failure?: string;

  /**
   * Runs a host operation, counted as in flight; refused once the host was
   * rolled back, and failed when a rollback happened while it ran. `fn` gets
   * the means to wait for the rollback it causes. With `soft` (a fleet that
   * tolerates failed hosts), a refused or undone operation instead answers
   * what `soft` says (the host's state as it is), so the engine carries on
   * and the wave's barrier counts the host as failed.
   */
  async op<T>(
    what: string,
    fn: (awaitRollback: (r: () => Promise<Rollback>) => Promise<Rollback>) => Promise<T>,
    soft?: () => Promise<T>,
  ): Promise<T> {
    if (this.rollback) {
      if (soft) return soft();
      throw new Error(`${what}: not done: ${await rolledBackText(this.rollback)}`);
    }
    const me: InFlight = { waiting: false };
    this.inFlight.add(me);
    try {
      const result = await fn(async (start) => {
        me.waiting = true;
        return start();
      });
      if (this.rollback) {
        // Done, but the host went back meanwhile: this operation no longer holds the rollback up.
        me.waiting = true;
        if (soft) return await soft();
        throw new Error(`${what}: undone: ${await rolledBackText(this.rollback)}`);
      }
      return result;
    } finally {
      this.inFlight.delete(me);
    }
  }

  /** Until every operation in flight has ended or is itself waiting on the rollback. */
  async quiet(): Promise<void> {
    while ([...this.inFlight].some((f) => !f.waiting)) await new Promise((r) => setTimeout(r, 100));
  }
}

async function rolledBackText(r: Promise<Rollback>): Promise<string> {
  const { outcome, cause } = await r;
  return "impossible" in outcome
    ? `${cause} failed in this run (the host could not be rolled back: ${outcome.impossible})`
    : `${cause} failed in this run and the host is back on generation ${outcome.generation}`;
}

/** A host of a fleet of several: its failures are recorded and reported, not thrown (provider/kind.ts). */
export const softFailures = (c: HostContext): boolean => c.softFailures;

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
    if (n === undefined || !gen)
      return {
        cause,
        outcome: { impossible: "no generation has passed all its gates on this host yet, so there is nothing to go back to" },
      };
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
