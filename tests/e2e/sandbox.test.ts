/**
 * End to end, for real: the Pulumi CLI (built from Go modules), the command
 * provider and SSH against a fresh Debian systemd host. One host and one stack
 * go through the scenarios in order: bootstrap, order (and after a reboot),
 * idempotence, one change, secrets, bad config, destroy.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, Sandbox, SandboxStack } from "./sandbox";
import { envValues, health, parsedSandboxStack, standinStarts, stat, unitStates, type UnitState } from "./host";
import { planAllFiles } from "../../hostfiles/plan";
import { CATALOG, type ServiceName } from "../../units/catalog";
import type { ParsedStack } from "../../config/parse";

const stateDir = process.env.QUANTLAB_E2E_STATE ?? path.join(ROOT, ".sandbox", `e2e-${process.pid}`);
const timings: Record<string, number> = {};
let sandbox: Sandbox;
let stack: SandboxStack;
let parsed: ParsedStack;
let units: string[];

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    timings[label] = (Date.now() - start) / 1000;
  }
}

const unitOf = (s: ServiceName) => CATALOG[s].unit;

/** Every dependency was active before the dependant's process started: by systemd's clock and by the stand-ins' own records. */
async function expectStartedInOrder(): Promise<void> {
  const states = await unitStates(sandbox, units);
  const starts = await standinStarts(sandbox);
  const violations: string[] = [];
  for (const svc of parsed.model.services) {
    const me = states[svc.def.unit]!;
    expect(starts[svc.def.name], `start record of ${svc.def.name}`).toBeGreaterThan(0);
    for (const dep of svc.after) {
      const them = states[unitOf(dep)]!;
      if (!(me.ExecMainStartTimestampMonotonic >= them.ActiveEnterTimestampMonotonic)) {
        violations.push(`${svc.def.name} started before ${dep} was active`);
      }
      if (!(starts[svc.def.name]! >= starts[dep]!)) violations.push(`${svc.def.name} recorded its start before ${dep}`);
    }
  }
  expect(violations).toEqual([]);
}

beforeAll(async () => {
  sandbox = await timed("sandbox boot", () => Sandbox.up(stateDir));
  stack = new SandboxStack(stateDir);
  await stack.init(sandbox);
  parsed = parsedSandboxStack(stack, sandbox);
  units = parsed.model.services.map((s) => s.def.unit);
});

afterAll(async () => {
  console.log(`e2e timings (s): ${JSON.stringify(timings)}`);
  fs.mkdirSync(path.join(ROOT, ".sandbox"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, ".sandbox", "e2e-timings.json"), JSON.stringify(timings, null, 2));
  if (sandbox) await sandbox.down();
});

