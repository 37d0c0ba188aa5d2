/** The one place that turns what the Pulumi CLI or the engine said into the package's message (cli/messages.ts). */
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { engineErrors, engineFailure, explain, hostOfUrn } from "../../cli/messages";

const diag = (message: string, urn?: string): EngineEvent =>
  ({ sequence: 0, timestamp: 0, diagnosticEvent: { message, color: "never", severity: "error", ...(urn ? { urn } : {}) } }) as EngineEvent;
const URN = (name: string) => `urn:pulumi:prod::quantlab-infra::quantlab:host:Host$pulumi-nodejs:dynamic/quantlab:HostFile::${name}`;

describe("explain", () => {
  it("a wrong passphrase, from the CLI's transcript, without its command line", () => {
    const e = new Error(
      "Command failed with exit code 255: /work/x/.tools/bin/pulumi stack init prod --non-interactive\nerror: could not create secrets manager for new stack: incorrect passphrase",
    );
    expect(explain(e, "prod")).toBe(
      "cannot decrypt the secrets of stack prod: incorrect passphrase (check PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)",
    );
  });

  it("a locked stack names the holder and the way out", () => {
    const e = new Error(
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  file:///s/.pulumi/locks/organization/quantlab-infra/prod/abc.json: created by ops@box (pid 4242) at 2026-12-01T10:00:00Z",
    );
    expect(explain(e, "prod")).toBe(
      [
        "stack prod is locked by another run (held by ops@box (pid 4242) at 2026-12-01T10:00:00Z).",
        "Wait for it to finish. If no run is active (a run that was killed leaves its lock behind), release the stale lock with:",
        "  npx quantlab unlock --stack prod",
      ].join("\n"),
    );
  });

  it("another CLI failure: its error lines, never the command line that ran", () => {
    const e = new Error(
      "Command failed with exit code 1: /a/.tools/bin/pulumi config --show-secrets --json --stack prod\nwarning: x\nerror: open Pulumi.prod.yaml: permission denied",
    );
    expect(explain(e, "prod")).toBe("pulumi: open Pulumi.prod.yaml: permission denied");
  });

  it("anything else as it is", () => {
    expect(explain(new Error("host owner on 10.0.0.1: flock timed out"), "prod")).toBe("host owner on 10.0.0.1: flock timed out");
  });
});

describe("engine errors", () => {
  it("each diagnostic once, generic ones left out; in a fleet each names its host", () => {
    const events = [
      diag("HostFile /etc/a on 10.0.0.2: disk full", URN("east:/etc/a")),
      diag("update failed"),
      diag("HostFile /etc/a on 10.0.0.2: disk full", URN("east:/etc/a")),
      diag("boom"),
    ];
    expect(engineErrors(events, true)).toEqual(["host east: HostFile /etc/a on 10.0.0.2: disk full", "boom"]);
    expect(engineErrors(events, false)).toEqual(["HostFile /etc/a on 10.0.0.2: disk full", "boom"]);
    expect(engineFailure("up", events, new Error("x"), "prod", false).message).toBe(
      "up failed:\nHostFile /etc/a on 10.0.0.2: disk full\nboom",
    );
  });

  it("the host of a resource is the part of its name before the first colon", () => {
    expect(hostOfUrn(URN("research-a:/etc/quantlab/x.env"))).toBe("research-a");
    expect(hostOfUrn("urn:pulumi:prod::quantlab-infra::pulumi:pulumi:Stack::quantlab-infra-prod")).toBeUndefined();
  });
});
