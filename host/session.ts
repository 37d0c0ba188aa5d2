/**
 * One host, as every caller sees it: a session runs Scripts over the host's
 * pooled SSH connection, each under a deadline (enforced on the host by
 * `timeout`, and on this side by closing the channel a little later), and
 * hands back its output with every secret of the stack redacted.
 */
import { StringDecoder } from "string_decoder";
import { redact } from "./redact";
import type { Script } from "./script";
import type { ExecResult, SshConnection } from "./ssh";

/** Seconds a script may run unless its caller says otherwise. */
export const DEFAULT_DEADLINE_S = 60;
/** How long after the host's own deadline this side gives up on the channel. */
const GRACE_S = 15;

export interface RunOptions {
  /** Sent on the script's stdin (file content, a bearer header): never in its text. @default "" */
  readonly stdin?: string | Buffer;
  /** Seconds before the script is stopped. @default 60 */
  readonly deadline?: number;
}

export class HostCommandError extends Error {
  override readonly name = "HostCommandError";
  constructor(
    message: string,
    readonly result?: ExecResult,
  ) {
    super(message);
  }
}

/** The command line that runs `script` under a deadline: `timeout` kills the script's whole process group. */
export function commandLine(script: Script, deadline: number): string {
  if (!Number.isInteger(deadline) || deadline < 1 || deadline > 86_400) throw new RangeError(`invalid deadline ${deadline}`);
  return `timeout -k 5 ${deadline} ${script.commandLine}`;
}

export class HostSession {
  constructor(
    /** The host's pooled connection (opened on first use, again after a drop). */
    private readonly connection: () => Promise<SshConnection>,
    /** How messages name the host (its name in a fleet, or its address). */
    readonly label: string,
    private readonly secrets: () => readonly string[] = () => [],
  ) {}

  /** Runs the script; its exit code and output (redacted). A deadline reached is exit code 124 (or 137 when it had to be killed). */
  async run(script: Script, opts: RunOptions = {}): Promise<ExecResult> {
    const deadline = opts.deadline ?? DEFAULT_DEADLINE_S;
    const conn = await this.connection();
    const r = await conn.exec(commandLine(script, deadline), opts.stdin ?? "", (deadline + GRACE_S) * 1000);
    const s = this.secrets();
    return { code: r.code, stdout: redact(r.stdout, s), stderr: redact(r.stderr, s) };
  }

  /** Runs the script and returns its stdout; a non-zero exit throws `<what> on <host>: <last lines of its stderr>`. */
  async must(what: string, script: Script, opts: RunOptions = {}): Promise<string> {
    const r = await this.run(script, opts);
    if (r.code === 0) return r.stdout;
    const deadline = opts.deadline ?? DEFAULT_DEADLINE_S;
    const detail =
      r.code === 124 || r.code === 137
        ? `stopped after its deadline of ${deadline} s${r.stderr.trim() ? `: ${tail(r.stderr)}` : ""}`
        : tail(r.stderr) || tail(r.stdout) || `exit status ${r.code}`;
    throw new HostCommandError(`${what} on ${this.label}: ${detail}`, r);
  }

  /**
   * Runs the script and hands its output over as it arrives (`logs -f`), a
   * whole line at a time (so a secret cut across two chunks is still
   * redacted) and the rest when it ends; no deadline: stop() ends it.
   */
  async stream(
    script: Script,
    onStdout: (d: string) => void,
    onStderr: (d: string) => void,
  ): Promise<{ done: Promise<number>; stop(): void }> {
    const conn = await this.connection();
    const s = this.secrets();
    const out = wholeLines((t) => onStdout(redact(t, s)));
    const err = wholeLines((t) => onStderr(redact(t, s)));
    const h = await conn.stream(script.commandLine, out.push, err.push);
    const done = h.done.then((code) => {
      out.flush();
      err.flush();
      return code;
    });
    return { done, stop: () => h.stop() };
  }

  /** Redacts the stack's secrets from text (journal lines an operator reads). */
  redact(text: string): string {
    return redact(text, this.secrets());
  }
}

/** Chunks in, whole lines out (decoded as UTF-8 across chunk boundaries); flush() hands over the rest. */
function wholeLines(emit: (text: string) => void): { push(d: Buffer): void; flush(): void } {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  return {
    push: (d) => {
      const text = rest + decoder.write(d);
      const cut = text.lastIndexOf("\n") + 1;
      rest = text.slice(cut);
      if (cut > 0) emit(text.slice(0, cut));
    },
    flush: () => {
      const text = rest + decoder.end();
      rest = "";
      if (text) emit(text);
    },
  };
}

const tail = (text: string): string => text.trim().split("\n").slice(-30).join("\n");
