/**
 * Running the engine for a command: the stack's program through the
 * Automation API, reading every host first in the same pass (`--refresh
 * --run-program`: each host is read with its provider configured from the
 * stack file as it is now, so a rotated key, a re-pinned host key or a moved
 * address needs nothing else), the engine's events collected for the
 * reports, SIGINT turned into one clean cancel, and failures turned into the
 * package's own message.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Cancellation, EXIT_INTERRUPTED, heldByLiveRun, interruptedText } from "../interrupt";
import { PROJECT } from "../paths";
import { engineFailure } from "../messages";
import type { StackContext } from "../context";

/**
 * Resource operations the engine runs at once (`--parallel`; Pulumi's own default is 4 per CPU, 8 on a 2-core
 * machine). Each host's provider bounds what reaches the host itself (at most MAX_CHANNELS commands over its one
 * SSH connection, host/ssh.ts; the startup order is `dependsOn`), so a higher cap only lets more operations wait
 * in the provider's queue instead of the engine's: on a fresh host a service's env file no longer waits behind
 * unrelated files for an engine slot. It changes no order the program states.
 */
export const ENGINE_PARALLEL = 64;

export interface EngineRun {
  readonly events: EngineEvent[];
  /** What every engine operation takes: config file, events, cancel signal, parallelism. */
  readonly common: {
    readonly configFile: string;
    readonly parallel: number;
    readonly color: "never";
    readonly onEvent: (e: EngineEvent) => void;
    readonly signal: AbortSignal;
    readonly onError: (s: string) => void;
  };
  /** Streams the engine's output to stdout (and watches it for the CLI's own cancel). */
  readonly onOutput: (s: string) => void;
}

/**
 * Runs `op` with the engine; exits 130 after an interrupt, throws the
 * package's message on failure. A run that `writesState` is refused before
 * the engine starts while another run still holds the stack's lock.
 */
export async function withEngine(
  what: string,
  ctx: StackContext,
  o: { readonly writesState: boolean },
  op: (run: EngineRun) => Promise<number>,
): Promise<number> {
  if (o.writesState) {
    const held = heldByLiveRun(ctx.o.env.PULUMI_BACKEND_URL, PROJECT, ctx.o.stack.name);
    if (held) throw new Error(held);
  }
  const events: EngineEvent[] = [];
  const cancel = new Cancellation(what);
  const run: EngineRun = {
    events,
    common: {
      configFile: ctx.o.configFile,
      parallel: ENGINE_PARALLEL,
      color: "never",
      onEvent: (e) => events.push(e),
      signal: cancel.signal,
      onError: (s) => cancel.saw(s),
    },
    onOutput: (s) => {
      cancel.saw(s);
      process.stdout.write(s);
    },
  };
  try {
    return await op(run);
  } catch (e) {
    if (cancel.interrupted) {
      process.stderr.write(`quantlab: ${interruptedText(what, ctx.o.stack.name)}\n`);
      return EXIT_INTERRUPTED;
    }
    throw engineFailure(what, events, e, ctx.o.stack.name, ctx.fleet);
  } finally {
    cancel.dispose();
  }
}
