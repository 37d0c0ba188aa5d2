/**
 * Interrupted runs, for real: a fresh `up` cut at three different points
 * (sshd's session processes killed on the host, the sandbox's link taken
 * down), SIGINT during `up`, two `up`s of one stack at once, an `up` whose
 * reader goes away (`| head`), and a second
 * stack pointed at the same host. After each cut: no half-written file, no
 * pending operation in the state, and the next `up` converges with no temp
 * file left anywhere on the host. One sandbox host serves every scenario;
 * each starts from `destroy`, so each cut lands in a fresh `up`.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../cli/paths";
import { must, run, type RunResult } from "../../cli/run";
import type { Sandbox } from "../../cli/sandbox";
import { expectConverged, type HostUnderTest } from "./checks";
import { removeSandbox, SandboxStack, setLink, sshSessions, start, stopwatch, vethOf, waitForStale, type Running } from "./host";

const NAME = `e2e-int-${process.pid}`;
const SCRIPT = path.join(ROOT, "scripts", "sandbox.sh");
const { timed, report } = stopwatch();
let stack: SandboxStack;
let sandbox: Sandbox;
let h: HostUnderTest;

/** A running operator command whose output can be watched. */
async function mustQuantlab(s: SandboxStack, command: string, ...extra: string[]): Promise<RunResult> {
  const r = await s.quantlab(command, ...extra);
  expect(r.code, `quantlab ${command}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/**
 * Kills sshd's session processes on the host (every login; the listener
 * stays), from outside SSH. A session may end between the listing and the
 * kill (a command's own session closing): those are skipped, and the count is
 * of the sessions this kill ended.
 */
async function killSshSessions(): Promise<number> {
  const pids = await sshSessions(stack.dir);
  if (pids.length === 0) return 0;
  const killed = await must("bash", [
    SCRIPT,
    "exec",
    stack.dir,
    "sh",
    "-c",
    `for p in ${pids.join(" ")}; do kill -9 "$p" 2>/dev/null && echo "$p"; done; exit 0`,
  ]);
  return killed.split("\n").filter((l) => l !== "").length;
}

const waitForStaleSessions = () => waitForStale(stack.dir);
const link = (state: "up" | "down") => setLink(stack.dir, state);
const vethName = () => vethOf(stack.dir);

/** Temp files of HostFile writes, bundle extracts and the owner record, anywhere on the host. */
const tempFiles = async (): Promise<string> => sandbox.sh("find / -xdev -name '*.quantlab-*' 2>/dev/null; exit 0");

/** Every planned file is either absent or exactly its planned content: nothing half-written. */
async function expectNoHalfWrittenFile(): Promise<{ written: number; absent: number }> {
  const out = await sandbox.sh(
    h.plan.files
      .map((f) => `if [ -f ${f.path} ]; then echo "${f.path} $(sha256sum < ${f.path} | cut -c1-64)"; else echo "${f.path} absent"; fi`)
      .join("\n"),
  );
  const found = new Map(
    out
      .trim()
      .split("\n")
      .map((l) => [l.split(" ")[0]!, l.split(" ")[1]!] as const),
  );
  const bad = h.plan.files.filter(
    (f) => ![crypto.createHash("sha256").update(f.content).digest("hex"), "absent"].includes(found.get(f.path)!),
  );
  expect(bad.map((f) => f.path)).toEqual([]);
  const absent = [...found.values()].filter((v) => v === "absent").length;
  return { written: found.size - absent, absent };
}

/** The stack's checkpoint: pending operations the engine left, and lock files. */
function stateOf(s: SandboxStack): { pending: unknown[]; locks: string[] } {
  const file = path.join(s.dir, "state", ".pulumi", "stacks", "quantlab-infra", `${s.name}.json`);
  const doc = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, "utf8")) as { checkpoint?: { latest?: { pending_operations?: unknown[] } } })
    : {};
  const lockDir = path.join(s.dir, "state", ".pulumi", "locks", "organization", "quantlab-infra", s.name);
  return { pending: doc.checkpoint?.latest?.pending_operations ?? [], locks: fs.existsSync(lockDir) ? fs.readdirSync(lockDir) : [] };
}

/** After a cut: no half-written file, a consistent state, then `up` converges, `drift` finds nothing, no temp file is left. */
async function expectRecovers(label: string): Promise<void> {
  const files = await expectNoHalfWrittenFile();
  console.log(`${label}: after the cut ${files.written} planned files written, ${files.absent} absent`);
  expect(stateOf(stack)).toEqual({ pending: [], locks: [] });
  await timed(`${label}: recovering up`, () => mustQuantlab(stack, "up"));
  await expectConverged(h);
  const drift = await stack.quantlab("drift");
  expect([drift.code, drift.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
  expect(await tempFiles()).toBe("");
}

/** Takes the sandbox's link down until the running command ends; the link comes back whatever happened. */
async function endWithLinkDown(running: Running, label: string): Promise<RunResult> {
  await link("down");
  try {
    return await timed(label, () => running.done);
  } finally {
    await link("up");
  }
}

const FILE_CREATED = /HostFile \S+ created/;
const SERVICE_CREATING = /HostService \S+ creating/;

beforeAll(async () => {
  stack = new SandboxStack(NAME);
});

afterAll(async () => {
  report("interrupt timings");
  if (stack) {
    await run("ip", ["link", "set", vethName(), "up"]);
    fs.rmSync(`${stack.dir}-b`, { recursive: true, force: true }); // copied host files only: the host is stack's
    await removeSandbox(stack.dir);
  }
});

describe("interrupted runs", () => {
  it("cut 1: sshd's sessions killed on the host after 6 files of a fresh up; the next up converges", async () => {
    const up = start(stack, "up");
    await up.waitFor(FILE_CREATED, 6);
    sandbox = stack.sandbox();
    const killed = await killSshSessions();
    const r = await timed("cut 1: failed up", () => up.done);
    h = await stack.underTest(sandbox); // before the checks: every later scenario reads it
    expect(killed).toBeGreaterThan(0);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining("up failed:")]);
    await expectRecovers("cut 1");
  });

  it("cut 2: the link taken down while a service starts; the up fails naming the lost connection; the next up converges", async () => {
    await mustQuantlab(stack, "destroy");
    const up = start(stack, "up");
    await up.waitFor(SERVICE_CREATING);
    const r = await endWithLinkDown(up, "cut 2: failed up (link down)");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connection|timed out|Timed out|ECONN|keepalive/i);
    await timed("cut 2: stale host session gone", waitForStaleSessions);
    await expectRecovers("cut 2");
  });

  it("cut 3: a fresh up cut after its code bundle, the next up cut (link down) during its refresh; the third up converges", async () => {
    await mustQuantlab(stack, "destroy");
    const first = start(stack, "up");
    await first.waitFor(/HostBundle \S+ created/);
    await killSshSessions();
    expect((await first.done).code).toBe(1);
    await expectNoHalfWrittenFile();
    const second = start(stack, "up");
    await second.waitFor(/refreshing|Updating \(/); // the refresh runs first: cut as it starts
    const r = await endWithLinkDown(second, "cut 3: up cut during refresh");
    expect(r.code).toBe(1);
    await timed("cut 3: stale host session gone", waitForStaleSessions);
    await expectRecovers("cut 3");
  });

  it("SIGINT during up: the engine stops cleanly (exit 130, lock released, nothing pending); the next up converges", async () => {
    await mustQuantlab(stack, "destroy");
    const up = start(stack, "up");
    await up.waitFor(SERVICE_CREATING, 3);
    up.signal("SIGINT");
    const r = await timed("SIGINT: interrupted up", () => up.done);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(
      `quantlab: up of stack ${NAME} interrupted: the engine stopped after the operations in flight and saved the state; the stack lock is released. Run \`npx quantlab up --stack ${NAME}\` to converge.`,
    );
    await expectRecovers("SIGINT");
  });

  it("two ups of one stack at once: the second is refused naming the stack and how to release a stale lock", async () => {
    await mustQuantlab(stack, "destroy");
    const first = start(stack, "up");
    await first.waitFor(/Updating \(/);
    const second = await stack.quantlab("up");
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`^quantlab: stack ${NAME} is locked by another run \\(held by \\S+ \\(pid \\d+\\) at [^)]+\\)\\.$`, "m"),
    );
    expect(second.stderr).toContain(
      `Wait for it to finish. If no run is active (a run that was killed leaves its lock behind), release the stale lock with:\n  npx quantlab unlock --stack ${NAME}`,
    );
    expect((await first.done).code).toBe(0);
    await expectConverged(h);
    const unlock = await mustQuantlab(stack, "unlock");
    expect(unlock.stdout.trim()).toBe(`stack ${NAME} is not locked`);
  });

  it("a reader that goes away (`quantlab up | head`): the run goes on to its end, converged, lock released", async () => {
    await mustQuantlab(stack, "destroy");
    const up = start(stack, "up");
    await up.waitFor(/Updating \(/);
    up.closeStdout();
    const r = await timed("closed stdout: up", () => up.done);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(stateOf(stack)).toEqual({ pending: [], locks: [] });
    await expectConverged(h);
  });

  it("a second stack on the same host: refused naming the owner; --take-over claims it; destroy releases it", async () => {
    const b = new SandboxStack(`${NAME}-b`);
    // The same running host: stack b gets a copy of its SSH endpoint, key, S3 server's keys and boot record.
    for (const f of ["host.json", "id_ed25519", "id_ed25519.pub", "known_hosts", "s3.json", "net.env", "nspawn.pid"]) {
      if (fs.existsSync(path.join(stack.dir, f))) fs.copyFileSync(path.join(stack.dir, f), path.join(b.dir, f));
    }
    const address = sandbox.host.address;
    const refused = await b.quantlab("up");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `host ${address} is managed by stack quantlab-infra/${NAME} (/var/lib/quantlab/owner); refusing to up quantlab-infra/${b.name} there.\n` +
        `If quantlab-infra/${b.name} is meant to take the host over (the other stack will no longer manage it): npx quantlab up --stack ${b.name} --take-over`,
    );
    expect(stateOf(b).pending).toEqual([]);
    expect(await sandbox.sh("cat /var/lib/quantlab/owner")).toBe(`quantlab-infra/${NAME}\n`);

    const taken = await mustQuantlab(b, "up", "--take-over");
    expect(taken.stdout).toContain(`quantlab: took host ${address} over from stack quantlab-infra/${NAME}`);
    expect(await sandbox.sh("cat /var/lib/quantlab/owner")).toBe(`quantlab-infra/${b.name}\n`);
    const { parsed, plan, tokens } = await b.expected();
    await expectConverged({ sandbox, parsed, plan, tokens });

    const old = await stack.quantlab("up");
    expect([old.code, old.stderr]).toEqual([1, expect.stringContaining(`host ${address} is managed by stack quantlab-infra/${b.name}`)]);

    await mustQuantlab(b, "destroy");
    expect(await sandbox.sh("cat /var/lib/quantlab/owner 2>/dev/null; exit 0")).toBe("");
    await mustQuantlab(stack, "up");
    expect(await sandbox.sh("cat /var/lib/quantlab/owner")).toBe(`quantlab-infra/${NAME}\n`);
    await expectConverged(h);
  });
});
