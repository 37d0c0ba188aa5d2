/**
 * A fleet in one stack, end to end on three sandbox hosts (`quantlab:hosts`,
 * one sandbox per entry at .sandbox/<stack>/<name>): a canary host first,
 * then a wave of two, on the engine's own dependsOn edges; a no-op; a change
 * the canary refuses, leaving the other two untouched; drift named by host;
 * a host removed from the list; destroy of all. And a single-host stack
 * moved to `quantlab:hosts` with zero changes.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../cli/run";
import { Sandbox } from "../../cli/sandbox";
import { RealStack, removeSandbox, SandboxStack, sshLogins, stopwatch, unitStates, type UnitState } from "./host";

const NAME = `e2e-fleet-${process.pid}`;
const HOSTS = ["canary", "east", "west"] as const;
const { timings, timed, report } = stopwatch();
let stack: SandboxStack;
const sandboxes: Record<string, Sandbox> = {};
let units: string[];

const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;
const resources = (out: string): string => /Resources:\n([\s\S]*?)\n\n/.exec(out)?.[1]?.trim() ?? "";

async function mustQuantlab(...args: string[]): Promise<RunResult> {
  const r = await stack.quantlab(args[0]!, ...args.slice(1));
  expect(r.code, `quantlab ${args.join(" ")}:\n${output(r)}`).toBe(0);
  return r;
}

function writeBase(hosts: readonly (string | Record<string, unknown>)[], extra: Record<string, unknown> = {}): void {
  const doc = YAML.parse(fs.readFileSync(path.join(stack.dir, "pristine.yaml"), "utf8")) as { config: Record<string, unknown> };
  doc.config["quantlab:hosts"] = hosts.map((h) => (typeof h === "string" ? { name: h } : h));
  doc.config["quantlab:rollout"] = { canary: 1, batchSize: 2 };
  Object.assign(doc.config, extra);
  fs.writeFileSync(stack.base, YAML.stringify(doc));
}

async function statesOf(hosts: readonly string[]): Promise<Record<string, Record<string, UnitState>>> {
  return Object.fromEntries(await Promise.all(hosts.map(async (h) => [h, await unitStates(sandboxes[h]!, units)] as const)));
}

/** The realtime clock (µs) of the unit property on the host, for each unit. */
async function realtime(h: string, prop: "ActiveEnterTimestamp" | "ExecMainStartTimestamp"): Promise<number[]> {
  const out = await sandboxes[h]!.sh(`for u in ${units.join(" ")}; do date -d "$(systemctl show -p ${prop} --value $u)" +%s%6N; done`);
  return out.trim().split("\n").map(Number);
}

/** What a host holds of the stack: every planned file's hash and the units' activation times. */
async function fingerprint(h: string): Promise<string> {
  return sandboxes[h]!.sh(
    `sha256sum /etc/quantlab/* /etc/systemd/system/quantlab-* /etc/cron.d/quantlab-* | sort; systemctl show -p ActiveEnterTimestampMonotonic,MainPID ${units.join(" ")}`,
  );
}

beforeAll(async () => {
  stack = new SandboxStack(NAME);
  fs.copyFileSync(stack.base, path.join(stack.dir, "pristine.yaml"));
  writeBase(HOSTS);
});

afterAll(async () => {
  report("fleet e2e timings", "e2e-fleet-timings.json");
  if (stack) {
    for (const h of HOSTS) await removeSandbox(path.join(stack.dir, h));
    await removeSandbox(stack.dir);
  }
});

