/**
 * The runbook, typed as written (as root, `sudo` dropped) on a sandbox host
 * the package converged: every command works and has its effect. Also: the
 * host tools those commands need are part of the stack (a removed one is
 * drift; `up` installs it from the host's package source, or fails naming
 * the exact command when there is none).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { must, run } from "../../cli/run";
import type { Sandbox } from "../../cli/sandbox";
import { removeSandbox, SandboxStack, unitStates } from "./host";

const stack = new SandboxStack(`runbook-${process.pid}`);
let sandbox: Sandbox;
const backend = "/home/deploy/quantlab-backend";

/** Single-quoted for the remote shell, so it reaches bash as typed. */
const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** A runbook line as typed on the host (bash, as root). */
const host = (line: string) => sandbox.ssh(`bash -c ${quote(line)}`);

beforeAll(async () => {
  const up = await stack.quantlab("up");
  expect(up.code, up.stdout + up.stderr).toBe(0);
  sandbox = stack.sandbox();
});

afterAll(async () => {
  await removeSandbox(stack.dir);
});

describe("the runbook's host tools are part of the stack", () => {
  it("a removed tool is drift; with no package source up fails naming the exact command and touches nothing else", async () => {
    await sandbox.sh("dpkg -r lsof >/dev/null && ! command -v lsof");
    const drift = await stack.quantlab("drift");
    expect([drift.code, drift.stdout.trim().split("\n").slice(-2)]).toEqual([
      2,
      ["host differs from the stack:", "update  HostTools    host tools  (missing lsof)"],
    ]);

    const before = await sandbox.sh("find /etc/quantlab /etc/systemd/system /etc/cron.d -xdev -printf '%p %T@\\n' | sort | sha256sum");
    const up = await stack.quantlab("up");
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      "cannot install the host tools: lsof (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y lsof",
    );
    expect(await sandbox.sh("find /etc/quantlab /etc/systemd/system /etc/cron.d -xdev -printf '%p %T@\\n' | sort | sha256sum")).toBe(
      before,
    );
  });

  it("with a package source on the host, up installs it and the host matches again", async () => {
    // A flat apt repository inside the host holding Debian's own lsof package (downloaded here, on the outer machine).
    const debs = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-debs-"));
    try {
      const got = await run("apt-get", ["download", "lsof"], { cwd: debs });
      if (got.code !== 0) await must("bash", ["-c", "apt-get update -q >/dev/null && apt-get download lsof"], { cwd: debs });
      const deb = fs.readdirSync(debs).find((f) => f.endsWith(".deb"))!;
      const index = await must(
        "bash",
        [
          "-c",
          `dpkg-deb -f ${deb} && echo "Filename: ./${deb}" && echo "Size: $(stat -c %s ${deb})" && echo "SHA256: $(sha256sum ${deb} | cut -c1-64)"`,
        ],
        { cwd: debs },
      );
      const repo = path.join(stack.dir, "rootfs", "srv", "debs");
      fs.mkdirSync(repo, { recursive: true });
      fs.copyFileSync(path.join(debs, deb), path.join(repo, deb));
      fs.writeFileSync(path.join(repo, "Packages"), `${index.trim()}\n\n`);
    } finally {
      fs.rmSync(debs, { recursive: true, force: true });
    }
    await sandbox.sh(
      "mkdir -p /root/apt-sources && mv /etc/apt/sources.list /root/apt-sources/ && echo 'deb [trusted=yes] file:/srv/debs ./' > /etc/apt/sources.list.d/local.list",
    );
    const up = await stack.quantlab("up");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect((await sandbox.sh("command -v lsof")).trim()).toBe("/usr/bin/lsof");
    const drift = await stack.quantlab("drift");
    expect([drift.code, drift.stdout.trim().split("\n").pop()]).toEqual([0, "host matches the stack"]);
  });
});

