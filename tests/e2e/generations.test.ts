/**
 * Generations, end to end on a sandbox host whose backend comes from git (a
 * bare repository inside the host, as the ops suite makes it): every `up`
 * that passes all gates records what the host runs; a `deploy --ref` to a
 * commit whose replayd exits at start puts the whole host back, code
 * included, within the gate's deadline plus a few seconds; `rollback` goes
 * back by hand and forth again; a connection cut during the automatic
 * rollback leaves a host the next command puts on a consistent generation.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../cli/paths";
import { run, type RunResult } from "../../cli/run";
import { Sandbox } from "../../cli/sandbox";
import { removeSandbox, SandboxStack, setLink, start, stopwatch, waitForStale } from "./host";

const NAME = `e2e-gen-${process.pid}`;
const REMOTE = "/srv/quantlab-backend.git";
const SRC = "/srv/quantlab-src";
const BACKEND = "/home/deploy/quantlab-backend";
const GIT = "git -c user.name=quantlab-test -c user.email=test@quantlab.invalid";
/** replayd's gate deadline in this stack: short, so a bad commit fails fast. */
const DEADLINE_S = 15;
const { timings, timed, report } = stopwatch();

let stack: SandboxStack;
let sandbox: Sandbox;
let good: string;

const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

async function mustQuantlab(...args: string[]): Promise<RunResult> {
  const r = await stack.quantlab(args[0]!, ...args.slice(1));
  expect(r.code, `quantlab ${args.join(" ")}:\n${output(r)}`).toBe(0);
  return r;
}

/** Commits a change on top of `base` in the host's source repository, pushes it to `branch`, returns the commit. */
async function commit(message: string, script: string, branch: string, base: string): Promise<string> {
  return (
    await sandbox.sh(
      [
        `set -e`,
        `cd ${SRC}`,
        `git checkout -q --detach ${base}`,
        script,
        `git add -A`,
        `${GIT} commit -qm '${message}'`,
        `git push -qf ${REMOTE} HEAD:refs/heads/${branch}`,
        `git rev-parse HEAD`,
      ].join("\n"),
    )
  ).trim();
}

const hostHead = async () => (await sandbox.sh(`runuser -u deploy -- git -C ${BACKEND} rev-parse HEAD`)).trim();

interface GenRow {
  n: number;
  live: boolean;
  code: string;
  changed: string[];
}
async function generations(): Promise<GenRow[]> {
  return JSON.parse((await mustQuantlab("generations", "--json")).stdout) as GenRow[];
}

async function everyServiceHealthy(): Promise<void> {
  const r = await stack.quantlab("status");
  expect(r.code, output(r)).toBe(0);
  expect(r.stdout.trim().split("\n").pop()).toBe("all 10 services up");
}

beforeAll(async () => {
  stack = new SandboxStack(NAME);
  const doc = YAML.parse(fs.readFileSync(stack.base, "utf8")) as { config: Record<string, unknown> };
  doc.config["quantlab:code"] = { git: { remote: REMOTE, ref: "main" } };
  doc.config["quantlab:services"] = { replayd: { healthTimeoutSeconds: DEADLINE_S } };
  fs.writeFileSync(stack.base, YAML.stringify(doc));
  sandbox = await timed("sandbox boot", () => Sandbox.up(stack.dir));
  const b64 = (await run("bash", ["-c", `tar -C ${path.join(ROOT, "tests", "standin")} --exclude=__pycache__ -czf - . | base64 -w0`]))
    .stdout;
  good = (
    await sandbox.sh(
      [
        "set -e",
        `mkdir -p ${SRC} && base64 -d | tar -xz -C ${SRC} && cd ${SRC}`,
        "git init -q -b main . && git add -A",
        `${GIT} commit -qm 'stand-in backend'`,
        `git init -q --bare ${REMOTE} && git push -q ${REMOTE} main`,
        `git config --system --add safe.directory ${REMOTE}`,
        "git rev-parse HEAD",
      ].join("\n"),
      b64,
    )
  ).trim();
  await timed("first up (git checkout)", () => mustQuantlab("up"));
});

afterAll(async () => {
  report("generations e2e timings", "e2e-generations-timings.json");
  if (stack) {
    await setLink(stack.dir, "up").catch(() => undefined);
    await removeSandbox(stack.dir);
  }
});

