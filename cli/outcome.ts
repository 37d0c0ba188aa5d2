/**
 * What a finished `up` left on the host, from the engine's own events: the
 * last outputs of each HostService (active, health), keyed by unit. Saves
 * reading the whole state back (`pulumi stack export`) after every run.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";

const SERVICE = "pulumi-nodejs:dynamic/quantlab:HostService";

/** unit -> the service resource's outputs after the run (refresh first, then the update's step, which wins). */
export function serviceOutputs(events: readonly EngineEvent[]): Map<string, Record<string, unknown>> {
  const byUnit = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const m = e.resOutputsEvent?.metadata;
    if (m?.type !== SERVICE || m.op === "delete" || m.op === "delete-replaced") continue;
    const outputs = (m.new?.outputs ?? {}) as Record<string, unknown>;
    if (typeof outputs.unit === "string") byUnit.set(outputs.unit, outputs);
  }
  return byUnit;
}
