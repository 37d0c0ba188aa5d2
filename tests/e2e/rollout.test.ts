/**
 * Safe rollout, end to end on the real engine against a fresh sandbox host
 * (its own stack, converged once): a unit systemd rejects never replaces the
 * live one; a change that fails its health gate is rolled back to the last
 * version that passed, later levels untouched, and the next `up` tries it
 * again until the config changes.
 */
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../cli/run";
import type { Sandbox } from "../../cli/sandbox";
import { health, removeSandbox, SandboxStack, stopwatch, unitStates, type UnitState } from "./host";
import { expectConverged, expectNoSecretLeaksOnHost, unitsOf, type HostUnderTest } from "./checks";

const NAME = `e2e-rollout-${process.pid}`;
const { timings, timed, report } = stopwatch();
let stack: SandboxStack;
let sandbox: Sandbox;
let h: HostUnderTest;
/** The base config as the scenarios found it: each scenario puts it back. */
let pristine: string;

async function refreshExpected(): Promise<void> {
  h = await stack.underTest(sandbox);
}

const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;
/** The engine's own "Duration: Ns" of the run. */
const engineSeconds = (r: RunResult): number =>
  Number(
    /Duration: (?:(\d+)m)?(\d+)s/
      .exec(r.stdout)!
      .slice(1)
      .reduce((s, v, i) => s + (i === 0 ? 60 : 1) * Number(v ?? 0), 0),
  );

async function mustQuantlab(command: string): Promise<RunResult> {
  const r = await stack.quantlab(command);
  expect(r.code, `quantlab ${command}:\n${output(r)}`).toBe(0);
  return r;
}

const unitOf = (service: string) => h.plan.units.find((u) => u.service === service)!;
const fileText = (p: string) => h.plan.files.find((f) => f.path === p)!.content;

async function serviceHealth(service: string): Promise<number> {
  const u = unitOf(service);
  return health(sandbox.host.address, u.health!.url, u.health!.token ? h.tokens[u.health!.token] : undefined);
}

/** Temp files a write or the verify step could leave: none may remain. */
async function strayTempFiles(): Promise<string> {
  return sandbox.sh("ls -a /tmp /etc/systemd/system /etc/quantlab | grep -e '^\\.quantlab-' -e '\\.quantlab-' ; exit 0");
}

/** The stand-in's own start records (epoch ms) of `service` in this boot, oldest first. */
async function startsOf(service: string): Promise<number[]> {
  const out = await sandbox.sh(`journalctl -b -o cat --no-pager | grep '^quantlab-standin started service=${service} ' || true`);
  return [...out.matchAll(/at_ms=(\d+)/g)].map((m) => Number(m[1]));
}

/** Units other than `except` kept their process and activation time. */
function untouched(before: Record<string, UnitState>, after: Record<string, UnitState>, except: readonly string[]) {
  const pick = (s: Record<string, UnitState>) =>
    Object.fromEntries(
      Object.entries(s)
        .filter(([u]) => !except.includes(u))
        .map(([u, v]) => [u, [v.ActiveState, v.MainPID, v.ActiveEnterTimestampMonotonic]]),
    );
  expect(pick(after)).toEqual(pick(before));
}

beforeAll(async () => {
  stack = new SandboxStack(NAME);
  pristine = fs.readFileSync(stack.base, "utf8");
  const up = await timed("fresh up incl. sandbox boot (wall)", () => stack.quantlab("up"));
  expect(up.code, output(up)).toBe(0);
  timings["fresh up (engine Duration)"] = engineSeconds(up);
  sandbox = stack.sandbox();
  await refreshExpected();
  await expectConverged(h);
});

afterAll(async () => {
  report("rollout e2e timings", "e2e-rollout-timings.json");
  if (stack) await removeSandbox(stack.dir);
});

