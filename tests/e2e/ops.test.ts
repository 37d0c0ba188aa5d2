/**
 * The runbook's operations, one command each, on a sandbox host of their
 * own: a stack whose backend code comes from a git repository the test
 * makes inside the host (the stand-in backend, committed to a bare repo at
 * /srv/quantlab-backend.git: no network), converged once with `up`. Each
 * command's output is checked against the host's real state.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../cli/paths";
import { run } from "../../cli/run";
import { Sandbox } from "../../cli/sandbox";
import type { HostPlan } from "../../hostfiles/plan";
import type { Model } from "../../model/model";
import { removeSandbox, SandboxStack, stopwatch, unitStates } from "./host";

const NAME = `ops-${process.pid}`;
const REMOTE = "/srv/quantlab-backend.git";
const SRC = "/srv/quantlab-src";
const GIT = "git -c user.name=quantlab-test -c user.email=test@quantlab.invalid";
const { timed, report } = stopwatch();

let stack: SandboxStack;
let sandbox: Sandbox;
let plan: HostPlan;
let model: Model;
let tokens: Record<string, string>;
const units = () => plan.units.map((u) => u.unit);

/** The stand-in backend as one commit on branch main of a bare repository inside the host, which the runtime user may fetch from. */
async function makeRemote(s: Sandbox): Promise<string> {
  const b64 = (await run("bash", ["-c", `tar -C ${path.join(ROOT, "tests", "standin")} --exclude=__pycache__ -czf - . | base64 -w0`]))
    .stdout;
  return (
    await s.sh(
      [
        "set -e",
        `mkdir -p ${SRC} && base64 -d | tar -xz -C ${SRC} && cd ${SRC}`,
        "git init -q -b main . && git add -A",
        `${GIT} commit -qm 'stand-in backend'`,
        `git init -q --bare ${REMOTE} && git push -q ${REMOTE} main`,
        // A repository owned by another user is one git refuses to read unless trusted.
        `git config --system --add safe.directory ${REMOTE}`,
        "git rev-parse HEAD",
      ].join("\n"),
      b64,
    )
  ).trim();
}

