/** What a finished `up` left on the hosts (cli/outcome.ts), from the engine's own events. */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { serviceOutputs } from "../../cli/outcome";
import { typeToken } from "../../provider/kinds";

const SERVICE = typeToken("service");
const outputsEvent = (op: string, type: string, name: string, outputs: Record<string, unknown>): EngineEvent =>
  ({
    sequence: 0,
    timestamp: 0,
    resOutputsEvent: {
      metadata: { op, type, urn: `urn:pulumi:prod::quantlab-infra::quantlab:index:Host$${type}::${name}`, provider: "", new: { outputs } },
    },
  }) as unknown as EngineEvent;

describe("serviceOutputs", () => {
  it("the last outputs per service resource (the update's step after the refresh), keyed <host>:<unit>; other types and deletes skipped", () => {
    const events = [
      outputsEvent("refresh", SERVICE, "research-a:quantlab-a.service", { active: false, health: "000" }),
      outputsEvent("refresh", SERVICE, "research-b:quantlab-a.service", { active: true, health: "200" }),
      outputsEvent("update", SERVICE, "research-a:quantlab-a.service", { active: true, health: "200" }),
      outputsEvent("same", typeToken("file"), "research-a:/etc/quantlab/a.env", { path: "/etc/quantlab/a.env" }),
      outputsEvent("delete", SERVICE, "research-a:quantlab-d.service", { active: false }),
      outputsEvent("delete-replaced", SERVICE, "research-a:quantlab-e.service", { active: false }),
      { sequence: 1, timestamp: 0, summaryEvent: {} } as unknown as EngineEvent,
    ];
    expect(Object.fromEntries(serviceOutputs(events))).toEqual({
      "research-a:quantlab-a.service": { active: true, health: "200" },
      "research-b:quantlab-a.service": { active: true, health: "200" },
    });
    expect(SERVICE).toBe("pulumi-nodejs:dynamic/quantlab:HostService");
  });
});
