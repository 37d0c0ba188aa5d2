/**
 * systemd's `daemon-reload`, shared by the unit files of a run. Every unit
 * file written (or removed) needs a reload that starts after its own rename;
 * a reload is a full re-read of every unit by PID 1 (about 0.3 s here, and
 * reloads do not overlap), so twelve unit files reloading one by one cost
 * seconds. Instead, an ask while no reload runs starts one; asks made while
 * one runs share the next, which starts when it ends. Each ask resolves only
 * once a reload that began after the ask has finished (and rejects with its
 * error), so no caller is told its unit is loaded before it is. And no
 * reload begins while a unit file is still being written (daemonReloader).
 */
import { root, type Script } from "./script";
import type { HostSession } from "./session";

/** The reload itself (host/files.ts runs it inline where a file is written alone). */
export const DAEMON_RELOAD: Script = root`systemctl daemon-reload`;

/**
 * Runs `run` for every ask, shared as the module comment says. A run begins
 * only once `ready()` resolves; asks made while it waits for that share it.
 */
export function shared(run: () => Promise<void>, ready: () => Promise<void> = () => Promise.resolve()): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = async (): Promise<void> => {
    await ready();
    next = undefined; // an ask from now on needs a run that begins after it
    const r = run();
    running = r;
    const done = () => {
      if (running === r) running = undefined;
    };
    r.then(done, done);
    return r;
  };
  return () => {
    if (next) return next;
    const before = running;
    next = before ? before.then(start, start) : start();
    return next;
  };
}

/** Writes in flight: `idle()` resolves once none is. */
function inFlight() {
  let n = 0;
  const waiting: (() => void)[] = [];
  return {
    async around<T>(write: () => Promise<T>): Promise<T> {
      n++;
      try {
        return await write();
      } finally {
        if (--n === 0) for (const resolve of waiting.splice(0)) resolve();
      }
    },
    idle: (): Promise<void> => (n === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
  };
}

/**
 * The host's shared `systemctl daemon-reload` for its unit files. `write`
 * runs a unit file's write and asks for a reload without waiting for it;
 * `loaded()` waits for the last reload asked, which begins after every
 * earlier one and re-reads every unit, so it covers every file written so
 * far (and rejects with systemd's error when it failed). The reload is asked
 * before the write stops counting as in flight, and a reload begins only
 * when no unit file is being written: the unit files of a run written
 * together share one reload (on a fresh host, twelve files at once: one
 * reload instead of three, leaving PID 1 and the host's CPU to the writes
 * and the services starting).
 */
export function daemonReloader(session: HostSession): {
  write: (write: () => Promise<unknown>) => Promise<void>;
  loaded: () => Promise<void>;
} {
  const writes = inFlight();
  const reload = shared(async () => {
    await session.must("systemctl daemon-reload", DAEMON_RELOAD);
  }, writes.idle);
  let last: Promise<void> = Promise.resolve();
  return {
    write: (write) =>
      writes.around(async () => {
        await write();
        last = reload();
        last.catch(() => undefined); // its error is for whoever waits in loaded()
      }),
    loaded: () => last,
  };
}