async function mustQuantlab(...args: string[]) {
  const [command, ...rest] = args;
  const r = await stack.quantlab(command!, ...rest);
  expect(r.code, `quantlab ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** The operator command as a child process (for `logs -f`). */
function spawnQuantlab(...args: string[]) {
  const [command, ...rest] = args;
  const env = { ...process.env };
  delete env.PULUMI_BACKEND_URL;
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "bin", "quantlab.js"), command!, "--stack", NAME, "--sandbox", "--config-file", stack.base, ...rest],
    { cwd: ROOT, env },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  stack = new SandboxStack(NAME);
  const doc = YAML.parse(fs.readFileSync(stack.base, "utf8")) as { config: Record<string, unknown> };
  doc.config["quantlab:code"] = { git: { remote: REMOTE, ref: "main" } };
  fs.writeFileSync(stack.base, YAML.stringify(doc));
  sandbox = await timed("sandbox boot", () => Sandbox.up(stack.dir));
  await makeRemote(sandbox);
  await timed("first up (git checkout)", () => mustQuantlab("up"));
  const expected = await stack.expected();
  plan = expected.plan;
  model = expected.parsed.model;
  tokens = expected.tokens;
});

afterAll(async () => {
  report("ops e2e timings", "ops-timings.json");
  if (stack) await removeSandbox(stack.dir);
});

describe("quantlab status", () => {
  it("shows every service as the host has it; a stopped one is down and the exit status is 1", async () => {
    const r = await timed("status", () => mustQuantlab("status", "--json"));
    const rows = (
      JSON.parse(r.stdout) as {
        ok: boolean;
        services: {
          service: string;
          unit: string;
          state: string;
          pid?: number;
          listening?: boolean;
          health?: string;
          problems: string[];
        }[];
      }
    ).services;
    const host = await unitStates(sandbox, units());
    expect(rows.map((row) => [row.unit, row.state, row.pid, row.problems])).toEqual(
      plan.units.map((u) => [u.unit, "active", host[u.unit]!.MainPID, []]),
    );
    const listening = (await sandbox.sh("lsof -nP -iTCP -sTCP:LISTEN -Fn | sed -n 's/^n.*:\\([0-9]*\\)$/\\1/p' | sort -un"))
      .trim()
      .split("\n")
      .map(Number);
    for (const u of plan.units.filter((x) => x.port)) expect([u.service, listening.includes(u.port!)]).toEqual([u.service, true]);
    expect(rows.filter((row) => row.health !== undefined).map((row) => [row.service, row.health])).toEqual(
      plan.units.filter((u) => u.health).map((u) => [u.service, "200"]),
    );

    await sandbox.sh("systemctl stop quantlab-strategyd.service");
    const down = await stack.quantlab("status");
    expect(down.code).toBe(1);
    const line = down.stdout.split("\n").find((l) => l.startsWith("strategyd "))!;
    expect(line.split(/\s{2,}/).filter((c, i) => i !== 2)).toEqual(["strategyd", "INACTIVE", "-", "-", "3031 CLOSED", "000"]);
    expect(down.stdout.trim().split("\n").pop()).toBe("DOWN (1 of 10): strategyd (inactive, port 3031 not listening, health 000)");
    expect(await sandbox.sh("systemctl is-active quantlab-strategyd.service || true")).toBe("inactive\n");

    const back = await timed("restart one service", () => mustQuantlab("restart", "strategyd"));
    expect(back.stdout).toContain("level 1/1: restarting strategyd\nlevel 1/1: passed its gate\n");
    expect(back.stdout.trim().split("\n").pop()).toBe("all 10 services up");
    expect(await sandbox.sh("systemctl is-active quantlab-strategyd.service")).toBe("active\n");
  });
});

describe("quantlab restart --all", () => {
  it("restarts every service, level by level along the startup DAG, each level healthy before the next (systemd's timestamps)", async () => {
    const before = await unitStates(sandbox, units());
    const r = await timed("restart --all", () => mustQuantlab("restart", "--all"));
    const after = await unitStates(sandbox, units());
    const unitOf = new Map(plan.units.map((u) => [u.service as string, u.unit]));

    for (const u of units()) {
      expect([u, after[u]!.ActiveState, after[u]!.ExecMainStartTimestampMonotonic > before[u]!.ActiveEnterTimestampMonotonic]).toEqual([
        u,
        "active",
        true,
      ]);
    }
    // Every unit of a level started after every unit of the levels before it was active again.
    const violations: string[] = [];
    plan.levels.forEach((level, i) => {
      for (const earlier of plan.levels.slice(0, i).flat()) {
        for (const s of level) {
          const mine = after[unitOf.get(s)!]!.ExecMainStartTimestampMonotonic;
          if (!(mine >= after[unitOf.get(earlier)!]!.ActiveEnterTimestampMonotonic))
            violations.push(`${s} started before ${earlier} was active`);
        }
      }
    });
    expect(violations).toEqual([]);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("level "))).toEqual(
      plan.levels.flatMap((l, i) => [
        `level ${i + 1}/${plan.levels.length}: restarting ${l.join(", ")}`,
        `level ${i + 1}/${plan.levels.length}: passed its gate`,
      ]),
    );
    expect(r.stdout.trim().split("\n").pop()).toBe("all 10 services up");
  });
});

describe("quantlab deploy --ref", () => {
  it("checks the commit out as the runtime user and restarts only the service whose code changed", async () => {
    const commit = (
      await sandbox.sh(
        `set -e; cd ${SRC}; echo '// deployed by the ops e2e test' >> services/strategyd/index.js; ${GIT} commit -qam 'strategyd only'; git push -q ${REMOTE} HEAD:refs/heads/release; git rev-parse HEAD`,
      )
    ).trim();
    const before = await unitStates(sandbox, units());
    const r = await timed("deploy --ref (one service changed)", () => mustQuantlab("deploy", "--ref", "release"));
    expect(r.stdout).toContain("deploy: quantlab:code.git.ref main -> release\n");
    const head = (
      await sandbox.sh(
        `cd ${model.runtime.backendRoot} && runuser -u deploy -- git rev-parse HEAD && stat -c %U services/strategyd/index.js`,
      )
    ).trim();
    expect(head).toBe(`${commit}\ndeploy`);

    const after = await unitStates(sandbox, units());
    const restarted = units().filter(
      (u) =>
        after[u]!.MainPID !== before[u]!.MainPID ||
        after[u]!.ExecMainStartTimestampMonotonic !== before[u]!.ExecMainStartTimestampMonotonic,
    );
    expect(restarted).toEqual(["quantlab-strategyd.service"]);
    expect(after["quantlab-strategyd.service"]!.ActiveState).toBe("active");

    const clean = await stack.quantlab("drift");
    expect([clean.code, clean.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
  });

  it("a hand-moved checkout is drift, and up puts the deployed commit back without restarting anything", async () => {
    const deployed = (await sandbox.sh(`cd ${model.runtime.backendRoot} && runuser -u deploy -- git rev-parse HEAD`)).trim();
    const moved = (
      await sandbox.sh(
        `cd ${model.runtime.backendRoot} && runuser -u deploy -- git checkout -q --detach HEAD~1 && runuser -u deploy -- git rev-parse HEAD`,
      )
    ).trim();
    const drift = await stack.quantlab("drift");
    const report = drift.stdout.slice(drift.stdout.lastIndexOf("host differs from the stack:\n")).trim().split("\n");
    expect([drift.code, report.slice(0, 2)]).toEqual([
      2,
      [
        "host differs from the stack:",
        `update  HostCheckout ${model.runtime.backendRoot}  (host has ${moved.slice(0, 12)}, not what release names (or tracked files edited))`,
      ],
    ]);
    // Nothing else: a service follows the code trees the checkout reports once it has run (the deployed commit's again).
    expect(report.slice(2)).toEqual([]);

    const before = await unitStates(sandbox, units());
    await timed("up repairing the checkout", () => mustQuantlab("up"));
    expect((await sandbox.sh(`cd ${model.runtime.backendRoot} && runuser -u deploy -- git rev-parse HEAD`)).trim()).toBe(deployed);
    const after = await unitStates(sandbox, units());
    expect(units().filter((u) => after[u]!.MainPID !== before[u]!.MainPID)).toEqual([]);
  });
});

describe("the runbook's Restart After Deploy, as written, on the checkout", () => {
  it("git pull works for the runtime user in the backend root; the restart line and the health check follow; up then agrees with the host", async () => {
    const commit = (
      await sandbox.sh(
        `set -e; cd ${SRC}; echo '// pulled by hand' >> services/replayd/index.js; ${GIT} commit -qam 'replayd only'; git push -q ${REMOTE} HEAD:refs/heads/release; git rev-parse HEAD`,
      )
    ).trim();
    const root = model.runtime.backendRoot;
    const pull = await sandbox.ssh(`runuser -u deploy -- bash -c 'cd ${root}\ngit pull'`);
    expect([pull.code, pull.stderr]).toEqual([0, expect.not.stringContaining("fatal")]);
    expect((await sandbox.sh(`cd ${root} && runuser -u deploy -- git rev-parse HEAD`)).trim()).toBe(commit);
    expect((await sandbox.ssh("systemctl restart quantlab-replayd quantlab-worker quantlab-console-ui")).code).toBe(0);
    expect(JSON.parse(await sandbox.sh("curl -s http://localhost:3030/health"))).toEqual({ service: "replayd", status: "ok" });

    await mustQuantlab("up");
    expect((await sandbox.sh(`cd ${root} && runuser -u deploy -- git rev-parse HEAD`)).trim()).toBe(commit);
    const clean = await stack.quantlab("drift");
    expect([clean.code, clean.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
  });
});

/** Puts the S3 server's keys file in place (from stdin) and waits until the server answers again. */
const S3_KEYS_SWAP =
  "umask 077; cat > /etc/sandbox-s3.env && systemctl restart sandbox-s3 && for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:9000/ && break; sleep 0.1; done";

/** A service's systemd invocation id: a new one means it was restarted. */
const invocation = async (unit: string): Promise<string> => (await sandbox.sh(`systemctl show -p InvocationID --value ${unit}`)).trim();

describe("the sandbox's S3 server (versitygw on the host): adopted buckets", () => {
  it("the runbook's `aws s3 ls` line, in root's login shell, lists an object put in the compact bucket", async () => {
    const prefix = `s3://${model.s3.compactBucket}/exchange=binance/stream=bbo/symbol=btcusdt/date=20260115/`;
    // A login shell, as an operator's: /etc/profile.d points the AWS CLI at the stack's S3 and keys.
    const login = (command: string) => sandbox.sh("bash -l", command);
    expect(await login(`aws s3 cp --only-show-errors /etc/hostname ${prefix}part-0.parquet && echo copied`)).toBe("copied\n");
    expect(await login(`aws s3 ls ${prefix}`)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ part-0\.parquet\n$/);
    // The object is in the server's own store: the request went to the sandbox's S3, not elsewhere.
    expect(
      await sandbox.sh(`ls /var/lib/sandbox-s3/${model.s3.compactBucket}/exchange=binance/stream=bbo/symbol=btcusdt/date=20260115/`),
    ).toBe("part-0.parquet\n");
    // Root only: the keys file is root's, and other users' shells are not pointed at it.
    expect(await sandbox.sh("stat -c '%U %a' /etc/quantlab/aws.credentials")).toBe("root 600\n");
  });

  it("a bucket gone: up fails naming it and its key, before any service restarts; back, up converges", async () => {
    const store = "/var/lib/sandbox-s3";
    const before = await invocation("quantlab-strategyd.service");
    await sandbox.sh(`mv ${store}/${model.s3.archiveBucket} ${store}/moved-away`);
    try {
      // A change strategyd would restart for (its env file).
      stack.setBase("env.executionStreamFills", true);
      const r = await timed("up with a bucket gone", () => stack.quantlab("up"));
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(
        `S3 bucket "${model.s3.archiveBucket}" (quantlab:s3.archiveBucket) does not exist at ${model.s3.endpoint}`,
      );
      expect(await invocation("quantlab-strategyd.service")).toBe(before);
      expect(await sandbox.sh("grep '^EXECUTION_STREAM_FILLS=' /etc/quantlab/strategyd.env")).toBe("EXECUTION_STREAM_FILLS='0'\n");
      const drift = await stack.quantlab("drift");
      expect(drift.code).toBe(2);
      expect(drift.stdout).toMatch(/HostBuckets/);
    } finally {
      await sandbox.sh(`mv ${store}/moved-away ${store}/${model.s3.archiveBucket}`);
      stack.setBase("env.executionStreamFills", false);
    }
    await timed("up with the bucket back", () => mustQuantlab("up"));
    expect(await invocation("quantlab-strategyd.service")).toBe(before);
  });

  it("the S3 server takes other keys: doctor names each S3 user whose keys it refuses, and what to do", async () => {
    const env = await sandbox.sh("cat /etc/sandbox-s3.env");
    await sandbox.ssh(
      "umask 077; cat > /etc/sandbox-s3.env && systemctl restart sandbox-s3",
      env.replace(/^ROOT_SECRET_ACCESS_KEY=.*$/m, "ROOT_SECRET_ACCESS_KEY=rotated0rotated0rotated0"),
    );
    try {
      const r = await stack.quantlab("doctor");
      expect(r.code).toBe(1);
      for (const [svc, bucket, key] of [
        ["replayd", model.s3.compactBucket, "compactBucket"],
        ["featurexd", model.s3.compactBucket, "compactBucket"],
        ["strategyd", model.s3.archiveBucket, "archiveBucket"],
      ])
        expect(r.stdout).toContain(
          `  FAIL S3 bucket "${bucket}" (quantlab:s3.${key}) refuses ${svc}'s S3 keys (quantlab:s3.accessKeyId, quantlab:s3.secretAccessKey)\n`,
        );
      expect(r.stdout).not.toContain("rotated0");
    } finally {
      await sandbox.sh(S3_KEYS_SWAP, env);
    }
    const again = await stack.quantlab("doctor", "replayd");
    expect([again.code, again.stdout]).toEqual([
      0,
      expect.stringContaining(`ok   S3 bucket ${model.s3.compactBucket} answers to replayd's keys`),
    ]);
  });
});

