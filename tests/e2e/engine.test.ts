/**
 * End to end, for real: the operator command (compiled, as users run it)
 * drives the Pulumi engine (CLI built from Go modules, Automation API inline
 * program, the package's host provider) over SSH against a fresh Debian
 * systemd host. One host and one stack go through the scenarios in order;
 * a second host serves the unreachable-host scenario.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../cli/run";
import type { Sandbox } from "../../cli/sandbox";
import { removeSandbox, SandboxStack, sshLogins, stopwatch, unitStates } from "./host";
import {
  expectConverged,
  expectCronCommandsRun,
  expectDestroyed,
  expectNoSecretLeaksOnHost,
  expectStartedInOrder,
  unitsOf,
  writeRuntimeData,
  type HostUnderTest,
} from "./checks";

const NAME = `e2e-${process.pid}`;
const { timed, report } = stopwatch();
let stack: SandboxStack;
let sandbox: Sandbox;
let h: HostUnderTest;

/** Re-reads the expected plan after a config change. */
async function refreshExpected(): Promise<void> {
  h = await stack.underTest(sandbox);
}

async function mustQuantlab(command: string) {
  const r = await stack.quantlab(command);
  expect(r.code, `quantlab ${command}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** The operator command's report: the lines after "host differs from the stack:". */
const afterHeader = (out: string): string[] => out.slice(out.lastIndexOf("host differs from the stack:\n")).trim().split("\n").slice(1);

/** The engine's "Resources:" summary. */
const resourceSummary = (out: string): string => /Resources:\n([\s\S]*?)\n\n/.exec(out)?.[1]?.trim() ?? "";

/** Every file and unit of the plan, the host owner record, the host tools, the code bundle, the generation, the host's provider, and the stack with its two components. */
const resourceCount = (): number => h.plan.files.length + h.plan.units.length + (h.plan.buckets ? 1 : 0) + 1 + 1 + 1 + 1 + 1 + 3;

/** The secrets no scan may find in plaintext: every token, the S3 secret key, and the base64 body lines of the SSH key. */
function secretValues(): string[] {
  const key = fs.readFileSync(path.join(stack.dir, "id_ed25519"), "utf8");
  const s3 = h.parsed.secrets.s3;
  expect(s3, "the sandbox stack signs with its S3 server's keys").toBeDefined();
  return [...Object.values(h.tokens), s3!.secretAccessKey, ...key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))];
}

beforeAll(async () => {
  stack = new SandboxStack(NAME);
});

afterAll(async () => {
  report("e2e timings", "e2e-timings.json");
  for (const dir of stack ? [stack.dir, `${stack.dir}-x`] : []) await removeSandbox(dir);
});

describe("quantlab up on a fresh Debian host, through the real engine", () => {
  it("bootstrap: one up brings every service up, healthy, with the planned files, and prints the health table", async () => {
    const up = await timed("first up (incl. sandbox boot)", () => stack.quantlab("up"));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    sandbox = stack.sandbox();
    await refreshExpected();
    expect(resourceSummary(up.stdout)).toBe(`+ ${resourceCount()} created`);
    for (const u of h.plan.units) {
      expect(up.stdout).toMatch(new RegExp(`^${u.service} +${u.unit.replace(/\./g, "\\.")} +active +${u.health ? "200" : "-"} `, "m"));
    }
    await expectConverged(h);
  });

  it("cron: every entry's command runs as its user and reaches its script and log", async () => {
    await expectCronCommandsRun(h);
  });

  it("order: no service started before everything it depends on was up", async () => {
    await expectStartedInOrder(h);
  });

  it("order holds after the host reboots", async () => {
    await timed("reboot", () => sandbox.reboot());
    const states = await unitStates(sandbox, unitsOf(h));
    expect(Object.values(states).map((s) => s.ActiveState)).toEqual(unitsOf(h).map(() => "active"));
    await expectStartedInOrder(h);
  });

  it("idempotence: a second up changes nothing, restarts nothing and opens one SSH connection", async () => {
    const before = await unitStates(sandbox, unitsOf(h));
    const logins = await sshLogins(sandbox);
    const up = await timed("no-op up", () => mustQuantlab("up"));
    // sshLogins itself logs in once (the openssh client of sandbox.sh): the rest is the up's.
    expect((await sshLogins(sandbox)) - logins - 1).toBe(1);
    expect(resourceSummary(up.stdout)).toBe(`${resourceCount()} unchanged`);
    expect(await unitStates(sandbox, unitsOf(h))).toEqual(before);
  });

  it("one change: EXECUTION_STREAM_FILLS changes only its files; preview names the services that restart, up restarts exactly those", async () => {
    stack.setBase("env.executionStreamFills", true);
    const readers = ["quantlab-backtestd.service", "quantlab-strategyd.service", "quantlab-worker.service"];
    const envFiles = ["/etc/quantlab/backtestd.env", "/etc/quantlab/strategyd.env", "/etc/quantlab/worker.env"];
    const preview = await mustQuantlab("preview");
    expect(afterHeader(preview.stdout)).toEqual([
      ...envFiles.map((f) => `update  HostFile     ${f}  (sha256)`),
      ...readers.map((u, i) => `update  HostService  ${u}  (${envFiles[i]})`),
      "restarts:",
      ...readers.map((u, i) => `  ${u.padEnd(32)} restart (${envFiles[i]})`),
    ]);

    const before = await unitStates(sandbox, unitsOf(h));
    const up = await timed("one-change up", () => mustQuantlab("up"));
    // The three env files, their three readers, the generation the run records once they passed, and the
    // host's provider (its configuration is the host's config).
    expect(resourceSummary(up.stdout)).toBe(`~ 8 updated\n    ${resourceCount() - 8} unchanged`);
    const after = await unitStates(sandbox, unitsOf(h));
    expect(
      unitsOf(h)
        .filter((u) => after[u]!.ActiveEnterTimestampMonotonic !== before[u]!.ActiveEnterTimestampMonotonic)
        .sort(),
    ).toEqual([...readers].sort());
    expect(readers.filter((u) => after[u]!.MainPID === before[u]!.MainPID)).toEqual([]);
    expect(await sandbox.sh(`grep -h '^EXECUTION_STREAM_FILLS=' ${envFiles.join(" ")}`)).toBe("EXECUTION_STREAM_FILLS='1'\n".repeat(3));
    await refreshExpected();
    await expectConverged(h);
  });

  it("drift: a hand-edited env file, a stopped service and a deleted cron file are named, repaired by up, and gone", async () => {
    const clean = await timed("drift on a clean host", () => stack.quantlab("drift"));
    expect([clean.code, clean.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);

    await sandbox.sh(
      "echo 'REPLAYD_PORT=1' >> /etc/quantlab/replayd.env && systemctl stop quantlab-console-ui.service && rm /etc/cron.d/quantlab-ops-report",
    );
    const drift = await stack.quantlab("drift");
    expect(drift.code, drift.stderr).toBe(2);
    expect(afterHeader(drift.stdout)).toEqual([
      "create  HostFile     /etc/cron.d/quantlab-ops-report  (missing on the host)",
      "update  HostFile     /etc/quantlab/replayd.env  (sha256)",
      "update  HostService  quantlab-console-ui.service  (active)",
      "update  HostService  quantlab-replayd.service  (/etc/quantlab/replayd.env)",
    ]);

    await mustQuantlab("up");
    await expectConverged(h);
    for (const attempt of [1, 2]) {
      const again = await stack.quantlab("drift");
      expect([attempt, again.code, again.stdout.trim().split("\n").pop()]).toEqual([attempt, 0, "host matches the stack"]);
    }
  });

  it("service removed: disabling console-ui stops, disables and removes its unit and env file; nothing else restarts", async () => {
    const before = await unitStates(sandbox, unitsOf(h));
    stack.setBase("services.console-ui.enabled", false);
    await mustQuantlab("up");
    const gone = "quantlab-console-ui.service";
    const state = (await unitStates(sandbox, [gone]))[gone]!;
    expect([state.ActiveState, state.UnitFileState]).toEqual(["inactive", ""]);
    expect(await sandbox.sh(`ls /etc/systemd/system/${gone} /etc/quantlab/console.env 2>&1 || true`)).toMatch(
      /No such file[\s\S]*No such file/,
    );
    const others = unitsOf(h).filter((u) => u !== gone);
    const after = await unitStates(sandbox, others);
    expect(others.filter((u) => after[u]!.ActiveEnterTimestampMonotonic !== before[u]!.ActiveEnterTimestampMonotonic)).toEqual([]);
    await refreshExpected();
    await expectConverged(h);
  });

  it("secrets: no token or key in plaintext in the state, its backups, CLI output, host process arguments, or files others can read", async () => {
    const secrets = secretValues();
    const exported = await run("bash", ["-c", `grep -rlF -f /dev/stdin ${path.join(stack.dir, "state")} || true`], {
      input: secrets.join("\n"),
    });
    expect(exported.stdout).toBe("");
    expect(fs.readdirSync(path.join(stack.dir, "state", ".pulumi")).sort()).toEqual(
      expect.arrayContaining(["backups", "history", "stacks"]),
    );
    expect(secrets.filter((s) => stack.transcript.join("\n").includes(s))).toEqual([]);
    await expectNoSecretLeaksOnHost(h, secrets);
  });

  it("bad config: preview and up fail with the package's error naming the key; the host is untouched", async () => {
    const snapshot = () =>
      sandbox.sh(
        "find /etc/quantlab /etc/systemd/system /etc/cron.d /etc/tmpfiles.d /etc/sysusers.d /home/deploy -xdev -printf '%p %T@ %m %u\\n' | sort | sha256sum",
      );
    const hostBefore = await snapshot();
    const unitsBefore = await unitStates(sandbox, unitsOf(h));
    const good = fs.readFileSync(stack.base, "utf8");
    stack.setBase("services.strategyd.port", 70000);
    try {
      for (const cmd of ["preview", "up"]) {
        const r = await stack.quantlab(cmd);
        expect([cmd, r.code]).toEqual([cmd, 1]);
        expect(r.stderr).toContain("invalid stack config (1 problem):\n  - quantlab:services.strategyd.port: expected 1-65535, got 70000");
      }
    } finally {
      fs.writeFileSync(stack.base, good);
    }
    expect(await snapshot()).toBe(hostBefore);
    expect(await unitStates(sandbox, unitsOf(h))).toEqual(unitsBefore);
  });

  it("unreachable host: a wrong host key or a closed port fails, naming the host and the reason, with nothing recorded as created", async () => {
    const other = new SandboxStack(`${NAME}-x`);
    const booted = await other.quantlab("health"); // boots the second host and sets its stack up
    expect(booted.code, booted.stderr).toBe(1); // nothing is installed there yet
    const hostJson = path.join(other.dir, "host.json");
    const info = JSON.parse(fs.readFileSync(hostJson, "utf8"));
    const cases = [
      { change: { hostKey: sandbox.host.hostKey }, reason: "host key mismatch" },
      { change: { address: "127.0.0.1", port: 1 }, reason: "connect ECONNREFUSED 127.0.0.1:1" },
    ];
    for (const c of cases) {
      fs.writeFileSync(hostJson, JSON.stringify({ ...info, ...c.change }));
      const r = await timed(`up against ${c.reason}`, () => other.quantlab("up"));
      expect([c.reason, r.code]).toEqual([c.reason, 1]);
      expect(r.stderr).toContain(`cannot connect to root@${c.change.address ?? info.address}:${c.change.port ?? info.port}: ${c.reason}`);
      const state = await run("bash", [
        "-c",
        `cat ${path.join(other.dir, "state", ".pulumi", "stacks", "quantlab-infra", `${other.name}.json`)} 2>/dev/null || true`,
      ]);
      expect(state.stdout).not.toContain("quantlab:HostFile");
    }
  });

  it("destroy: units, env and cron files go; spool and runs data stay", async () => {
    await writeRuntimeData(h);
    await timed("destroy", () => mustQuantlab("destroy"));
    await expectDestroyed(h);
  });
});
