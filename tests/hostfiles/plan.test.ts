/**
 * planHost: the one list of host objects, for the distinct stack. Every
 * file's metadata, every unit, the startup levels, exactly.
 */
import { describe, expect, it } from "vitest";
import { planHost } from "../../hostfiles/plan";
import { parseStackConfig } from "../../config/parse";
import { distinctConfig, fileAt, planOf, TEST_TOKENS } from "../fixtures/stack";

const plan = planOf(distinctConfig());
const ROOT_0644 = "0644 root:root";

describe("planHost", () => {
  it("plans every file in order, with mode, owner, secrecy, reload action, parent creation and verification", () => {
    expect(
      plan.files.map(
        (f) =>
          `${f.kind} ${f.path} ${f.mode} ${f.owner}:${f.group} secret=${f.secret} ${f.onChange}${f.createParent ? " +parent" : ""}${f.verify === "none" ? "" : ` verify=${f.verify}`}`,
      ),
    ).toEqual([
      `sysusers /etc/sysusers.d/quantlab.conf ${ROOT_0644} secret=false sysusers +parent`,
      `tmpfiles /etc/tmpfiles.d/quantlab.conf ${ROOT_0644} secret=false tmpfiles +parent`,
      "dotenv /srv/qlhome/backend/core/.env 0640 qlrun:qlgrp secret=true none",
      ...[
        ["quantlab-replayd.service", "replayd.env"],
        ["quantlab-collector.service", "collector.env"],
        ["quantlab-featurexd.service", "featurexd.env"],
        ["quantlab-labeld.service", "labeld.env"],
        ["quantlab-strategyd.service", "strategyd.env"],
        ["quantlab-backtestd.service", "backtestd.env"],
        ["quantlab-worker.service", "worker.env"],
        ["quantlab-observer-core.service", "observer.env"],
        ["quantlab-observer.service", "observer-api.env"],
        ["quantlab-console-ui.service", "console.env"],
      ].flatMap(([unit, env]) => [
        `unit /etc/systemd/system/${unit} ${ROOT_0644} secret=false daemon-reload verify=systemd-unit`,
        `env /etc/quantlab/${env} 0600 root:root secret=true none`,
      ]),
      `cron /etc/cron.d/quantlab-ml ${ROOT_0644} secret=false none`,
      `logrotate /etc/logrotate.d/quantlab ${ROOT_0644} secret=false none`,
      `awscli /etc/quantlab/aws.conf ${ROOT_0644} secret=false none`,
      `awscli /etc/quantlab/aws-plugins/quantlab_s3_endpoint.py ${ROOT_0644} secret=false python-module +parent`,
      `awscli /etc/profile.d/quantlab-aws.sh ${ROOT_0644} secret=false none`,
    ]);
  });

  it("with the S3 keys: root's AWS CLI gets them in a root-only secret file, named in root's login shells", () => {
    const keys = { accessKeyId: "AKFIXTURE0001", secretAccessKey: "fixture-secret-key-0001" };
    const withKeys = planHost(parseStackConfig(distinctConfig()).model, TEST_TOKENS, keys);
    const credentials = fileAt(withKeys, "/etc/quantlab/aws.credentials");
    expect([credentials.mode, credentials.owner, credentials.secret]).toEqual(["0600", "root", true]);
    expect(credentials.content).toBe(
      "# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.\n[default]\naws_access_key_id = AKFIXTURE0001\naws_secret_access_key = fixture-secret-key-0001\n",
    );
    expect(fileAt(withKeys, "/etc/profile.d/quantlab-aws.sh").content).toBe(
      [
        "# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.",
        "# Root's AWS CLI talks to the stack's S3 (the runbook's `aws s3 ls`).",
        'if [ "$(id -u)" = 0 ]; then',
        '  export AWS_CONFIG_FILE="${AWS_CONFIG_FILE:-/etc/quantlab/aws.conf}"',
        '  export AWS_SHARED_CREDENTIALS_FILE="${AWS_SHARED_CREDENTIALS_FILE:-/etc/quantlab/aws.credentials}"',
        "fi",
        "",
      ].join("\n"),
    );
    expect(fileAt(withKeys, "/etc/quantlab/aws.conf").content).toBe(
      [
        "# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.",
        "# Root's AWS CLI (AWS_CONFIG_FILE, from /etc/profile.d/quantlab-aws.sh): the stack's S3 region and endpoint.",
        "[plugins]",
        "cli_legacy_plugin_path = /etc/quantlab/aws-plugins",
        "quantlab_s3_endpoint = quantlab_s3_endpoint",
        "",
        "[default]",
        "region = us-east-1",
        "s3_endpoint_url = https://minio.fixture.test:9000",
        "",
      ].join("\n"),
    );
    expect(withKeys.files.filter((f) => f.content.includes(keys.secretAccessKey) && !f.secret)).toEqual([]);
  });

  it("marks secret every file that holds a token, and every env file (root-only whatever it holds)", () => {
    const tokens = Object.values(TEST_TOKENS);
    const holdsToken = plan.files.filter((f) => tokens.some((t) => f.content.includes(t))).map((f) => f.path);
    expect(holdsToken).toEqual([
      "/srv/qlhome/backend/core/.env",
      "/etc/quantlab/replayd.env",
      "/etc/quantlab/featurexd.env",
      "/etc/quantlab/labeld.env",
      "/etc/quantlab/strategyd.env",
      "/etc/quantlab/backtestd.env",
      "/etc/quantlab/observer.env",
      "/etc/quantlab/observer-api.env",
      "/etc/quantlab/console.env",
    ]);
    const secret = plan.files.filter((f) => f.secret).map((f) => f.path);
    expect(secret.filter((p) => !holdsToken.includes(p))).toEqual(["/etc/quantlab/collector.env", "/etc/quantlab/worker.env"]);
    expect(holdsToken.filter((p) => !secret.includes(p))).toEqual([]);
  });

  it("plans the units in startup order, with what they read, their health URL on the host and their gate's deadline", () => {
    const unit = (u: string) => `/etc/systemd/system/${u}`;
    const env = (e: string) => `/etc/quantlab/${e}`;
    const dotenv = "/srv/qlhome/backend/core/.env";
    expect(plan.units).toEqual([
      {
        service: "replayd",
        unit: "quantlab-replayd.service",
        after: [],
        reads: [unit("quantlab-replayd.service"), env("replayd.env")],
        port: 4030,
        health: { url: "http://127.0.0.1:4030/health" },
        healthTimeoutSeconds: 30,
        codeDirs: ["services/replayd"],
      },
      {
        service: "collector",
        unit: "quantlab-collector.service",
        after: [],
        reads: [unit("quantlab-collector.service"), env("collector.env")],
        port: 9100,
        health: { url: "http://127.0.0.1:9100/health" },
        healthTimeoutSeconds: 30,
        codeDirs: ["collector"],
      },
      {
        service: "featurexd",
        unit: "quantlab-featurexd.service",
        after: ["replayd"],
        reads: [unit("quantlab-featurexd.service"), env("featurexd.env")],
        port: 3051,
        health: { url: "http://127.0.0.1:3051/health", token: "featurexd" },
        healthTimeoutSeconds: 30,
        codeDirs: ["services/featurexd"],
      },
      {
        service: "strategyd",
        unit: "quantlab-strategyd.service",
        after: ["replayd"],
        reads: [unit("quantlab-strategyd.service"), env("strategyd.env")],
        port: 4031,
        health: { url: "http://127.0.0.1:4031/health", token: "strategyd" },
        healthTimeoutSeconds: 45,
        codeDirs: ["apps/strategy"],
      },
      {
        service: "labeld",
        unit: "quantlab-labeld.service",
        after: ["featurexd"],
        reads: [unit("quantlab-labeld.service"), env("labeld.env")],
        port: 3061,
        health: { url: "http://127.0.0.1:3061/health", token: "labeld" },
        healthTimeoutSeconds: 30,
        codeDirs: ["services/labeld"],
      },
      {
        service: "backtestd",
        unit: "quantlab-backtestd.service",
        after: ["replayd", "strategyd"],
        reads: [unit("quantlab-backtestd.service"), env("backtestd.env")],
        port: 3041,
        health: { url: "http://127.0.0.1:3041/health", token: "backtestd" },
        healthTimeoutSeconds: 30,
        codeDirs: ["services/backtestd"],
      },
      {
        service: "job-worker",
        unit: "quantlab-worker.service",
        after: ["strategyd"],
        reads: [unit("quantlab-worker.service"), env("worker.env"), dotenv],
        healthTimeoutSeconds: 30,
        codeDirs: ["core"],
      },
      {
        service: "observer",
        unit: "quantlab-observer-core.service",
        after: ["strategyd", "backtestd", "job-worker"],
        reads: [unit("quantlab-observer-core.service"), env("observer.env"), dotenv],
        healthTimeoutSeconds: 30,
        codeDirs: ["core"],
      },
      {
        service: "observer-api",
        unit: "quantlab-observer.service",
        after: ["backtestd", "job-worker"],
        reads: [unit("quantlab-observer.service"), env("observer-api.env"), dotenv],
        port: 3000,
        health: { url: "http://127.0.0.1:3000/ping" },
        healthTimeoutSeconds: 30,
        codeDirs: ["core/observer-api"],
      },
      {
        service: "console-ui",
        unit: "quantlab-console-ui.service",
        after: ["featurexd", "labeld", "strategyd", "backtestd"],
        reads: [unit("quantlab-console-ui.service"), env("console.env")],
        healthTimeoutSeconds: 30,
        codeDirs: ["console-ui"],
      },
    ]);
    expect(plan.levels).toEqual([
      ["replayd", "collector"],
      ["featurexd", "strategyd"],
      ["labeld", "backtestd", "job-worker"],
      ["observer", "observer-api", "console-ui"],
    ]);
    // Every path a unit reads is a planned file.
    const planned = new Set(plan.files.map((f) => f.path));
    expect(plan.units.flatMap((u) => u.reads).filter((p) => !planned.has(p))).toEqual([]);
  });

  it("renders a unit from the model: overridden port and directory, startup edges, the paths it writes", () => {
    const text = fileAt(plan, "/etc/systemd/system/quantlab-strategyd.service").content;
    expect(text.split("\n# hardening: quantlab-baseline")[0])
      .toBe(`# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
[Unit]
Description=QuantLab strategy service
After=network-online.target quantlab-replayd.service
Wants=network-online.target quantlab-replayd.service

[Service]
Type=exec
User=qlrun
Group=qlgrp
WorkingDirectory=/srv/qlhome/backend/apps/strategy
EnvironmentFile=/etc/quantlab/strategyd.env
# npm writes its cache and logs under the private /tmp (the home directory is read-only)
Environment=npm_config_cache=/tmp/npm-cache npm_config_update_notifier=false
ExecStart=/usr/bin/npm start
# active only once listening: units after this one start against a ready port
ExecStartPost=/bin/bash -c 'for attempt in {1..600}; do (exec 3<>/dev/tcp/127.0.0.1/4031) 2>/dev/null && exit 0; sleep 0.1; done; echo "quantlab-strategyd.service: port 4031 not accepting connections after 60 s" >&2; exit 1'
Restart=on-failure
RestartSec=2s
TimeoutStartSec=90s`);
    expect(text.split("UMask=0027\n")[1]).toBe(`# relaxed: the only paths this service writes
ReadWritePaths=/srv/qlhome/backend/services/strategyd/runs
# relaxed: MemoryDenyWriteExecute not set: V8's JIT needs writable+executable memory

[Install]
WantedBy=multi-user.target
`);
  });

  it("refuses to plan without a token an env file needs, naming it", () => {
    const { model } = parseStackConfig(distinctConfig());
    expect(() => planHost(model, { ...TEST_TOKENS, labeld: undefined })).toThrow("token labeld was not provided");
  });
});
