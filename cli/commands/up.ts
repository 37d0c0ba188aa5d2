/** `quantlab up`: read every host, converge it (waves of hosts, each health-gated), print the health table. */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { Command, Invocation } from "../args";
import { stackContext, type StackContext } from "../context";
import { healthFromEvents, healthTable } from "../health";
import { typeToken } from "../../provider/kinds";
import { hostOfUrn } from "../messages";
import { print } from "../table";
import { withEngine } from "./engineRun";
import { SINGLE_HOST_LABEL } from "../../config/fleet";

/** The hosts a take-over took, by resource name, with the stack each was taken from (HostOwner outputs in the run's events). */
function takenOver(events: readonly EngineEvent[]): { resource: string; previous: string }[] {
  return events.flatMap((e) => {
    const m = e.resOutputsEvent?.metadata;
    return m?.type === typeToken("owner") && typeof m.new?.outputs?.previous === "string"
      ? [{ resource: hostOfUrn(m.urn) ?? "", previous: m.new.outputs.previous as string }]
      : [];
  });
}

/** The hosts of a fleet that failed in this run (HostGeneration outputs with ok false), with what failed. */
function failedHosts(events: readonly EngineEvent[]): { host: string; failure: string }[] {
  return events.flatMap((e) => {
    const m = e.resOutputsEvent?.metadata;
    const out = m?.new?.outputs;
    if (m?.type !== typeToken("generation") || out?.ok !== false) return [];
    return [{ host: hostOfUrn(m.urn) ?? "host", failure: String(out.failure ?? "failed") }];
  });
}

/**
 * Whether this up moves a single-host stack to `quantlab:hosts` (its one host's component and provider still carry the
 * single-host name in the state and are renamed through aliases). Pulumi 3.248 panics ("URN ... had not been marked as
 * seen") when it refreshes a renamed component or provider with --run-program: that one up refreshes every resource
 * before the program instead (with the host settings the state holds, which the move does not change).
 */
async function movesToHosts(ctx: StackContext): Promise<boolean> {
  if (!ctx.fleet || ctx.parsed.hosts.length !== 1) return false;
  const state = await ctx.o.stack.exportStack();
  const resources = (state.deployment as { resources?: { urn: string }[] } | undefined)?.resources ?? [];
  return resources.some((r) => r.urn.endsWith(`::quantlab:host:Host::${SINGLE_HOST_LABEL}`));
}

/** Converges the stack; 0 when every service of every host is active and healthy. */
export async function converge(ctx: StackContext, takeOver: boolean): Promise<number> {
  if (takeOver) ctx.o.stack.workspace.envVars.QUANTLAB_TAKE_OVER = "1";
  return withEngine("up", ctx, { writesState: true }, async (run) => {
    // In a fleet a failing host is rolled back and reported (it fails softly), the hosts beside it in its wave run to
    // their end, and the wave's barrier stops the rollout. (Not --continue-on-error: with --run-program the 3.248
    // engine never ends a run in which a resource failed and others depend on it.)
    const runProgram = !(await movesToHosts(ctx));
    await ctx.o.stack.up({ ...run.common, onOutput: run.onOutput, refresh: true, runProgram });
    for (const t of takenOver(run.events)) {
      print(`quantlab: took host ${ctx.targets.find((x) => x.resource === t.resource)?.label ?? t.resource} over from stack ${t.previous}`);
    }
    const rows = healthFromEvents(ctx, run.events);
    print(`\n${healthTable(rows)}`);
    const failed = failedHosts(run.events);
    for (const f of failed) process.stderr.write(`quantlab: host ${f.host} failed:\n${f.failure}\n`);
    return rows.every((r) => r.ok) && failed.length === 0 ? 0 : 1;
  });
}

export const up: Command = {
  name: "up",
  summary: "read every host, converge it, print the health table",
  synopsis: "",
  host: false,
  options: { "take-over": { type: "boolean", help: "claim hosts another stack holds" } },
  async run(inv: Invocation) {
    return converge(await stackContext(inv), inv.options["take-over"] === true);
  },
};