describe("quantlab doctor", () => {
  it("on a healthy host: no service fails, env files are listed by key name only, as the host has them", async () => {
    const r = await timed("doctor (all)", () => mustQuantlab("doctor", "--json"));
    const ds = (JSON.parse(r.stdout) as { services: { service: string; verdict: string; findings: { level: string; text: string }[] }[] })
      .services;
    expect(ds.map((d) => [d.service, d.verdict === "fail"])).toEqual(plan.units.map((u) => [u.service, false]));
    const hostKeys = (await sandbox.sh("sed -n 's/^\\([A-Za-z0-9_]*\\)=.*/\\1/p' /etc/quantlab/replayd.env")).trim().split("\n").join(", ");
    const replayd = ds.find((d) => d.service === "replayd")!;
    expect(replayd.findings.map((f) => f.text)).toContain(`env file /etc/quantlab/replayd.env present with 7 keys: ${hostKeys}`);
    expect(hostKeys).toBe(
      "REPLAYD_PORT, REPLAYD_TOKEN, S3_COMPACT_BUCKET, S3_COMPACT_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
    );
    expect(replayd.findings.map((f) => f.text)).toContain(`S3 bucket ${model.s3.compactBucket} answers to replayd's keys`);
    const strategyd = ds.find((d) => d.service === "strategyd")!;
    expect(strategyd.findings.map((f) => f.text)).toContain(`S3 bucket ${model.s3.archiveBucket} answers to strategyd's keys`);
    const collector = ds.find((d) => d.service === "collector")!;
    expect(collector.findings.map((f) => f.text)).toContain(`spool directory ${model.runtime.spoolDir} exists, deploy:deploy 750`);
    expect(collector.findings.map((f) => f.text)).toContain("/metrics queue size 0");
  });

  it("doctor collector with the spool directory removed says so, exits 1, and its advice brings it back", async () => {
    const spool = model.runtime.spoolDir;
    await sandbox.sh(`rm -rf ${spool}`);
    const r = await stack.quantlab("doctor", "collector");
    expect(r.code).toBe(1);
    const next = "systemd-tmpfiles --create /etc/tmpfiles.d/quantlab.conf on the host, then npx quantlab restart collector";
    expect(r.stdout).toContain(`  FAIL spool directory ${spool} does not exist\n       next: ${next}\n`);
    expect(r.stdout.trim().split("\n").slice(-2)).toEqual([
      expect.stringMatching(/^service\s+verdict\s+next$/),
      `collector  FAIL     ${next}`,
    ]);

    await sandbox.sh("systemd-tmpfiles --create /etc/tmpfiles.d/quantlab.conf");
    await mustQuantlab("restart", "collector");
    const again = await mustQuantlab("doctor", "collector");
    expect(again.stdout).toContain(`  ok   spool directory ${spool} exists, deploy:deploy 750\n`);
    expect(again.stdout).toMatch(/ok {3}newest spool file collector-alive\.json, written \d+s ago/);
  });
});

