/**
 * Rolling out over a session (host/rollout.ts), end to end on a scratch
 * host: a HostSession whose connection runs each command line (deadline
 * included) under a real bash, with scratch directories bound over /var/lib
 * (the generation store) and /var/log (root's files), a runtime user's tree,
 * and systemd, curl and runuser played by stubs (fixtures/fakeUnits.ts).
 * restoreGeneration puts files, code and units back, removes what the
 * failed run added, restarts what changed in startup order behind the gate,
 * settles, and marks the generation current only when all passed.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import type { FileTarget } from "../../host/files";
import {
  gate,
  generations,
  restoreGeneration,
  settle,
  type GenerationRecord,
  type RestoreArgs,
  type RolloutUnit,
} from "../../host/rollout";
import { HostSession } from "../../host/session";
import type { ExecResult, SshConnection } from "../../host/ssh";
import { fakeUnits } from "../fixtures/fakeUnits";
import { runOnHost, scratchDir, stubLog } from "../fixtures/hostShell";

const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const TOKEN = "tok-rollout-6c2a9e4f1b7d";
const tokens = (name: string) => (name === "strategyd" ? TOKEN : `tok-unknown-${name}`);

/** A scratch host: its trees, its stub units, and a session whose commands run there. */
function scratchHost(name: string) {
  const varLib = scratchDir(`${name}-lib`);
  const varLog = scratchDir(`${name}-log`);
  const tree = scratchDir(`${name}-tree`);
  const units = fakeUnits(path.join(tree.dir, "sys"));
  const mounts = { "/var/lib": varLib.dir, "/var/log": varLog.dir };
  const commands: string[] = [];
  const conn = {
    exec: async (command: string, stdin: string | Buffer = ""): Promise<ExecResult> => {
      commands.push(command);
      const r = runOnHost(command, { input: stdin, bin: units.bin, mounts });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  } as unknown as SshConnection;
  const session = new HostSession(
    async () => conn,
    name,
    () => [TOKEN],
  );
  const store = path.join(varLib.dir, "quantlab-infra");
  fs.mkdirSync(path.join(store, "store"), { recursive: true });
  fs.mkdirSync(path.join(store, "generations"));
  fs.mkdirSync(path.join(varLog.dir, "ql"));
  return {
    session,
    units,
    commands,
    tree: tree.dir,
    /** A root file's path on the host and here. */
    rootFile: (base: string) => ({ host: `/var/log/ql/${base}`, here: path.join(varLog.dir, "ql", base) }),
    blob: (text: string) => fs.writeFileSync(path.join(store, "store", sha(text)), text),
    record: (n: number, rec: GenerationRecord) => fs.writeFileSync(path.join(store, "generations", `${n}.json`), JSON.stringify(rec)),
    current: () => (fs.existsSync(path.join(store, "current")) ? fs.readFileSync(path.join(store, "current"), "utf8").trim() : "none"),
    cleanup: () => [varLib, varLog, tree].forEach((d) => d.cleanup()),
  };
}

const file = (p: string, text: string, over: Partial<FileTarget> = {}): FileTarget & { sha256: string } => ({
  path: p,
  mode: "0640",
  owner: "root",
  group: "root",
  onChange: "none",
  createParent: false,
  sha256: sha(text),
  ...over,
});
const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

describe("restoreGeneration on a scratch host", () => {
  const h = scratchHost("restore");
  afterAll(h.cleanup);
  const envA = h.rootFile("a.env");
  const unitA = h.rootFile("quantlab-a.service");
  const tmpfiles = h.rootFile("quantlab.conf");
  const newEnv = h.rootFile("new.env");
  const newUnit = h.rootFile("quantlab-new.service");
  const dotenv = path.join(h.tree, "core.env");
  const backend = path.join(h.tree, "backend");

  const units: RolloutUnit[] = [
    {
      unit: "quantlab-a.service",
      service: "strategyd",
      level: 0,
      probe: { url: "http://127.0.0.1:3031/health", token: "strategyd" },
      timeoutSeconds: 2,
      reads: [unitA.host, envA.host],
    },
    { unit: "quantlab-b.service", service: "labeld", level: 1, timeoutSeconds: 2, reads: [dotenv] },
    { unit: "quantlab-w.service", service: "job-worker", level: 1, timeoutSeconds: 2, reads: [] },
    { unit: "quantlab-z.service", service: "console-ui", level: 2, timeoutSeconds: 2, reads: [] },
  ];
  const gen: GenerationRecord = {
    time: "2026-01-15T10:00:00.000Z",
    stack: "quantlab-infra/sandbox",
    files: {
      [envA.host]: file(envA.host, "A=good\n", { mode: "0600" }),
      [unitA.host]: file(unitA.host, "[Service]\nExecStart=/bin/a\n", { mode: "0644", onChange: "daemon-reload" }),
      [tmpfiles.host]: file(tmpfiles.host, "d /data 0755\n", { mode: "0644", onChange: "tmpfiles" }),
      [dotenv]: file(dotenv, "DOT=good\n", { owner: "qlrun" }),
    },
    code: {
      kind: "bundle",
      root: backend,
      user: "qlrun",
      files: { "core/index.js": { mode: "0644", sha256: sha("good code\n") }, "core/same.js": { mode: "0644", sha256: sha("same\n") } },
    },
    units,
    changed: [],
  };
  const args: RestoreArgs = {
    gen,
    n: 3,
    touched: new Set(["quantlab-w.service"]),
    extraFiles: [
      { path: newEnv.host, onChange: "none", owner: "root" },
      { path: newUnit.host, onChange: "daemon-reload", owner: "root" },
      { path: h.rootFile("absent.conf").host, onChange: "tmpfiles", owner: "root" },
    ],
    extraUnits: ["quantlab-new.service", "quantlab-a.service"],
    runtimeUser: "qlrun",
  };

  // The host after a failed run: two files and the code changed, one file and one unit added.
  for (const t of ["A=good\n", "[Service]\nExecStart=/bin/a\n", "d /data 0755\n", "DOT=good\n", "good code\n", "same\n"]) h.blob(t);
  h.record(3, gen);
  fs.writeFileSync(envA.here, "A=bad\n", { mode: 0o644 });
  fs.writeFileSync(unitA.here, "[Service]\nExecStart=/bin/a\n", { mode: 0o644 });
  fs.chmodSync(unitA.here, 0o640);
  fs.writeFileSync(tmpfiles.here, "d /data 0700\n", { mode: 0o644 });
  fs.writeFileSync(dotenv, "DOT=bad\n", { mode: 0o640 });
  fs.mkdirSync(path.join(backend, "core"), { recursive: true });
  fs.writeFileSync(path.join(backend, "core", "index.js"), "bad code\n");
  fs.writeFileSync(path.join(backend, "core", "same.js"), "same\n");
  fs.writeFileSync(newEnv.here, "NEW=1\n");
  fs.writeFileSync(newUnit.here, "[Service]\n");
  for (const u of [...units.map((x) => x.unit), "quantlab-new.service"])
    h.units.unit(u, { ActiveState: "active", MainPID: 100, InvocationID: "inv-failed-run", up_for: 100 });
  h.units.set("token-3031", TOKEN);

  it("puts back every file and code file that differs (content and mode, as its writer), removes what the failed run added, restarts what changed by level, settles, marks the generation", async () => {
    const out = await restoreGeneration(h.session, args, tokens);
    expect([...out.restored].sort()).toEqual([dotenv, `${backend} (1 code file)`, envA.host, unitA.host, tmpfiles.host].sort());
    expect(out.removed).toEqual([newEnv.host, newUnit.host]);
    expect(out.stopped).toEqual(["quantlab-new.service"]);
    expect(out.gates.map((g) => [g.unit, g.result.passed])).toEqual([
      ["quantlab-a.service", true],
      ["quantlab-b.service", true],
      ["quantlab-w.service", true],
    ]);
    expect(out.settled).toEqual([
      { unit: "quantlab-a.service", settled: true },
      { unit: "quantlab-b.service", settled: true },
      { unit: "quantlab-w.service", settled: true },
    ]);
    expect(h.current()).toBe("3");

    expect([fs.readFileSync(envA.here, "utf8"), modeOf(envA.here)]).toEqual(["A=good\n", "600"]);
    expect([fs.readFileSync(unitA.here, "utf8"), modeOf(unitA.here)]).toEqual(["[Service]\nExecStart=/bin/a\n", "644"]);
    expect(fs.readFileSync(tmpfiles.here, "utf8")).toBe("d /data 0755\n");
    expect(fs.readFileSync(dotenv, "utf8")).toBe("DOT=good\n");
    expect(fs.readFileSync(path.join(backend, "core", "index.js"), "utf8")).toBe("good code\n");
    expect([fs.existsSync(newEnv.here), fs.existsSync(newUnit.here)]).toEqual([false, false]);
    expect(fs.readdirSync(path.dirname(envA.here)).sort()).toEqual(["a.env", "quantlab-a.service", "quantlab.conf"]);
  });

  it("ran each reload once: the unit reload for the removed unit file before the restarts and the settle's after them, tmpfiles for the restored rules; no stop of a unit the generation has", () => {
    const systemctl = stubLog(h.units.bin, "systemctl").split("\n");
    const reloads = systemctl.flatMap((l, i) => (l === "daemon-reload" ? [i] : []));
    const restarts = systemctl.flatMap((l, i) => (l.startsWith("restart ") ? [i] : []));
    expect(reloads).toHaveLength(2);
    expect([reloads[0]! < Math.min(...restarts), reloads[1]! > Math.max(...restarts)]).toEqual([true, true]);
    expect(systemctl.filter((l) => l.startsWith("restart ")).sort()).toEqual([
      "restart quantlab-a.service",
      "restart quantlab-b.service",
      "restart quantlab-w.service",
    ]);
    expect(systemctl).toContain("disable --now --quiet quantlab-new.service");
    expect(systemctl).not.toContain("disable --now --quiet quantlab-a.service");
    expect(stubLog(h.units.bin, "systemd-tmpfiles")).toBe(`--create ${tmpfiles.host}\n`);
    // The file contents never left the host: each restore pipes a stored blob into the writer.
    const restores = h.commands.filter((c) => c.includes("/var/lib/quantlab-infra/store"));
    expect(restores.every((c) => !c.includes("A=good") && !c.includes("DOT=good"))).toBe(true);
  });

  it("the token reached the gate's and the settle's curl on stdin only", () => {
    expect(stubLog(h.units.bin, "curl")).toBe(
      "-s -o /dev/null -w %{http_code} --max-time 2 -H @- http://127.0.0.1:3031/health [stdin: header]\n-s -o /dev/null -w %{http_code} --max-time 5 -H @- http://127.0.0.1:3031/health [stdin: header]\n",
    );
    expect(h.commands.some((c) => c.includes(TOKEN))).toBe(false);
  });

  it("generations(): the store's list", async () => {
    const listed = await generations(h.session);
    expect([listed.current, listed.generations.map((g) => [g.n, g.record.stack])]).toEqual([3, [[3, "quantlab-infra/sandbox"]]]);
  });
});

/** A generation of two units on two levels, both reading a.env ("A=good", its blob stored). */
function twoLevels(h: ReturnType<typeof scratchHost>) {
  const envA = h.rootFile("a.env");
  const units: RolloutUnit[] = [
    { unit: "quantlab-a.service", service: "replayd", level: 0, timeoutSeconds: 2, reads: [envA.host] },
    { unit: "quantlab-b.service", service: "labeld", level: 1, timeoutSeconds: 2, reads: [envA.host] },
  ];
  const gen: GenerationRecord = {
    time: "2026-01-15T10:00:00.000Z",
    stack: "quantlab-infra/sandbox",
    files: { [envA.host]: file(envA.host, "A=good\n") },
    code: { kind: "none" },
    units,
    changed: [],
  };
  h.blob("A=good\n");
  return { envA, gen };
}

describe("restoreGeneration when the earlier generation fails its gate too", () => {
  const h = scratchHost("refail");
  afterAll(h.cleanup);
  const { envA, gen } = twoLevels(h);
  h.record(2, gen);
  fs.writeFileSync(envA.here, "A=bad\n");
  h.units.unit("quantlab-a.service", { ActiveState: "active", MainPID: 100, InvocationID: "inv-x", up_for: 100, refuse: "" });
  h.units.unit("quantlab-b.service", { ActiveState: "active", MainPID: 100, InvocationID: "inv-y", up_for: 100 });

  it("stops at the failing level: no later level restarted, no settle, the generation not marked current", async () => {
    const out = await restoreGeneration(
      h.session,
      { gen, n: 2, touched: new Set(), extraFiles: [], extraUnits: [], runtimeUser: "qlrun" },
      tokens,
    );
    expect(out.restored).toEqual([envA.host]);
    expect(out.gates).toEqual([
      {
        unit: "quantlab-a.service",
        result: {
          passed: false,
          reason: "systemctl restart 'quantlab-a.service': Failed to restart quantlab-a.service: Unit quantlab-a.service not found.",
          journal: ["journal line 1 of quantlab-a.service", "journal line 2 of quantlab-a.service"],
        },
      },
    ]);
    expect(out.settled).toEqual([]);
    expect(h.current()).toBe("none");
    // b was only looked at (its state), never restarted.
    const calls = stubLog(h.units.bin, "systemctl").split("\n");
    expect(calls.filter((l) => l.includes("quantlab-b.service"))).toEqual(["show -p ActiveState --value quantlab-b.service"]);
  });
});

describe("restoreGeneration when a unit of the generation is down and nothing else differs", () => {
  const h = scratchHost("down");
  afterAll(h.cleanup);
  const { envA, gen } = twoLevels(h);
  h.record(3, gen);
  fs.writeFileSync(envA.here, "A=good\n", { mode: 0o640 });
  fs.chmodSync(envA.here, 0o640);
  // A run cut after the code went back and before a's restart: a is in systemd's restart loop.
  h.units.unit("quantlab-a.service", {
    ActiveState: "activating",
    restarted_ActiveState: "active",
    MainPID: 100,
    InvocationID: "inv-x",
    up_for: 100,
  });
  h.units.unit("quantlab-b.service", { ActiveState: "active", MainPID: 100, InvocationID: "inv-y", up_for: 100 });

  it("restarts that unit behind its gate (only it), and marks the generation current", async () => {
    const out = await restoreGeneration(
      h.session,
      { gen, n: 3, touched: new Set(), extraFiles: [], extraUnits: [], runtimeUser: "qlrun" },
      tokens,
    );
    expect([out.restored, out.gates.map((g) => [g.unit, g.result.passed])]).toEqual([[], [["quantlab-a.service", true]]]);
    expect(
      stubLog(h.units.bin, "systemctl")
        .split("\n")
        .filter((l) => l.startsWith("restart ")),
    ).toEqual([expect.stringMatching(/^restart .*quantlab-a\.service$/)]);
    expect(h.current()).toBe("3");
  });
});

describe("gate and settle over a session", () => {
  const h = scratchHost("gate");
  afterAll(h.cleanup);
  const a: RolloutUnit = {
    unit: "quantlab-a.service",
    service: "strategyd",
    level: 0,
    probe: { url: "http://127.0.0.1:3031/health", token: "strategyd" },
    timeoutSeconds: 2,
    reads: [],
  };
  h.units.unit(a.unit, { ActiveState: "active", MainPID: 7, InvocationID: "inv-0", up_for: 100 });
  h.units.set("token-3031", TOKEN);

  it("gate: the unit's token as its header, a deadline of its timeout plus 30 s; settle: nothing to do for no unit", async () => {
    expect(await gate(h.session, a, "restart", tokens)).toMatchObject({ passed: true, invocation: "inv-1" });
    expect(h.commands.at(-1)!.startsWith("timeout -k 5 32 bash -c 'set -u\nIFS= read -r header || true\n")).toBe(true);
    expect(await gate(h.session, a, "restart", () => "tok-wrong-000000")).toMatchObject({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3031/health within 2 s (unit active, last answer 401)",
    });
    const before = h.commands.length;
    expect(await settle(h.session, [], tokens)).toEqual([]);
    expect(h.commands.length).toBe(before);
  });

  it("gate: an expected file that differs is an error naming it, and nothing is restarted", async () => {
    const f = h.rootFile("x.env");
    fs.writeFileSync(f.here, "X=now\n");
    const restarts = stubLog(h.units.bin, "systemctl")
      .split("\n")
      .filter((l) => l.startsWith("restart")).length;
    await expect(gate(h.session, a, "restart", tokens, { files: { [f.host]: sha("X=planned\n") }, reader: "qlrun" })).rejects.toThrow(
      `health gate of quantlab-a.service on gate: ${f.host} on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)`,
    );
    expect(
      stubLog(h.units.bin, "systemctl")
        .split("\n")
        .filter((l) => l.startsWith("restart")).length,
    ).toBe(restarts);
  });

  it("settle: the token of each unit that has one, from its name", async () => {
    h.units.unit(a.unit, { InvocationID: "inv-5" });
    expect(
      await settle(
        h.session,
        [{ unit: a.unit, invocation: "inv-5", probe: { url: a.probe!.url, withToken: true }, token: "strategyd" }],
        tokens,
      ),
    ).toEqual([{ unit: a.unit, settled: true }]);
    expect(
      await settle(
        h.session,
        [{ unit: a.unit, invocation: "inv-5", probe: { url: a.probe!.url, withToken: true }, token: "observer" }],
        tokens,
      ),
    ).toEqual([
      {
        unit: a.unit,
        settled: false,
        reason: "health answers 401",
        journal: ["journal line 1 of quantlab-a.service", "journal line 2 of quantlab-a.service"],
      },
    ]);
  });
});
