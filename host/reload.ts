/**
 * Work a run's resources share on the host: systemd's `daemon-reload`, and
 * (host/verify.ts) the check of staged unit files. A reload is a full
 * re-read of every unit by PID 1 (about 0.3 s here, and reloads do not
 * overlap), so twelve unit files reloading one by one cost seconds.
 * Instead, an ask while nothing runs starts a run; asks made while one runs
 * share the next, which starts when it ends. Each ask settles only once a
 * run that began after the ask has finished, so no caller is told its unit
 * is loaded (or checked) before it is.
 */
import { root, type Script } from "./script";
import type { HostSession } from "./session";

/** The reload itself (host/files.ts runs it inline where a file is written alone). */
export const DAEMON_RELOAD: Script = root`systemctl daemon-reload`;

/**
 * Runs `run` on batches of asks, as the module comment says: each ask gets
 * the answer `run` gives for its item (one settled result per item, in
 * order), or `run`'s own error.
 */
export function batched<T, R>(run: (items: readonly T[]) => Promise<readonly PromiseSettledResult<R>[]>): (item: T) => Promise<R> {
  let running: Promise<unknown> | undefined;
  let next: { readonly items: T[]; readonly results: Promise<readonly PromiseSettledResult<R>[]> } | undefined;
  const start = (items: readonly T[]): Promise<readonly PromiseSettledResult<R>[]> => {
    next = undefined;
    const r = run(items);
    running = r;
    const done = () => {
      if (running === r) running = undefined;
    };
    r.then(done, done);
    return r;
  };
  return (item) => {
    if (!next) {
      const items: T[] = [];
      const before = running;
      const go = () => start(items);
      next = { items, results: before ? before.then(go, go) : Promise.resolve().then(go) };
    }
    const index = next.items.push(item) - 1;
    return next.results.then((all) => {
      const own = all[index];
      if (!own) throw new Error(`batched: no answer for item ${index} of ${all.length}`);
      if (own.status === "rejected") throw own.reason;
      return own.value;
    });
  };
}

/** Runs `run` for every ask, shared as the module comment says. */
export function shared(run: () => Promise<void>): () => Promise<void> {
  const ask = batched<void, void>(async (items) => {
    await run();
    return items.map(() => ({ status: "fulfilled", value: undefined }));
  });
  return () => ask();
}

/** The host's shared `systemctl daemon-reload`. */
export function daemonReloader(session: HostSession): () => Promise<void> {
  return shared(async () => {
    await session.must("systemctl daemon-reload", DAEMON_RELOAD);
  });
}