describe("a fresh Debian host under pulumi up", () => {
  it("bootstrap: one pulumi up brings every service up, healthy, with the planned files", async () => {
    const up = await timed("first pulumi up", () => stack.pulumi(["up", "--yes", "--skip-preview"]));
    expect(up.code, up.stdout + up.stderr).toBe(0);

    const states = await unitStates(sandbox, units);
    for (const u of units) expect([u, states[u]!.ActiveState, states[u]!.UnitFileState]).toEqual([u, "active", "enabled"]);

    const outputs = await stack.outputs();
    const urls = outputs.healthUrls as Record<string, { url: string; bearerToken: boolean }>;
    expect(Object.keys(urls).sort()).toEqual(["backtestd", "collector", "featurexd", "labeld", "observer-api", "replayd", "strategyd"]);
    for (const [name, { url, bearerToken }] of Object.entries(urls)) {
      const token = bearerToken ? stack.tokens[CATALOG[name as ServiceName].token!] : undefined;
      expect([name, await health(sandbox.host.address, url, token)]).toEqual([name, 200]);
      if (bearerToken) expect([name, await health(sandbox.host.address, url)]).toEqual([name, 401]);
    }

    // Every planned file is on the host with exactly the planned content, mode and owner.
    const plan = planAllFiles(parsed.model, envValues(parsed));
    const stats = await stat(sandbox, plan.map((f) => f.path));
    for (const f of plan) {
      expect([f.path, stats[f.path]]).toEqual([f.path, { mode: f.mode, owner: f.owner, group: f.group }]);
      expect([f.path, await sandbox.sh(`cat ${f.path}`)]).toEqual([f.path, f.content]);
    }

    // Directories exist, owned by deploy; the collector wrote its spool.
    const dirs = await stat(sandbox, [parsed.model.runtime.spoolDir, parsed.model.runsDir, "/var/log/quantlab-ml.log"]);
    expect(dirs).toEqual({
      [parsed.model.runtime.spoolDir]: { mode: "0750", owner: "deploy", group: "deploy" },
      [parsed.model.runsDir]: { mode: "0750", owner: "deploy", group: "deploy" },
      "/var/log/quantlab-ml.log": { mode: "0640", owner: "deploy", group: "deploy" },
    });
    expect(await sandbox.sh(`ls ${parsed.model.runtime.spoolDir}`)).toContain("collector-alive.json");

    // The host's cron reads the files without complaint (it reports bad files when it starts).
    await sandbox.sh("systemctl restart cron && sleep 1");
    const cronLog = await sandbox.sh("journalctl -u cron -b --no-pager -o cat");
    expect(cronLog).not.toMatch(/error|bad |unknown user|wrong permissions|WRONG/i);
    expect(await sandbox.sh("systemctl is-active cron")).toBe("active\n");
  });

  it("order: no service started before everything it depends on was up", async () => {
    await expectStartedInOrder();
  });

  it("order holds after the host reboots", async () => {
    await timed("reboot", () => sandbox.reboot());
    const states = await unitStates(sandbox, units);
    for (const u of units) expect([u, states[u]!.ActiveState]).toEqual([u, "active"]);
    await expectStartedInOrder();
  });

  it("idempotence: a second pulumi up changes nothing and restarts nothing", async () => {
    const before = await unitStates(sandbox, units);
    const preview = await stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    const up = await timed("no-op pulumi up", () => stack.pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const after = await unitStates(sandbox, units);
    expect(after).toEqual(before);
  });

  it("one change: EXECUTION_STREAM_FILLS updates only its files and restarts only their readers", async () => {
    await stack.mustPulumi(["config", "set", "--path", "quantlab:env.executionStreamFills", "true"]);
    const preview = JSON.parse(await stack.mustPulumi(["preview", "--json"])) as { steps: { op: string; urn: string }[] };
    const changed = preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`);
    const readers: ServiceName[] = ["strategyd", "backtestd", "job-worker"];
    expect(changed.sort()).toEqual(readers.flatMap((r) => [`update quantlab-${r}-env-write`, `update quantlab-${r}-activate`]).sort());

    const before = await unitStates(sandbox, units);
    const up = await timed("one-change pulumi up", () => stack.pulumi(["up", "--yes", "--skip-preview"]));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const after = await unitStates(sandbox, units);
    const restarted = units.filter((u) => after[u]!.ActiveEnterTimestampMonotonic !== before[u]!.ActiveEnterTimestampMonotonic);
    expect(restarted.sort()).toEqual(readers.map(unitOf).sort());
    expect(await sandbox.sh("grep -h '^EXECUTION_STREAM_FILLS=' /etc/quantlab/strategyd.env /etc/quantlab/backtestd.env /etc/quantlab/worker.env")).toBe(
      "EXECUTION_STREAM_FILLS='1'\n".repeat(3),
    );
    parsed = parsedSandboxStack(stack, sandbox);
  });

  it("secrets: no token or key in state, CLI output, host process arguments, or files others can read", async () => {
    const secrets = stack.secretValues(sandbox);
    const exported = await stack.mustPulumi(["stack", "export"]);
    const leaks = (text: string) => secrets.filter((s) => text.includes(s)).length;
    expect(leaks(exported)).toBe(0);
    expect(leaks(stack.transcript.join("\n"))).toBe(0);
    // The secrets did reach the host, where they belong (root-only env files): the scan below is not vacuous.
    expect(await sandbox.sh("grep -c . /etc/quantlab/replayd.env")).not.toBe("0\n");
    const found = await sandbox.ssh("grep -rlF -f /dev/stdin /etc /home /opt /var /tmp /root /srv /usr/local 2>/dev/null", secrets.join("\n"));
    const files = found.stdout.trim().split("\n").filter(Boolean);
    expect(files).toContain("/etc/quantlab/replayd.env");
    const readable = await sandbox.sh(`for f in ${files.join(" ")}; do [ "$(stat -c %A "$f" | cut -c8)" = r ] && echo "$f"; done; exit 0`);
    expect(readable).toBe("");
    const args = await sandbox.sh("ps -eo args --no-headers");
    expect(leaks(args)).toBe(0);
  });

  it("bad config: pulumi preview fails with the package's error and the host is untouched", async () => {
    const snapshot = () =>
      sandbox.sh(
        "find /etc/quantlab /etc/systemd/system /etc/cron.d /etc/tmpfiles.d /etc/sysusers.d /home/deploy/quantlab-backend -xdev -printf '%p %T@ %m %u\\n' | sort | sha256sum",
      );
    const hostBefore = await snapshot();
    const unitsBefore = await unitStates(sandbox, units);
    const bad = path.join(stateDir, "Pulumi.sandbox-bad.yaml");
    fs.copyFileSync(stack.configFile, bad);
    await stack.mustPulumi(["config", "set", "--path", "quantlab:services.strategyd.port", "70000"], { configFile: bad });
    for (const cmd of [["preview"], ["up", "--yes", "--skip-preview"]]) {
      const r = await stack.pulumi(cmd, { configFile: bad });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("invalid stack config (1 problem):\n  - quantlab:services.strategyd.port: expected 1-65535, got 70000");
    }
    expect(await snapshot()).toBe(hostBefore);
    expect(await unitStates(sandbox, units)).toEqual(unitsBefore);
  });

  it("destroy: units, env and cron files go; spool and runs data stay", async () => {
    const { spoolDir } = parsed.model.runtime;
    await sandbox.sh(`runuser -u deploy -- sh -c 'echo tick > ${spoolDir}/data.jsonl && echo run > ${parsed.model.runsDir}/run-1.json'`);
    const destroy = await stack.pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.stdout + destroy.stderr).toBe(0);

    const states: Record<string, UnitState> = await unitStates(sandbox, units);
    for (const u of units) expect([u, states[u]!.ActiveState, states[u]!.UnitFileState]).toEqual([u, "inactive", ""]);
    expect(await sandbox.sh("ls /etc/systemd/system | grep '^quantlab-' ; ls /etc/cron.d | grep '^quantlab' ; ls -A /etc/quantlab ; ls /etc/logrotate.d | grep quantlab ; exit 0")).toBe("");
    expect(await sandbox.sh(`cat ${spoolDir}/data.jsonl ${parsed.model.runsDir}/run-1.json`)).toBe("tick\nrun\n");
    expect(await sandbox.sh(`ls ${spoolDir}`)).toContain("collector-alive.json");
  });
});
