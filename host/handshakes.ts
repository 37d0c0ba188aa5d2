/**
 * At most MAX_HANDSHAKES SSH handshakes at once on this machine, across the
 * processes of a run (one provider process per host): a slot is a directory
 * made with mkdir (atomic), holding its owner's pid; a slot whose owner is
 * gone is taken back. A fleet of any size never opens more than this many
 * connections at the same moment.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const MAX_HANDSHAKES = 10;
/** Where the slots live: the operator command sets it per run; elsewhere a per-user temp directory. */
export const HANDSHAKES_ENV = "QUANTLAB_HANDSHAKES";

const slotsDir = (): string => process.env[HANDSHAKES_ENV] ?? path.join(os.tmpdir(), `quantlab-handshakes-${process.getuid?.() ?? "user"}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryTake(slot: string): boolean {
  try {
    fs.mkdirSync(slot);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const owner = Number(fs.readFileSync(path.join(slot, "pid"), "utf8").trim() || NaN);
    // A slot just made has no pid yet (NaN): busy. One whose owner died is free again.
    if (Number.isNaN(owner) || alive(owner)) return false;
    fs.rmSync(slot, { recursive: true, force: true });
    return false;
  }
  fs.writeFileSync(path.join(slot, "pid"), String(process.pid));
  return true;
}

/** Runs `fn` holding one handshake slot. */
export async function withHandshake<T>(fn: () => Promise<T>): Promise<T> {
  const dir = slotsDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let slot: string | undefined;
  for (let wait = 20; slot === undefined; wait = Math.min(wait * 2, 200)) {
    for (let i = 0; i < MAX_HANDSHAKES && slot === undefined; i++) {
      const candidate = path.join(dir, `slot-${i}`);
      if (tryTake(candidate)) slot = candidate;
    }
    if (slot === undefined) await new Promise((r) => setTimeout(r, wait));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(slot, { recursive: true, force: true });
  }
}