describe("quantlab run, logs, runs", () => {
  it("run ml -- ARGS runs the ML script now as the runtime user in core, appending to the cron job's log", async () => {
    const uid = (await sandbox.sh("id -u deploy")).trim();
    const r = await timed("run ml", () => mustQuantlab("run", "ml", "--", "--symbol", "btcusdt", "--date", "20260115", "--dry-run"));
    const lastLine = (await sandbox.sh("tail -n 1 /var/log/quantlab-ml.log")).trim();
    expect(lastLine).toMatch(
      new RegExp(
        `^quantlab-standin cron script=run_daily_ml\\.js ran at_ms=\\d+ uid=${uid} args=--symbol,btcusdt,--date,20260115,--dry-run$`,
      ),
    );
    expect(r.stdout).toBe(`${lastLine}\nml: run_daily_ml.js exited 0 (log: /var/log/quantlab-ml.log)\n`);

    const size = await sandbox.sh("stat -c %s /var/log/quantlab-ml.log");
    const hostile = await stack.quantlab("run", "ml", "--", "$(touch /tmp/pwned)");
    expect(hostile.code).toBe(64);
    expect(hostile.stderr).toContain('run: argument "$(touch /tmp/pwned)" is not a plain word');
    expect(await sandbox.sh("stat -c %s /var/log/quantlab-ml.log; ls /tmp/pwned 2>/dev/null || true")).toBe(size);
  });

  it("logs: a unit's journal and a cron job's log file as the host has them", async () => {
    const journal = await sandbox.sh("journalctl --no-pager -o short-iso -n 5 -u quantlab-strategyd.service");
    const r = await mustQuantlab("logs", "strategyd", "-n", "5");
    expect(r.stdout).toBe(journal);
    const ml = await mustQuantlab("logs", "ml", "-n", "2");
    expect(ml.stdout).toBe(await sandbox.sh("tail -n 2 /var/log/quantlab-ml.log"));
    const json = await mustQuantlab("logs", "observer-api", "-n", "3", "--json");
    const entries = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { source: string; message: string });
    expect(entries.map((e) => e.source)).toEqual(["quantlab-observer.service", "quantlab-observer.service", "quantlab-observer.service"]);
    expect(entries.map((e) => e.message)).toEqual(
      (await sandbox.sh("journalctl --no-pager -o cat -n 3 -u quantlab-observer.service")).trim().split("\n"),
    );
  });

  it("logs -f follows until Ctrl-C and leaves nothing running on the host", async () => {
    const follow = spawnQuantlab("logs", "strategyd", "-f", "-n", "1");
    const remote = "journalctl --no-pager -o short-iso -n 1 -f -u quantlab-strategyd.service";
    await until("the remote journalctl -f", async () => (await sandbox.sh(`pgrep -f -x -- '${remote}' || true`)).trim() !== "");
    await sandbox.sh("systemctl restart quantlab-strategyd.service");
    await until("the new start record in the followed output", () =>
      /quantlab-standin started service=strategyd at_ms=\d+ pid=(\d+)/.test(follow.output().split("Starting quantlab-strategyd")[1] ?? ""),
    );
    const pid = (await sandbox.sh("systemctl show -p MainPID --value quantlab-strategyd.service")).trim();
    follow.child.kill("SIGINT");
    expect(await follow.exited).toBe(0);
    expect(follow.output()).toContain(`npm[${pid}]: > node index.js`);
    // "[j]" keeps pgrep from matching the shell that runs it.
    expect(await sandbox.sh(`pgrep -f -- '[j]ournalctl.*-f' || true`)).toBe("");
  });

  it("runs: the observer API's runs, as the runs directory holds them", async () => {
    const runs = model.runsDir;
    await sandbox.sh(
      `runuser -u deploy -- sh -c 'echo "{\\"status\\":\\"running\\",\\"strategy\\":\\"momentum\\"}" > ${runs}/run-0001.json && echo "{\\"status\\":\\"done\\"}" > ${runs}/run-0002.json'`,
    );
    const r = await timed("runs", () => mustQuantlab("runs", "--json"));
    const listed = (JSON.parse(r.stdout) as { runs: { id: string; status: string; strategy?: string }[] }).runs;
    const files = (await sandbox.sh(`cd ${runs} && ls *.json`))
      .trim()
      .split("\n")
      .map((f) => f.replace(/\.json$/, ""));
    expect(listed.map((x) => x.id)).toEqual(files);
    expect(listed.map((x) => [x.id, x.status, x.strategy])).toEqual([
      ["run-0001", "running", "momentum"],
      ["run-0002", "done", undefined],
    ]);
    const table = await mustQuantlab("runs");
    expect(
      table.stdout
        .split("\n")
        .slice(0, 3)
        .map((l) => l.split(/\s{2,}/).slice(0, 3)),
    ).toEqual([
      ["run", "status", "strategy"],
      ["run-0001", "running", "momentum"],
      ["run-0002", "done", "-"],
    ]);
  });

  it("no command printed a secret", () => {
    const key = fs.readFileSync(path.join(stack.dir, "id_ed25519"), "utf8");
    const secrets = [...Object.values(tokens), ...key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))];
    expect(secrets.length).toBeGreaterThan(6);
    expect(secrets.filter((s) => stack.transcript.join("\n").includes(s))).toEqual([]);
  });
});