describe("safe rollout on a real host, through the real engine", () => {
  it("records generation 1 root-only once every service passed its gates: each planned file's version in the store", async () => {
    expect(
      await sandbox.sh("stat -c '%a %U' /var/lib/quantlab-infra /var/lib/quantlab-infra/store /var/lib/quantlab-infra/generations"),
    ).toBe("700 root\n700 root\n700 root\n");
    const record = JSON.parse(await sandbox.sh("cat /var/lib/quantlab-infra/generations/1.json")) as {
      files: Record<string, { sha256: string }>;
      units: { unit: string }[];
    };
    expect(Object.keys(record.files).sort()).toEqual(h.plan.files.map((f) => f.path).sort());
    expect(record.units.map((u) => u.unit)).toEqual(unitsOf(h));
    expect(await sandbox.sh("cat /var/lib/quantlab-infra/current")).toBe("1\n");
    for (const f of h.plan.files)
      expect([f.path, await sandbox.sh(`cat /var/lib/quantlab-infra/store/${record.files[f.path]!.sha256}`)]).toEqual([f.path, f.content]);
    expect(await sandbox.sh("find /var/lib/quantlab-infra/store -type f ! -perm 0600 | wc -l")).toBe("0\n");
  });

  it("a unit systemd rejects (a missing binary) fails up before activation, naming the unit and systemd's message; the old version keeps running", async () => {
    const labeld = unitOf("labeld");
    const unitFile = labeld.reads[0]!;
    const before = await unitStates(sandbox, unitsOf(h));

    stack.setBase("services.labeld.command", ["/usr/bin/no-such-binary"]);
    const up = await stack.quantlab("up");
    expect(up.code, output(up)).toBe(1);
    expect(up.stderr).toContain(
      `quantlab: up failed:\nHostFile ${unitFile} on ${sandbox.host.address}: systemd rejects ${labeld.unit} (the live unit and the running service are unchanged):\n` +
        `${labeld.unit}: Command /usr/bin/no-such-binary is not executable: No such file or directory\n`,
    );
    // The live unit is the old one, its env file was not touched either, and nothing restarted.
    for (const p of labeld.reads) expect([p, await sandbox.sh(`cat ${p}`)]).toEqual([p, fileText(p)]);
    untouched(before, await unitStates(sandbox, unitsOf(h)), []);
    expect(await serviceHealth("labeld")).toBe(200);
    expect(await strayTempFiles()).toBe("");

    // Back to the config that works: nothing to do on the host, nothing restarted. (The host's provider takes the
    // host's config back: the failed run had stored the rejected one with it; that update touches no host.)
    fs.writeFileSync(stack.base, pristine);
    const again = await mustQuantlab("up");
    expect([...again.stdout.matchAll(/^ ~  (\S+) (\S+) updated /gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      "pulumi:providers:pulumi-nodejs quantlab",
    ]);
    untouched(before, await unitStates(sandbox, unitsOf(h)), []);
  });

  it("a change that fails its health gate is rolled back: old version healthy, later levels untouched, error with its journal; the next up tries again; the old config converges", async () => {
    const strategyd = unitOf("strategyd");
    const unitFile = strategyd.reads[0]!;
    const later = h.plan.units.filter(
      (u) => h.plan.levels.findIndex((l) => l.includes(u.service)) > h.plan.levels.findIndex((l) => l.includes("strategyd")),
    );
    expect(later.map((u) => u.service).sort()).toEqual(["backtestd", "console-ui", "job-worker", "labeld", "observer", "observer-api"]);
    const before = await unitStates(sandbox, unitsOf(h));

    stack.setBase("services.strategyd", { command: ["/usr/bin/node", "index.js", "--health-status=500"], healthTimeoutSeconds: 10 });
    const expectedHead = [
      `HostService ${strategyd.unit} on ${sandbox.host.address}: failed its health gate: no 200 from ${strategyd.health!.url} within 10 s (unit active, last answer 500)`,
      `changed: ${unitFile}`,
    ].join("\n");

    for (const attempt of [1, 2]) {
      const startsBefore = (await startsOf("strategyd")).length;
      const up = await timed(`failing up, attempt ${attempt} (wall)`, () => stack.quantlab("up"));
      expect([attempt, up.code]).toEqual([attempt, 1]);
      const err = up.stderr.slice(up.stderr.indexOf("HostService "));
      const back = new RegExp(
        `^rolled back: the host is back on generation 1 in (\\d+\\.\\d) s \\(restored ${unitFile.replace(/\./g, "\\.")}; restarted ${strategyd.unit.replace(/\./g, "\\.")}, each passed its gate again\\)$`,
      );
      expect(err.startsWith(`${expectedHead}\n`), output(up)).toBe(true);
      const lines = err.split("\n");
      expect(lines[2], output(up)).toMatch(back);
      expect(lines[3]).toBe("the next `up` tries this change again: fix the config (or the code) first");
      expect(lines[4]).toMatch(/^last \d+ journal lines:$/);
      expect(lines.slice(5).some((l) => l.includes("quantlab-standin health-forced service=strategyd status=500"))).toBe(true);
      timings[`attempt ${attempt}: rollback, the host back on its generation (s)`] = Number(back.exec(lines[2]!)![1]);

      // The old version is back on the host and healthy; it was started twice (bad, then good); nothing after it moved.
      expect(await sandbox.sh(`cat ${unitFile}`)).toBe(fileText(unitFile));
      expect(await serviceHealth("strategyd")).toBe(200);
      const now = await unitStates(sandbox, unitsOf(h));
      expect(await sandbox.sh(`ps -o args= -p ${now[strategyd.unit]!.MainPID}`)).not.toContain("--health-status");
      untouched(before, now, [strategyd.unit]);
      const [bad, restored, ...more] = (await startsOf("strategyd")).slice(startsBefore);
      expect([attempt, more]).toEqual([attempt, []]);
      timings[`attempt ${attempt}: bad version started -> restored version started (s)`] = (restored! - bad!) / 1000;
      expect(await strayTempFiles()).toBe("");

      // The state does not claim the failed version: the next preview plans it again.
      const preview = await mustQuantlab("preview");
      expect(preview.stdout).toContain(`update  HostFile     ${unitFile}  (sha256)`);
      expect(preview.stdout).toContain(`  ${strategyd.unit.padEnd(32)} restart (${unitFile})`);
    }

    fs.writeFileSync(stack.base, pristine);
    await mustQuantlab("up");
    await refreshExpected();
    const drift = await stack.quantlab("drift");
    expect([drift.code, drift.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
    await expectConverged(h);
    untouched(before, await unitStates(sandbox, unitsOf(h)), [strategyd.unit]);
  });

  it("secrets: the journal and errors shown carry no token; the generation store is not readable by others", async () => {
    const tokens = Object.values(h.tokens);
    expect(stack.transcript.filter((t) => tokens.some((s) => t.includes(s)))).toEqual([]);
    await expectNoSecretLeaksOnHost(h, tokens);
  });
});
