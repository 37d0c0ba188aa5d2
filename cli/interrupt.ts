/**
 * Stopping a run cleanly. SIGINT (Ctrl-C, or `kill -INT`) becomes one
 * cancel for the engine: the Pulumi CLI finishes the resource operations in
 * flight, writes the state, releases the stack lock and exits; then the
 * operator command closes SSH and exits 130. A terminal's Ctrl-C reaches the
 * CLI itself too (same process group): the cancel is forwarded only when the
 * CLI has not announced its own, since a second SIGINT would make it stop
 * at once and leave operations pending.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const EXIT_INTERRUPTED = 130;
/** How long to wait for the CLI's own "^C received" before forwarding the cancel. */
const OWN_CANCEL_GRACE_MS = 1_000;
const CLI_CANCELLING = "^C received; cancelling";

export class Interrupted extends Error {
  override readonly name = "Interrupted";
}

/** A run that SIGINT cancels: pass `signal` and feed the engine's output to `saw`. */
export class Cancellation {
  private readonly controller = new AbortController();
  private requested = false;
  private cliCancelling = false;
  private readonly handler = () => this.onSigint();

  constructor(
    private readonly what: string,
    private readonly log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {
    process.on("SIGINT", this.handler);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.requested;
  }

  /** Engine output (stdout or stderr), watched for the CLI's own cancel. */
  saw(text: string): void {
    if (text.includes(CLI_CANCELLING)) this.cliCancelling = true;
  }

  private onSigint(): void {
    if (this.requested) {
      // A second interrupt: the operator insists; the CLI stops at once.
      this.log(
        `quantlab: second interrupt: stopping the engine now (operations in flight may be left pending; the next ${this.what} repairs them)`,
      );
      this.controller.abort();
      return;
    }
    this.requested = true;
    this.log(`quantlab: interrupted: asking the engine to stop the ${this.what} after the operations in flight...`);
    setTimeout(() => {
      if (!this.cliCancelling && !this.controller.signal.aborted) this.controller.abort();
    }, OWN_CANCEL_GRACE_MS).unref();
  }

  dispose(): void {
    process.off("SIGINT", this.handler);
  }
}

/** The operator's message after an interrupted run. */
export function interruptedText(what: string, stack: string): string {
  return `${what} of stack ${stack} interrupted: the engine stopped after the operations in flight and saved the state; the stack lock is released. Run \`npx quantlab up --stack ${stack}\` to converge.`;
}

const LOCKED = /the stack is currently locked by \d+ lock\(s\)[^\n]*((?:\n\s+\S.*)*)/;

/** The engine's "currently locked" error as the operator needs it, or undefined for any other error. */
export function lockedText(stack: string, engineMessage: string): string | undefined {
  const m = LOCKED.exec(engineMessage);
  if (!m) return undefined;
  const holders = (m[1] ?? "")
    .split("\n")
    .map((l) => l.trim().replace(/^.*?: created by/, "held by"))
    .filter(Boolean);
  return lockedByText(stack, holders);
}

function lockedByText(stack: string, holders: readonly string[]): string {
  return [
    `stack ${stack} is locked by another run${holders.length ? ` (${holders.join("; ")})` : ""}.`,
    "Wait for it to finish. If no run is active (a run that was killed leaves its lock behind), release the stale lock with:",
    `  npx quantlab unlock --stack ${stack}`,
  ].join("\n");
}

/**
 * Before a run that writes the state starts the engine: when a run still
 * active on this machine holds the stack's lock (file backend), the message
 * lockedText gives, so the second run is refused before the engine reads a
 * state the first one may be writing. Undefined when no live run holds it
 * (the engine then takes the lock, or reports a stale one, itself).
 */
export function heldByLiveRun(backendUrl: string | undefined, project: string, stack: string): string | undefined {
  if (!backendUrl?.startsWith("file://")) return undefined;
  let live: LockFile | undefined;
  try {
    live = liveHolder(stackLocks(backendUrl.slice("file://".length), project, stack));
  } catch {
    return undefined; // a lock file being written: the engine decides
  }
  return live ? lockedByText(stack, [`held by ${live.username}@${live.hostname} (pid ${live.pid}) at ${live.timestamp}`]) : undefined;
}

interface LockFile {
  readonly pid: number;
  readonly username: string;
  readonly hostname: string;
  readonly timestamp: string;
}

/** The lock files of `stack` in a file backend directory. */
export function stackLocks(backendDir: string, project: string, stack: string): { file: string; lock: LockFile }[] {
  const dir = path.join(backendDir, ".pulumi", "locks", "organization", project, stack);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: path.join(dir, f), lock: JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as LockFile }));
}

/** A lock whose process still runs on this machine: releasing it would let two runs write the state. */
export function liveHolder(locks: readonly { lock: LockFile }[]): LockFile | undefined {
  return locks.find(({ lock }) => {
    if (lock.hostname !== os.hostname()) return false;
    try {
      process.kill(lock.pid, 0);
      return true;
    } catch {
      return false;
    }
  })?.lock;
}
