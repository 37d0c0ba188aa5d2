/**
 * systemd's `daemon-reload`, shared by the unit files of a run. Every unit
 * file written (or removed) needs a reload that starts after its own rename;
 * a reload is a full re-read of every unit by PID 1 (about 0.3 s here, and
 * reloads do not overlap), so twelve unit files reloading one by one cost
 * seconds. Instead, an ask while no reload runs starts one; asks made while
 * one runs share the next, which starts when it ends. Each ask resolves only
 * once a reload that began after the ask has finished (and rejects with its
 * error), so no caller is told its unit is loaded before it is.
 */
import { root, type Script } from "./script";
import type { HostSession } from "./session";

/** The reload itself (host/files.ts runs it inline where a file is written alone). */
export const DAEMON_RELOAD: Script = root`systemctl daemon-reload`;

/** Runs `run` for every ask, shared as the module comment says. */
export function shared(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    next = undefined;
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
    next = before ? before.then(start, start) : Promise.resolve().then(start);
    return next;
  };
}

/** The host's shared `systemctl daemon-reload`. */
export function daemonReloader(session: HostSession): () => Promise<void> {
  return shared(async () => {
    await session.must("systemctl daemon-reload", DAEMON_RELOAD);
  });
}
