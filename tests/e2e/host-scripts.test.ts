/**
 * The package's host scripts on a real systemd host, without the Pulumi
 * engine: the program runs under mocks, and every remote command it registers
 * runs over real SSH on a fresh sandbox host in dependency order (see
 * replay.ts). Scenarios: bootstrap, cron, order (and after a reboot), secrets,
 * destroy. Runs wherever the sandbox can boot, so the units, env files, cron
 * files, hardening and startup order are proven on a real host even where the
 * engine toolchain cannot be built.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordRegistrations, settled } from "../program/engine";
import { commandsInOrder, type HostCommand } from "./replay";
import { randomTokens, ROOT, Sandbox, secretsToScan } from "./sandbox";
import { stackConfig } from "../fixtures/stack";
import { parseStackConfig, type ParsedStack } from "../../config/parse";
import {
  expectConverged,
  expectCronCommandsRun,
  expectDestroyed,
  expectNoSecretLeaksOnHost,
  expectStartedInOrder,
  writeRuntimeData,
  type HealthUrls,
  unitsOf,
  type HostUnderTest,
} from "./checks";
import { unitStates, stopwatch } from "./host";

const stateDir = path.join(ROOT, ".sandbox", `host-scripts-${process.pid}`);
let sandbox: Sandbox;
let h: HostUnderTest;
let commands: HostCommand[];
let healthUrls: HealthUrls;
let secrets: string[];
const { timings, timed } = stopwatch();

async function runAll(which: "create" | "delete", list: readonly HostCommand[]): Promise<void> {
  for (const c of list) {
    const script = c[which];
    if (script === undefined) continue;
    const r = await sandbox.ssh(script, which === "create" ? c.stdin : undefined);
    if (r.code !== 0) throw new Error(`${c.name} ${which} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  }
}

beforeAll(async () => {
  sandbox = await timed("sandbox boot", () => Sandbox.up(stateDir));
  const tokens = randomTokens();
  const privateKey = fs.readFileSync(sandbox.host.privateKeyPath, "utf8");
  const all = {
    ...stackConfig("Pulumi.sandbox.yaml"),
    "quantlab:host": JSON.stringify({ address: sandbox.host.address, port: sandbox.host.port, user: sandbox.host.user, hostKey: sandbox.host.hostKey }),
    "quantlab:tokens": JSON.stringify(tokens),
    "quantlab:sshPrivateKey": privateKey,
  };
  const parsed: ParsedStack = parseStackConfig(all);
  h = { sandbox, parsed, tokens };
  secrets = secretsToScan(tokens, privateKey);

  const regs = await recordRegistrations();
  const { runProgram } = await import("../../program");
  const stack = runProgram(all, ROOT);
  healthUrls = stack.healthUrls as HealthUrls;
  await settled(regs);
  commands = commandsInOrder(regs);
});

afterAll(async () => {
  console.log(`host-scripts timings (s): ${JSON.stringify(timings)}`);
  fs.mkdirSync(path.join(ROOT, ".sandbox"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, ".sandbox", "host-scripts-timings.json"), JSON.stringify(timings, null, 2));
  if (!sandbox) return;
  await sandbox.down();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe("the package's host scripts over SSH on a fresh Debian host", () => {
  it("carry no secret in any command string (secrets travel on stdin)", () => {
    expect(commands.length).toBeGreaterThan(30);
    const scripts = commands.flatMap((c) => [c.create, c.delete ?? ""]).join("\n");
    expect(secrets.filter((s) => scripts.includes(s))).toEqual([]);
    expect(secrets.filter((s) => commands.some((c) => c.stdin?.includes(s)))).not.toEqual([]);
  });

  it("bootstrap: run in dependency order they bring every service up, healthy, with the planned files", async () => {
    await timed("bootstrap (all create scripts)", () => runAll("create", commands));
    await expectConverged(h, healthUrls);
  });

  it("cron: every entry's command runs as its user and reaches its script and log", async () => {
    await expectCronCommandsRun(h);
  });

  it("order: no service started before everything it depends on was up", async () => {
    await expectStartedInOrder(h);
  });

  it("order holds after the host reboots", async () => {
    await timed("reboot", () => sandbox.reboot());
    const states = await unitStates(sandbox, unitsOf(h.parsed));
    expect(Object.values(states).map((s) => s.ActiveState)).toEqual(unitsOf(h.parsed).map(() => "active"));
    await expectStartedInOrder(h);
  });

  it("running them all again converges to the same host", async () => {
    await runAll("create", commands);
    await expectConverged(h, healthUrls);
    await expectStartedInOrder(h);
  });

  it("secrets: only in files others cannot read, never in process arguments", async () => {
    await expectNoSecretLeaksOnHost(h, secrets);
  });

  it("destroy: the delete scripts, in reverse order, remove units, env and cron files and keep the data", async () => {
    await writeRuntimeData(h);
    await timed("destroy (all delete scripts)", () => runAll("delete", [...commands].reverse()));
    await expectDestroyed(h);
  });
});
