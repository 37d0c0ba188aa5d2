/**
 * What a finished `up` left on the hosts, from the engine's own events: the
 * last outputs of each HostService (active, health), keyed by resource name
 * (`<host label>:<unit>`). Saves reading the whole state back (`pulumi stack
 * export`) after every run.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { typeToken } from "../provider/kinds";

const SERVICE = typeToken("service");

/** `<label>:<unit>` -> the service resource's outputs after the run (refresh first, then the update's step, which wins). */
export function serviceOutputs(events: readonly EngineEvent[]): Map<string, Record<string, unknown>> {
  const byName = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const m = e.resOutputsEvent?.metadata;
    if (m?.type !== SERVICE || m.op === "delete" || m.op === "delete-replaced") continue;
    const outputs = (m.new?.outputs ?? {}) as Record<string, unknown>;
    byName.set(m.urn.slice(m.urn.lastIndexOf("::") + 2), outputs);
  }
  return byName;
}
