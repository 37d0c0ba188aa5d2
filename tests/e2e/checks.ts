/**
 * What a converged (or destroyed) QuantLab host looks like, checked on the
 * real sandbox host against the very plan the program ships.
 */
import { expect } from "vitest";
import { health, standinStarts, stat, unitStates } from "./host";
import type { Sandbox } from "../../cli/sandbox";
import type { HostPlan } from "../../hostfiles/plan";
import type { ParsedStack } from "../../config/parse";
import type { TokenName } from "../../model/catalog";

export interface HostUnderTest {
  readonly sandbox: Sandbox;
  readonly parsed: ParsedStack;
  readonly plan: HostPlan;
  readonly tokens: Readonly<Record<TokenName, string>>;
}

export const unitsOf = (h: { plan: HostPlan }): string[] => h.plan.units.map((u) => u.unit);

/** Every unit enabled and active, every health endpoint 200 with its token (401 without), every planned file exact. */
export async function expectConverged(h: HostUnderTest): Promise<void> {
  const { sandbox, parsed, plan } = h;
  const units = unitsOf(h);
  const states = await unitStates(sandbox, units);
  for (const u of units) expect([u, states[u]!.ActiveState, states[u]!.UnitFileState]).toEqual([u, "active", "enabled"]);

  const probed = plan.units.filter((u) => u.health);
  expect(probed.map((u) => u.service).sort()).toEqual([
    "backtestd",
    "collector",
    "featurexd",
    "labeld",
    "observer-api",
    "replayd",
    "strategyd",
  ]);
  for (const u of probed) {
    const token = u.health!.token ? h.tokens[u.health!.token] : undefined;
    expect([u.service, await health(sandbox.host.address, u.health!.url, token)]).toEqual([u.service, 200]);
    if (token) expect([u.service, await health(sandbox.host.address, u.health!.url)]).toEqual([u.service, 401]);
  }

  // Each port is held by a process of its own unit (not by a leftover of an earlier start).
  for (const u of plan.units.filter((u) => u.port !== undefined)) {
    const owner = await sandbox.sh(
      `pid=$(ss -ltnpH 'sport = :${u.port}' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2); cat /proc/$pid/cgroup`,
    );
    expect([u.unit, owner.trim().split("/").pop()]).toEqual([u.unit, u.unit]);
  }

  // Every planned file is on the host with exactly the planned content, mode and owner.
  const stats = await stat(
    sandbox,
    plan.files.map((f) => f.path),
  );
  for (const f of plan.files) {
    expect([f.path, stats[f.path]]).toEqual([f.path, { mode: f.mode, owner: f.owner, group: f.group }]);
    expect([f.path, await sandbox.sh(`cat ${f.path}`)]).toEqual([f.path, f.content]);
  }

  // Directories exist, owned by deploy; the collector wrote its spool.
  const { spoolDir } = parsed.model.runtime;
  const dirs = await stat(sandbox, [spoolDir, parsed.model.runsDir, "/var/log/quantlab-ml.log"]);
  expect(dirs).toEqual({
    [spoolDir]: { mode: "0750", owner: "deploy", group: "deploy" },
    [parsed.model.runsDir]: { mode: "0750", owner: "deploy", group: "deploy" },
    "/var/log/quantlab-ml.log": { mode: "0640", owner: "deploy", group: "deploy" },
  });
  expect(await sandbox.sh(`ls ${spoolDir}`)).toContain("collector-alive.json");

  // The host's cron reads the files without complaint (it reports bad files when it starts).
  await sandbox.sh("systemctl restart cron && sleep 1");
  const cronLog = await sandbox.sh("journalctl -u cron -b --no-pager -o cat");
  expect(cronLog).not.toMatch(/error|bad |unknown user|wrong permissions|WRONG/i);
  expect(await sandbox.sh("systemctl is-active cron")).toBe("active\n");
}