describe("generations", () => {
  it("the first up records generation 1, live; a no-op up records none", async () => {
    expect(await generations()).toEqual([
      { n: 1, live: true, code: `commit ${good.slice(0, 12)}`, changed: ["first generation"], time: expect.any(String) },
    ]);
    await mustQuantlab("up");
    expect((await generations()).map((g) => [g.n, g.live])).toEqual([[1, true]]);
    expect(
      await sandbox.sh("stat -c '%a %U' /var/lib/quantlab-infra /var/lib/quantlab-infra/store /var/lib/quantlab-infra/generations/1.json"),
    ).toBe("700 root\n700 root\n600 root\n");
  });

  it("a deploy whose replayd exits at start fails, and the whole host is back on the previous commit within the gate's deadline plus a few seconds", async () => {
    const bad = await commit("replayd exits at start", "printf 'process.exit(3);\\n' > services/replayd/index.js", "bad", good);
    const before = Date.now();
    const r = await timed("failed deploy (wall)", () => stack.quantlab("deploy", "--ref", bad));
    expect(r.code).toBe(1);
    const err = r.stderr;
    expect(err).toContain("HostService quantlab-replayd.service on ");
    expect(err).toContain(`failed its health gate: no 200 from http://127.0.0.1:3030/health within ${DEADLINE_S} s`);
    expect(err).toContain("changed: code:services/replayd");
    const back =
      /rolled back: the host is back on generation 1 in (\d+\.\d) s \(restored \/home\/deploy\/quantlab-backend \(commit [0-9a-f]{12}\); restarted quantlab-replayd\.service, each passed its gate again\)/.exec(
        err,
      );
    expect(back, err).not.toBeNull();
    timings["failed gate -> all healthy again (s)"] = Number(back![1]);
    expect(err).toMatch(/last \d+ journal lines:\n/);
    // The rollback's own time is a reported figure (timings), not an assertion: its restored service passed its gate,
    // whose deadline bounds it.
    expect(await hostHead()).toBe(good);
    await everyServiceHealthy();
    expect((await generations()).map((g) => [g.n, g.live])).toEqual([[1, true]]);
    expect(Date.now() - before).toBeLessThan(120_000);

    // Only the config's ref differs from the host now.
    const drift = await stack.quantlab("drift");
    expect(drift.code, output(drift)).toBe(2);
    expect(drift.stdout.trim().split("\n")).toEqual([
      "host differs from the stack:",
      `update  HostCheckout ${BACKEND}  (host has ${good.slice(0, 12)}, not what ${bad} names (or tracked files edited))`,
    ]);
  });

  it("rollback by hand to the generation before, and back again", async () => {
    const next = await commit("strategyd: a new version", "printf '\\n// v2\\n' >> services/strategyd/index.js", "main", good);
    await timed("good deploy", () => mustQuantlab("deploy", "--ref", "main"));
    expect(await hostHead()).toBe(next);
    expect((await generations()).map((g) => [g.n, g.live, g.code])).toEqual([
      [1, false, `commit ${good.slice(0, 12)}`],
      [2, true, `commit ${next.slice(0, 12)}`],
    ]);

    const r = await timed("rollback to 1", () => mustQuantlab("rollback"));
    expect(r.stdout).toMatch(
      /^\S+: the host is back on generation 1 in \d+\.\d s \(restored \/home\/deploy\/quantlab-backend \(commit [0-9a-f]{12}\); restarted quantlab-strategyd\.service, each passed its gate again\)$/m,
    );
    expect(await hostHead()).toBe(good);
    await everyServiceHealthy();
    expect((await generations()).map((g) => [g.n, g.live])).toEqual([
      [1, true],
      [2, false],
    ]);
    const preview = await mustQuantlab("preview");
    expect(preview.stdout).toContain(
      `update  HostCheckout ${BACKEND}  (host has ${good.slice(0, 12)}, not what main names (or tracked files edited))`,
    );

    await timed("rollback to 2", () => mustQuantlab("rollback", "--to", "2"));
    expect(await hostHead()).toBe(next);
    await everyServiceHealthy();
    const drift = await stack.quantlab("drift");
    expect([drift.code, drift.stdout.trim()]).toEqual([0, "host matches the stack"]);
  });

  it("a connection cut during the automatic rollback; the next rollback ends on a consistent generation", async () => {
    const live = (await generations()).find((g) => g.live)!;
    const head = await hostHead();
    const bad = await commit("replayd exits at start again", "printf 'process.exit(4);\\n' > services/replayd/index.js", "bad2", head);
    const deploy = start(stack, "deploy", "--ref", bad);
    // The rollback starts by putting the code back: cut the link as soon as the host's checkout is the old commit again.
    let sawBad = false;
    for (let i = 0; i < 240; i++) {
      const now = await hostHead().catch(() => "");
      if (now === bad) sawBad = true;
      if (sawBad && now === head) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(sawBad).toBe(true);
    await setLink(stack.dir, "down");
    let r: RunResult;
    try {
      r = await timed("deploy cut during its rollback", () => deploy.done);
    } finally {
      await setLink(stack.dir, "up");
    }
    expect(r.code).toBe(1);
    await waitForStale(stack.dir);
    // The host is on a consistent generation again after one more command: the live one's code and files, every service healthy.
    await timed("rollback after the cut", () => mustQuantlab("rollback", "--to", String(live.n)));
    expect(await hostHead()).toBe(head);
    await everyServiceHealthy();
    expect((await generations()).filter((g) => g.live).map((g) => g.n)).toEqual([live.n]);
    // And the stack moves on: its ref back to a good commit, up converges and records the next generation.
    await mustQuantlab("deploy", "--ref", "main");
    const drift = await stack.quantlab("drift");
    expect([drift.code, drift.stdout.trim()]).toEqual([0, "host matches the stack"]);
  });
});
