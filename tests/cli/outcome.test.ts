import { describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { serviceOutputs } from "../../cli/outcome";
import { providerStub } from "../../provider/stub";

const SERVICE = "pulumi-nodejs:dynamic/quantlab:HostService";
const outputsEvent = (op: string, type: string, outputs: Record<string, unknown>): EngineEvent =>
  ({ sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { op, type, urn: `urn:x::${String(outputs.unit)}`, provider: "", new: { outputs } } } }) as unknown as EngineEvent;

describe("serviceOutputs: the services' outputs after a run, from its events", () => {
  it("keeps the last outputs per unit (the update's step after the refresh), skips other types and deletes", () => {
    const events = [
      outputsEvent("refresh", SERVICE, { unit: "quantlab-a.service", active: false, health: "000" }),
      outputsEvent("refresh", SERVICE, { unit: "quantlab-b.service", active: true, health: "200" }),
      outputsEvent("update", SERVICE, { unit: "quantlab-a.service", active: true, health: "200" }),
      outputsEvent("same", "pulumi-nodejs:dynamic/quantlab:HostFile", { unit: "quantlab-c.service", path: "/etc/x" }),
      outputsEvent("delete", SERVICE, { unit: "quantlab-d.service", active: false }),
      { sequence: 1, timestamp: 0, summaryEvent: {} } as unknown as EngineEvent,
    ];
    expect(Object.fromEntries(serviceOutputs(events))).toEqual({
      "quantlab-a.service": { unit: "quantlab-a.service", active: true, health: "200" },
      "quantlab-b.service": { unit: "quantlab-b.service", active: true, health: "200" },
    });
  });
});

describe("providerStub", () => {
  it("is one object per kind, so the SDK serializes each kind's closure once", () => {
    expect(providerStub("file")).toBe(providerStub("file"));
    expect(providerStub("service")).toBe(providerStub("service"));
    expect(providerStub("file")).not.toBe(providerStub("service"));
  });
});