describe("a fleet of three hosts in one stack", () => {
  it("fresh up: the canary converges alone first, then the wave of two; every host healthy", async () => {
    const up = await timed("fresh up of 3 hosts (incl. boots)", () => mustQuantlab("up"));
    for (const h of HOSTS) sandboxes[h] = Sandbox.attach(path.join(stack.dir, h));
    const expected = await stack.expected();
    units = expected.plan.units.map((u) => u.unit);
    for (const h of HOSTS)
      for (const u of expected.plan.units)
        expect(up.stdout).toMatch(
          new RegExp(`^${h} +${u.service} +${u.unit.replace(/\./g, "\\.")} +active +${u.health ? "200" : "-"}`, "m"),
        );
    // On the hosts' own clocks: the canary's services were all active before any service of the wave started.
    const canaryDone = Math.max(...(await realtime("canary", "ActiveEnterTimestamp")));
    for (const h of ["east", "west"])
      expect([h, Math.min(...(await realtime(h, "ExecMainStartTimestamp"))) > canaryDone]).toEqual([h, true]);
    // Wave hosts in parallel: their starts overlap.
    const [east, west] = await Promise.all([realtime("east", "ExecMainStartTimestamp"), realtime("west", "ExecMainStartTimestamp")]);
    expect(Math.min(...east) < Math.max(...west) && Math.min(...west) < Math.max(...east)).toBe(true);
  });

  it("no-op: nothing changes, nothing restarts, one SSH connection per host", async () => {
    const before = await statesOf(HOSTS);
    const logins = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await sshLogins(sandboxes[h]!)] as const)));
    const up = await timed("no-op up of 3 hosts", () => mustQuantlab("up"));
    expect(resources(up.stdout)).toMatch(/^\d+ unchanged$/);
    for (const h of HOSTS) expect([h, (await sshLogins(sandboxes[h]!)) - logins[h]! - 1]).toEqual([h, 1]);
    expect(await statesOf(HOSTS)).toEqual(before);
  });

  it("a change the canary refuses stops the rollout there: the other two hosts are untouched", async () => {
    const before = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await fingerprint(h)] as const)));
    writeBase(HOSTS, { "quantlab:services": { collector: { command: ["/usr/bin/quantlab-no-such-collector", "collector.py"] } } });
    const r = await timed("refused change", () => stack.quantlab("up"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "rollout stopped after wave 1: 1 host failed, more than quantlab:rollout.maxFailedHosts (0); later waves were not touched",
    );
    expect(r.stderr).toContain("host canary: HostFile /etc/systemd/system/quantlab-collector.service on ");
    expect(r.stderr).toContain("systemd rejects quantlab-collector.service (the live unit and the running service are unchanged)");
    for (const h of HOSTS) expect([h, await fingerprint(h)]).toEqual([h, before[h]]);
    writeBase(HOSTS);
    await mustQuantlab("up");
  });

  it("a wave that tolerates a failed host: the canary fails and goes back, the wave runs on, up names the host and exits 1", async () => {
    const before = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await fingerprint(h)] as const)));
    // On the canary only, replayd's start command exits at once: its gate fails and the host goes back to its generation.
    writeBase([{ name: "canary", services: { replayd: { command: ["/usr/bin/false"] } } }, "east", "west"], {
      "quantlab:rollout": { canary: 1, batchSize: 2, maxFailedHosts: 1 },
    });
    const r = await timed("tolerated failure", () => stack.quantlab("up"));
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain("quantlab: host canary failed:\nHostService quantlab-replayd.service on ");
    expect(r.stderr).toMatch(/rolled back: the host is back on generation \d+ in \d+\.\d s/);
    expect(
      await sandboxes.canary!.sh(
        "systemctl is-active quantlab-replayd.service; grep -c /usr/bin/false /etc/systemd/system/quantlab-replayd.service || true",
      ),
    ).toBe("active\n0\n");
    // The wave after the canary ran (nothing to change there): both still as they were.
    for (const h of ["east", "west"]) expect([h, await fingerprint(h)]).toEqual([h, before[h]]);
    writeBase(HOSTS);
    await mustQuantlab("up");
  });

  it("drift after a hand edit on one host names that host only; up repairs it", async () => {
    await sandboxes.east!.sh("echo 'REPLAYD_PORT=1' >> /etc/quantlab/replayd.env");
    const drift = await stack.quantlab("drift");
    expect(drift.code, output(drift)).toBe(2);
    expect(drift.stdout.trim().split("\n")).toEqual([
      "hosts differ from the stack:",
      "east: update  HostFile     /etc/quantlab/replayd.env  (sha256)",
      "east: update  HostService  quantlab-replayd.service  (/etc/quantlab/replayd.env)",
    ]);
    await mustQuantlab("up");
    const clean = await stack.quantlab("drift");
    expect([clean.code, clean.stdout.trim()]).toEqual([0, "host matches the stack"]);
  });

  it("status, doctor and --host cover and narrow every host", async () => {
    const status = await mustQuantlab("status");
    for (const h of HOSTS) expect(status.stdout).toMatch(new RegExp(`^${h} +replayd +active`, "m"));
    expect(status.stdout.trim().split("\n").pop()).toBe("all 30 services up");
    const one = await mustQuantlab("status", "--host", "west");
    expect(
      one.stdout
        .split("\n")
        .filter((l) => /^(canary|east|west) /.test(l))
        .map((l) => l.split(" ")[0]),
    ).toEqual(Array(10).fill("west"));
    const logs = await stack.quantlab("logs", "replayd");
    expect([logs.code, logs.stderr.split("\n")[0]]).toEqual([
      64,
      "quantlab: logs: the stack has 3 hosts: name one with --host (canary, east, west)",
    ]);
  });

  it("a host removed from the list: its units, env and cron files go, its data stays, nothing restarts on the others", async () => {
    const before = await statesOf(["canary", "east"]);
    await sandboxes.west!.sh("runuser -u deploy -- sh -c 'echo tick > /opt/quantlab/spool/data.jsonl'");
    writeBase(["canary", "east"]);
    await timed("up without west", () => mustQuantlab("up"));
    expect(
      await sandboxes.west!.sh(
        "ls /etc/systemd/system | grep -c '^quantlab-' ; ls -A /etc/quantlab | wc -l; ls /etc/cron.d | grep -c quantlab; cat /opt/quantlab/spool/data.jsonl",
      ),
    ).toBe("0\n0\n0\ntick\n");
    expect(await statesOf(["canary", "east"])).toEqual(before);
  });

  it("destroy removes the stack from every host it has", async () => {
    await timed("destroy of the fleet", () => mustQuantlab("destroy"));
    for (const h of ["canary", "east"])
      expect([h, await sandboxes[h]!.sh("ls /etc/systemd/system | grep -c '^quantlab-' || true")]).toEqual([h, "0\n"]);
  });
});

