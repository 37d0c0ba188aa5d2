/**
 * What a preview or a drift check means for the hosts (cli/report.ts): the
 * host-level changes among the engine's step events, and the two texts an
 * operator reads, whole.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { changesText, hostChanges, restartsText } from "../../cli/report";
import { typeToken, type KindName } from "../../provider/kinds";

const A = "a".repeat(64);
const B = "b".repeat(64);
const step = (
  op: string,
  kind: KindName | "other",
  name: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): EngineEvent =>
  ({
    sequence: 0,
    timestamp: 0,
    resourcePreEvent: {
      metadata: {
        op,
        type: kind === "other" ? "quantlab:index:Host" : typeToken(kind),
        urn: `urn:pulumi:prod::quantlab-infra::quantlab:index:Host$x::${name}`,
        provider: "",
        old: { outputs: olds },
        new: { inputs: news },
      },
    },
  }) as unknown as EngineEvent;

const unitFile = "/etc/systemd/system/quantlab-strategyd.service";
const events = [
  step(
    "update",
    "file",
    `research-a:${unitFile}`,
    { path: unitFile, sha256: A, mode: "0644" },
    { path: unitFile, sha256: B, mode: "0644" },
  ),
  step(
    "update",
    "file",
    "research-b:/etc/quantlab/a.env",
    { path: "/etc/quantlab/a.env", sha256: A, mode: "0600" },
    { path: "/etc/quantlab/a.env", sha256: A, mode: "0640" },
  ),
  step(
    "update",
    "service",
    "research-a:quantlab-strategyd.service",
    { unit: "quantlab-strategyd.service", reads: { [unitFile]: A }, healthy: true },
    { unit: "quantlab-strategyd.service", reads: { [unitFile]: B } },
  ),
  step(
    "update",
    "service",
    "research-a:quantlab-replayd.service",
    { unit: "quantlab-replayd.service", reads: {}, active: false, healthy: false, health: "000" },
    { unit: "quantlab-replayd.service", reads: {}, active: true },
  ),
  step("create", "service", "research-b:quantlab-labeld.service", {}, { unit: "quantlab-labeld.service" }),
  step("delete", "file", "research-b:/etc/quantlab/old.env", { path: "/etc/quantlab/old.env" }, {}),
  step(
    "update",
    "checkout",
    "research-a:code",
    { root: "/srv/b", commit: "0123456789abcdef0123456789abcdef01234567", current: false, ref: "main" },
    { root: "/srv/b", ref: "main", current: true },
  ),
  step("update", "tools", "research-a:tools", { installed: { git: true, nodejs: false } }, { installed: { git: true, nodejs: true } }),
  step("update", "generation", "research-a:generation", { fingerprint: "x" }, { fingerprint: "y" }),
  step("same", "file", "research-a:/etc/quantlab/same.env", { path: "/etc/quantlab/same.env" }, { path: "/etc/quantlab/same.env" }),
  step("update", "other", "research-a", {}, {}),
];

describe("hostChanges", () => {
  it("one change per changed host object, with what differs in words; unchanged and non-host steps left out", () => {
    expect(hostChanges(events, true)).toEqual([
      { op: "update", kind: "file", host: "research-a", target: unitFile, what: ["sha256"] },
      { op: "update", kind: "file", host: "research-b", target: "/etc/quantlab/a.env", what: ["mode"] },
      { op: "update", kind: "service", host: "research-a", target: "quantlab-strategyd.service", what: [unitFile] },
      { op: "update", kind: "service", host: "research-a", target: "quantlab-replayd.service", what: ["active"] },
      { op: "create", kind: "service", host: "research-b", target: "quantlab-labeld.service", what: ["missing on the host"] },
      { op: "delete", kind: "file", host: "research-b", target: "/etc/quantlab/old.env", what: ["no longer in the stack"] },
      {
        op: "update",
        kind: "checkout",
        host: "research-a",
        target: "/srv/b",
        what: ["host has 0123456789ab, not what main names (or tracked files edited)"],
      },
      { op: "update", kind: "tools", host: "research-a", target: "host tools", what: ["missing nodejs"] },
      {
        op: "update",
        kind: "generation",
        host: "research-a",
        target: "generation",
        what: ["the host's generation differs (a rollback, or this run's changes)"],
      },
    ]);
    expect(hostChanges(events.slice(0, 1))).toEqual([{ op: "update", kind: "file", target: unitFile, what: ["sha256"] }]);
  });
});

describe("changesText and restartsText", () => {
  it("a fleet: by host, then kind (what the host gets first), then target; the generation left out", () => {
    expect(changesText(hostChanges(events, true))).toBe(
      [
        "hosts differ from the stack:",
        "research-a: update  HostTools    host tools  (missing nodejs)",
        `research-a: update  HostFile     ${unitFile}  (sha256)`,
        "research-a: update  HostCheckout /srv/b  (host has 0123456789ab, not what main names (or tracked files edited))",
        "research-a: update  HostService  quantlab-replayd.service  (active)",
        `research-a: update  HostService  quantlab-strategyd.service  (${unitFile})`,
        "research-b: update  HostFile     /etc/quantlab/a.env  (mode)",
        "research-b: delete  HostFile     /etc/quantlab/old.env  (no longer in the stack)",
        "research-b: create  HostService  quantlab-labeld.service  (missing on the host)",
      ].join("\n"),
    );
    expect(restartsText(hostChanges(events, true))).toBe(
      [
        "restarts:",
        // Down and unhealthy: restarted, as the provider does (a start only for a merely stopped unit).
        "  research-a: quantlab-replayd.service         start   (active)",
        `  research-a: quantlab-strategyd.service       restart (${unitFile})`,
        "  research-b: quantlab-labeld.service          start   (new unit)",
      ].join("\n"),
    );
  });

  it("a unit merely stopped is started; nothing to change", () => {
    const stopped = step(
      "update",
      "service",
      "quantlab-w.service",
      { unit: "quantlab-w.service", reads: {}, active: false, healthy: true },
      { unit: "quantlab-w.service", reads: {}, active: true },
    );
    expect(restartsText(hostChanges([stopped]))).toBe("restarts:\n  quantlab-w.service               start   (active)");
    expect(changesText([])).toBe("host matches the stack");
    expect(changesText(hostChanges(events.slice(8), false))).toBe("host matches the stack");
    expect(restartsText([])).toBe("restarts: none");
  });
});