/** Each cron entry's command, run as its user the way cron would, reaches its script and its log. */
export async function expectCronCommandsRun(h: HostUnderTest): Promise<void> {
  const entries = await h.sandbox.sh("grep -h '^[0-9*]' /etc/cron.d/quantlab-*");
  const lines = entries.trim().split("\n");
  expect(lines.length).toBe(h.parsed.model.cronJobs.length);
  for (const line of lines) {
    const fields = line.split(/\s+/);
    const user = fields[5]!;
    const cmd = fields.slice(6).join(" ").replace(/\\%/g, "%");
    const log = /(\/var\/log\/quantlab-[a-z-]+\.log)/.exec(cmd)![1]!;
    await h.sandbox.sh(`runuser -u ${user} -- /bin/sh -c '${cmd.replace(/'/g, `'\\''`)}'`);
    expect(await h.sandbox.sh(`tail -n 1 ${log}`)).toMatch(/^quantlab-standin cron script=\S+\.js ran at_ms=\d+ uid=[1-9]\d*\n$/);
  }
}

/** Every dependency was active before the dependant's process started: by systemd's clock and by the stand-ins' own records. */
export async function expectStartedInOrder(h: HostUnderTest): Promise<void> {
  const { sandbox, plan } = h;
  const states = await unitStates(sandbox, unitsOf(h));
  const starts = await standinStarts(sandbox);
  const unitOf = new Map(plan.units.map((u) => [u.service, u.unit]));
  const violations: string[] = [];
  for (const u of plan.units) {
    const me = states[u.unit]!;
    expect(starts[u.service], `start record of ${u.service}`).toBeGreaterThan(0);
    for (const dep of u.after) {
      const them = states[unitOf.get(dep)!]!;
      if (!(me.ExecMainStartTimestampMonotonic >= them.ActiveEnterTimestampMonotonic))
        violations.push(`${u.service} started before ${dep} was active`);
      if (!(starts[u.service]! >= starts[dep]!)) violations.push(`${u.service} recorded its start before ${dep}`);
    }
  }
  expect(violations).toEqual([]);
  // A stand-in that found a dependency down refused to start: none did in this boot.
  expect(await sandbox.sh("journalctl -b -o cat --no-pager | grep '^quantlab-standin \\(dependency-down\\|refused\\)' || true")).toBe("");
}

/** Secrets reached the host only in files others cannot read, and never in a process's arguments. */
export async function expectNoSecretLeaksOnHost(h: HostUnderTest, secrets: readonly string[]): Promise<void> {
  const { sandbox } = h;
  // The secrets did reach the host, where they belong (root-only env files): the scan below is not vacuous.
  const found = await sandbox.ssh(
    "grep -rlF -f /dev/stdin /etc /home /opt /var /tmp /root /srv /usr/local 2>/dev/null",
    secrets.join("\n"),
  );
  const files = found.stdout.trim().split("\n").filter(Boolean);
  expect(files).toContain("/etc/quantlab/replayd.env");
  const readable = await sandbox.sh(`for f in ${files.join(" ")}; do [ "$(stat -c %A "$f" | cut -c8)" = r ] && echo "$f"; done; exit 0`);
  expect(readable).toBe("");
  const args = await sandbox.sh("ps -eo args --no-headers");
  expect(secrets.filter((s) => args.includes(s))).toEqual([]);
}

/** Writes data where the runtime keeps it, for expectDestroyed to find afterwards. */
export async function writeRuntimeData(h: HostUnderTest): Promise<void> {
  const { spoolDir } = h.parsed.model.runtime;
  await h.sandbox.sh(`runuser -u deploy -- sh -c 'echo tick > ${spoolDir}/data.jsonl && echo run > ${h.parsed.model.runsDir}/run-1.json'`);
}

/** Units stopped and gone, env, cron and logrotate files gone; the data written by writeRuntimeData still there. */
export async function expectDestroyed(h: HostUnderTest): Promise<void> {
  const { sandbox, parsed } = h;
  const units = unitsOf(h);
  const states = await unitStates(sandbox, units);
  for (const u of units) expect([u, states[u]!.ActiveState, states[u]!.UnitFileState]).toEqual([u, "inactive", ""]);
  expect(
    await sandbox.sh(
      "ls /etc/systemd/system | grep '^quantlab-' ; ls /etc/cron.d | grep '^quantlab' ; ls -A /etc/quantlab ; ls /etc/logrotate.d | grep quantlab ; exit 0",
    ),
  ).toBe("");
  const { spoolDir } = parsed.model.runtime;
  expect(await sandbox.sh(`cat ${spoolDir}/data.jsonl ${parsed.model.runsDir}/run-1.json`)).toBe("tick\nrun\n");
  expect(await sandbox.sh(`ls ${spoolDir}`)).toContain("collector-alive.json");
}