describe("a single-host stack moved to quantlab:hosts", () => {
  it("with its host as the one entry: zero changes, nothing restarts", async () => {
    const dir = path.join(stack.dir, "solo");
    const sandbox = await Sandbox.up(dir);
    const base = YAML.parse(fs.readFileSync(path.join(stack.dir, "pristine.yaml"), "utf8")) as { config: Record<string, unknown> };
    const host = { address: sandbox.host.address, port: sandbox.host.port, user: sandbox.host.user, hostKey: sandbox.host.hostKey };
    const real = new RealStack(`${NAME}-solo`, { ...base.config, "quantlab:host": host });
    try {
      await real.secrets({
        sshPrivateKey: fs.readFileSync(sandbox.host.privateKeyPath, "utf8"),
        ...Object.fromEntries(
          ["replayd", "featurexd", "labeld", "strategyd", "backtestd", "observer"].map((t) => [
            `tokens.${t}`,
            `tok-${t}-${"x".repeat(24)}`,
          ]),
        ),
      });
      const first = await timed("single-host up", () => real.quantlab("up"));
      expect(first.code, output(first)).toBe(0);
      const before = await unitStates(sandbox, units);
      // The same host, now as the one entry of quantlab:hosts (secrets kept: they are per stack).
      const doc = YAML.parse(fs.readFileSync(real.file, "utf8")) as { config: Record<string, unknown> };
      delete doc.config["quantlab:host"];
      doc.config["quantlab:hosts"] = [{ name: "solo", ...host }];
      fs.writeFileSync(real.file, YAML.stringify(doc));
      const moved = await timed("up after the move to hosts", () => real.quantlab("up"));
      expect(moved.code, output(moved)).toBe(0);
      expect(resources(moved.stdout)).toMatch(/^\d+ unchanged$/);
      expect(await unitStates(sandbox, units)).toEqual(before);
      const preview = await real.quantlab("drift");
      expect([preview.code, preview.stdout.trim()]).toEqual([0, "host matches the stack"]);
      timings["state size after the move (bytes)"] = fs.statSync(
        path.join(real.backendDir, ".pulumi", "stacks", "quantlab-infra", `${real.name}.json`),
      ).size;
    } finally {
      real.dispose();
      await removeSandbox(dir);
    }
  });
});