describe("the runbook's commands, as written, on a converged host", () => {
  it("Restart Commands and Systemd Commands: status, restart one, restart all", async () => {
    const status = await host("systemctl status quantlab-replayd");
    expect([status.code, status.stdout]).toEqual([0, expect.stringMatching(/Active: active \(running\)/)]);
    const units = ["quantlab-replayd.service", "quantlab-worker.service", "quantlab-console-ui.service", "quantlab-observer.service"];
    const before = await unitStates(sandbox, units);
    for (const line of [
      "systemctl restart quantlab-replayd",
      "systemctl restart quantlab-replayd quantlab-worker quantlab-console-ui quantlab-observer",
    ]) {
      expect([line, (await host(line)).code]).toEqual([line, 0]);
    }
    const after = await unitStates(sandbox, units);
    for (const u of units) {
      expect([u, after[u]!.ActiveState]).toEqual([u, "active"]);
      expect(after[u]!.ActiveEnterTimestampMonotonic).toBeGreaterThan(before[u]!.ActiveEnterTimestampMonotonic);
    }
  });

  it("Log Inspection: the journalctl forms and the ML log", async () => {
    for (const line of ["journalctl -u quantlab-replayd -n 100", "journalctl -u quantlab-replayd --since today"]) {
      const r = await host(line);
      expect([line, r.code, r.stdout]).toEqual([line, 0, expect.stringContaining("quantlab-standin started service=replayd")]);
    }
    // -f follows until interrupted: give it two seconds.
    const follow = await host("timeout 2 journalctl -u quantlab-replayd -f");
    expect([follow.code, follow.stdout]).toEqual([124, expect.stringContaining("quantlab-standin started service=replayd")]);
    const all = await host('timeout 2 journalctl -u "quantlab-*" -f -n 200');
    for (const s of ["replayd", "collector", "featurexd", "strategyd", "observer-api"])
      expect(all.stdout).toContain(`quantlab-standin started service=${s}`);
    await sandbox.sh(`runuser -u deploy -- sh -c 'cd ${backend}/core && node scheduler/run_daily_ml.js >> /var/log/quantlab-ml.log 2>&1'`);
    const tail = await host("timeout 2 tail -f /var/log/quantlab-ml.log");
    expect([tail.code, tail.stdout]).toEqual([
      124,
      expect.stringMatching(/quantlab-standin cron script=run_daily_ml\.js ran at_ms=\d+ uid=[1-9]/),
    ]);
  });

  it("Environment Variable Locations: the env files and the dotenv file", async () => {
    for (const [file, keys] of [
      ["/etc/quantlab/replayd.env", ["REPLAYD_PORT", "REPLAYD_TOKEN", "S3_COMPACT_BUCKET", "S3_COMPACT_ENDPOINT"]],
      ["/etc/quantlab/worker.env", ["EXECUTION_STREAMING_MAXDD", "EXECUTION_STREAM_FILLS", "EXECUTION_FILLS_STREAM_PATH"]],
      ["/etc/quantlab/console.env", []],
      [`${backend}/core/.env`, ["S3_COMPACT_BUCKET", "OBSERVER_MODE", "OBSERVER_TOKEN"]],
    ] as const) {
      const r = await host(`cat ${file}`);
      expect([file, r.code]).toEqual([file, 0]);
      expect(r.stdout.split("\n")[0]).toMatch(/^# Managed by quantlab-infra/);
      for (const k of keys) expect(r.stdout).toMatch(new RegExp(`^${k}='[^']*'$`, "m"));
    }
  });

  it("Health Check Commands: every curl, with the bearer tokens from the env files", async () => {
    const lines: [string, string][] = [
      ["curl -s http://localhost:3030/health", "replayd"],
      ['. /etc/quantlab/strategyd.env; curl -H "Authorization: Bearer $STRATEGYD_TOKEN" http://localhost:3031/health', "strategyd"],
      ['. /etc/quantlab/backtestd.env; curl -H "Authorization: Bearer $BACKTESTD_TOKEN" http://localhost:3041/health', "backtestd"],
      ['. /etc/quantlab/featurexd.env; curl -H "Authorization: Bearer $FEATUREXD_TOKEN" http://localhost:3051/health', "featurexd"],
      ['. /etc/quantlab/labeld.env; curl -H "Authorization: Bearer $LABELD_TOKEN" http://localhost:3061/health', "labeld"],
      ["curl -s http://localhost:9100/health", "collector"],
      ["curl -s http://localhost:3000/ping", "observer-api"],
    ];
    for (const [line, service] of lines) {
      const r = await host(line);
      expect([line, r.code, JSON.parse(r.stdout)]).toEqual([line, 0, { service, status: "ok" }]);
    }
    // Without the token the protected ones refuse: the check above is not vacuous.
    expect((await host("curl -s -o /dev/null -w '%{http_code}' http://localhost:3031/health")).stdout).toBe("401");
  });

  it("Quick Health Check Script, verbatim", async () => {
    const script = [
      "#!/bin/bash",
      'echo "=== QuantLab Health Check ==="',
      "",
      "# Check systemd services",
      "for svc in quantlab-replayd quantlab-worker quantlab-console-ui; do",
      '    status=$(systemctl is-active $svc 2>/dev/null || echo "not-found")',
      '    echo "$svc: $status"',
      "done",
      "",
      "# Check HTTP endpoints",
      'curl -s http://localhost:3030/health | jq -r \'.status // "FAIL"\' | xargs echo "replayd:"',
      'curl -s http://localhost:9100/health | jq -r \'.status // "FAIL"\' | xargs echo "collector:"',
      "",
    ].join("\n");
    const r = await sandbox.ssh("cat > /root/health-check.sh && chmod +x /root/health-check.sh && /root/health-check.sh", script);
    expect([r.code, r.stdout]).toEqual([
      0,
      [
        "=== QuantLab Health Check ===",
        "quantlab-replayd: active",
        "quantlab-worker: active",
        "quantlab-console-ui: active",
        "replayd: ok",
        "collector: ok",
        "",
      ].join("\n"),
    ]);
  });

  it("Troubleshooting and Common Operations: lsof, the spool and runs listings, the forced ML run as the runtime user", async () => {
    const lsof = await host("lsof -i :3030");
    expect([lsof.code, lsof.stdout]).toEqual([0, expect.stringMatching(/^node .* deploy .*TCP \*:3030 \(LISTEN\)$/m)]);

    const spool = await host("ls -la /opt/quantlab/spool/");
    expect([spool.code, spool.stdout]).toEqual([
      0,
      expect.stringMatching(/^drwxr-x--- +\d+ deploy deploy .* \.\n[\s\S]*collector-alive\.json$/m),
    ]);
    await sandbox.sh(`runuser -u deploy -- sh -c 'echo {} > ${backend}/services/strategyd/runs/run-0001.json'`);
    const runs = await host(`ls -la ${backend}/services/strategyd/runs/*.json | head -20`);
    expect([runs.code, runs.stdout]).toEqual([
      0,
      expect.stringMatching(/^-[rw-]{9} 1 deploy deploy .*\/services\/strategyd\/runs\/run-0001\.json$/m),
    ]);

    const ml = await sandbox.ssh(
      `runuser -u deploy -- bash -c ${quote(`cd ${backend}/core\nnode scheduler/run_daily_ml.js --symbol btcusdt --date 20260115 --dry-run`)}`,
    );
    expect([ml.code, ml.stdout]).toEqual([
      0,
      expect.stringMatching(
        /^quantlab-standin cron script=run_daily_ml\.js ran at_ms=\d+ uid=[1-9]\d* args=--symbol,btcusdt,--date,20260115,--dry-run\n$/,
      ),
    ]);
  });

  it("every path the runbook names exists with the right owner", async () => {
    const stat = await sandbox.sh(
      `stat -c '%n %U %G %a' /etc/quantlab/replayd.env /etc/quantlab/worker.env /etc/quantlab/console.env ${backend}/core/.env /opt/quantlab/spool ${backend}/services/strategyd/runs /var/log/quantlab-ml.log ${backend}/core/observer-api`,
    );
    expect(stat.trim().split("\n")).toEqual([
      "/etc/quantlab/replayd.env root root 600",
      "/etc/quantlab/worker.env root root 600",
      "/etc/quantlab/console.env root root 600",
      `${backend}/core/.env deploy deploy 640`,
      "/opt/quantlab/spool deploy deploy 750",
      `${backend}/services/strategyd/runs deploy deploy 750`,
      "/var/log/quantlab-ml.log deploy deploy 640",
      `${backend}/core/observer-api deploy deploy 755`,
    ]);
  });
});
