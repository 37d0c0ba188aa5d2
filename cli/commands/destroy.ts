/** `quantlab destroy`: stop and remove what the stack put on its hosts; never the spool, runs, logs, generations or buckets. */
import type { Command, Invocation } from "../args";
import { stackContext } from "../context";
import { claimHost, releaseHost } from "../owner";
import { print } from "../table";
import { withEngine } from "./engineRun";

export const destroy: Command = {
  name: "destroy",
  summary: "stop and remove what the stack put on its hosts (data, generations and buckets stay)",
  synopsis: "",
  host: false,
  options: { "take-over": { type: "boolean", help: "claim hosts another stack holds" } },
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    // Claimed first, every host: a stack never removes what another stack put there.
    const previous = await Promise.all(ctx.targets.map((t) => claimHost(t, inv.stack, "destroy", inv.options["take-over"] === true)));
    previous.forEach((p, i) => p && print(`quantlab: took host ${ctx.targets[i]!.label} over from stack ${p}`));
    return withEngine("destroy", ctx, { writesState: true }, async (run) => {
      await ctx.o.stack.destroy({ ...run.common, onOutput: run.onOutput, runProgram: true });
      // The engine released each host (HostOwner's delete); a stack destroyed before it had one releases here.
      await Promise.all(ctx.targets.map((t) => releaseHost(t, inv.stack)));
      return 0;
    });
  },
};
