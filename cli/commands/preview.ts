/** `quantlab preview` and `quantlab drift`: the hosts read back against the stack, nothing changed. */
import type { Command, Invocation } from "../args";
import { stackContext } from "../context";
import { changesText, hostChanges, restartsText } from "../report";
import { print } from "../table";
import { withEngine } from "./engineRun";

export const preview: Command = {
  name: "preview",
  summary: "the diff, and per service whether it will (re)start and which of its files causes it",
  synopsis: "",
  host: false,
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    return withEngine("preview", ctx, { writesState: false }, async (run) => {
      await ctx.o.stack.preview({ ...run.common, onOutput: run.onOutput, refresh: true, runProgram: true, diff: true });
      const changes = hostChanges(run.events, ctx.fleet);
      print(`\n${changesText(changes)}\n${restartsText(changes)}`);
      return 0;
    });
  },
};

export const drift: Command = {
  name: "drift",
  summary: "every file or unit that differs from the stack; exit 2 when any host differs",
  synopsis: "",
  host: false,
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    return withEngine("drift check", ctx, { writesState: false }, async (run) => {
      await ctx.o.stack.preview({ ...run.common, refresh: true, runProgram: true });
      const changes = hostChanges(run.events, ctx.fleet).filter((c) => c.kind !== "generation" && c.kind !== "wave");
      print(changesText(changes));
      return changes.length === 0 ? 0 : 2;
    });
  },
};
