/**
 * Which variables each env file carries, read off the host plan (the list
 * the components ship): least privilege, a callee's URL and token only where
 * the catalog says the service calls it.
 */
import { describe, expect, it } from "vitest";
import { distinctConfig, fileAt, planOf, TEST_TOKENS } from "../fixtures/stack";
import { planHost, type HostPlan } from "../../hostfiles/plan";
import { parseStackConfig } from "../../config/parse";
import { resolveModel } from "../../model/model";

const T = TEST_TOKENS;
const HEADER = "# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.\n";
const envFile = (unit: string, lines: readonly string[]) =>
  `${HEADER}# Read by systemd for ${unit} (EnvironmentFile=).\n${lines.map((l) => `${l}\n`).join("")}`;
const EXEC = ["EXECUTION_STREAMING_MAXDD='1'", "EXECUTION_STREAM_FILLS='0'", "EXECUTION_FILLS_STREAM_PATH='/var/tmp/fx_{ts}.jsonl'"];
const RUNS = "STRATEGYD_RUNS_DIR='/srv/qlhome/backend/services/strategyd/runs'";
// The S3 users sign for the adopted endpoint's region (its default here).
const REGION = "AWS_REGION='us-east-1'";

/** Every env file of the distinct stack, whole. */
const EXPECTED: Record<string, string> = {
  "/etc/quantlab/replayd.env": envFile("quantlab-replayd.service", [
    "REPLAYD_PORT='4030'",
    `REPLAYD_TOKEN='${T.replayd}'`,
    "S3_COMPACT_BUCKET='fx-compact'",
    "S3_COMPACT_ENDPOINT='https://minio.fixture.test:9000'",
    REGION,
  ]),
  "/etc/quantlab/collector.env": envFile("quantlab-collector.service", ["COLLECTOR_PORT='9100'", "COLLECTOR_SPOOL_DIR='/data/ql/spool'"]),
  "/etc/quantlab/featurexd.env": envFile("quantlab-featurexd.service", [
    "FEATUREXD_PORT='3051'",
    `FEATUREXD_TOKEN='${T.featurexd}'`,
    "REPLAYD_URL='http://127.0.0.1:4030'",
    `REPLAYD_TOKEN='${T.replayd}'`,
    "S3_COMPACT_BUCKET='fx-compact'",
    "S3_COMPACT_ENDPOINT='https://minio.fixture.test:9000'",
    REGION,
  ]),
  "/etc/quantlab/labeld.env": envFile("quantlab-labeld.service", [
    "LABELD_PORT='3061'",
    `LABELD_TOKEN='${T.labeld}'`,
    "FEATUREXD_URL='http://127.0.0.1:3051'",
    `FEATUREXD_TOKEN='${T.featurexd}'`,
  ]),
  "/etc/quantlab/strategyd.env": envFile("quantlab-strategyd.service", [
    "STRATEGYD_PORT='4031'",
    `STRATEGYD_TOKEN='${T.strategyd}'`,
    "REPLAYD_URL='http://127.0.0.1:4030'",
    `REPLAYD_TOKEN='${T.replayd}'`,
    "S3_COMPACT_ENDPOINT='https://minio.fixture.test:9000'",
    "RUN_ARCHIVE_S3_BUCKET='fx-archive'",
    "RUN_ARCHIVE_ENABLED='0'",
    ...EXEC,
    REGION,
  ]),
  "/etc/quantlab/backtestd.env": envFile("quantlab-backtestd.service", [
    "BACKTESTD_PORT='3041'",
    `BACKTESTD_TOKEN='${T.backtestd}'`,
    "REPLAYD_URL='http://127.0.0.1:4030'",
    `REPLAYD_TOKEN='${T.replayd}'`,
    "STRATEGYD_URL='http://127.0.0.1:4031'",
    `STRATEGYD_TOKEN='${T.strategyd}'`,
    ...EXEC,
  ]),
  // Spawns strategyd scripts as processes: the ExecutionEngine flags, no strategyd API access.
  "/etc/quantlab/worker.env": envFile("quantlab-worker.service", EXEC),
  // Reads the runs directory: its own token, no API of the services whose runs it reads.
  "/etc/quantlab/observer.env": envFile("quantlab-observer-core.service", [`OBSERVER_TOKEN='${T.observer}'`, RUNS]),
  "/etc/quantlab/observer-api.env": envFile("quantlab-observer.service", [
    "OBSERVER_API_PORT='3000'",
    `OBSERVER_TOKEN='${T.observer}'`,
    RUNS,
  ]),
  "/etc/quantlab/console.env": envFile("quantlab-console-ui.service", [
    "FEATUREXD_URL='http://127.0.0.1:3051'",
    `FEATUREXD_TOKEN='${T.featurexd}'`,
    "LABELD_URL='http://127.0.0.1:3061'",
    `LABELD_TOKEN='${T.labeld}'`,
    "STRATEGYD_URL='http://127.0.0.1:4031'",
    `STRATEGYD_TOKEN='${T.strategyd}'`,
    "BACKTESTD_URL='http://127.0.0.1:3041'",
    `BACKTESTD_TOKEN='${T.backtestd}'`,
  ]),
};

const DOTENV = `${HEADER}# dotenv file read by: job-worker, observer, observer-api.
S3_COMPACT_BUCKET='fx-compact'
S3_COMPACT_ENDPOINT='https://minio.fixture.test:9000'
RUN_ARCHIVE_S3_BUCKET='fx-archive'
RUN_ARCHIVE_ENABLED='0'
OBSERVER_MODE='0'
OBSERVER_TOKEN='${T.observer}'
`;

/** path -> content of every file that holds variables (env files and the dotenv). */
const variableFiles = (plan: HostPlan): Record<string, string> =>
  Object.fromEntries(plan.files.filter((f) => f.kind === "env" || f.kind === "dotenv").map((f) => [f.path, f.content]));

const withServices = (services: unknown): Record<string, string> => ({
  ...distinctConfig(),
  "quantlab:services": JSON.stringify(services),
});

describe("which variables each env file carries", () => {
  const plan = planOf(distinctConfig());

  it("every env file, whole: own port and token, callees' URLs and tokens, the shared variables it uses", () => {
    expect(Object.fromEntries(plan.files.filter((f) => f.kind === "env").map((f) => [f.path, f.content]))).toEqual(EXPECTED);
  });

  it("core/.env: the S3 settings, observer mode and token, naming its readers", () => {
    expect(fileAt(plan, "/srv/qlhome/backend/core/.env").content).toBe(DOTENV);
  });

  it("of the env files, the S3 keys reach only the S3 users' (replayd, featurexd, strategyd), never core/.env", () => {
    const keys = { accessKeyId: "AKFIXTURE0001", secretAccessKey: "fixture-secret-key-0001" };
    const withKeys = planHost(parseStackConfig(distinctConfig()).model, TEST_TOKENS, keys);
    const holders = withKeys.files
      .filter((f) => f.kind !== "awscli" && f.content.includes(keys.secretAccessKey))
      .map((f) => [f.path, f.mode, f.owner]);
    expect(holders).toEqual([
      ["/etc/quantlab/replayd.env", "0600", "root"],
      ["/etc/quantlab/featurexd.env", "0600", "root"],
      ["/etc/quantlab/strategyd.env", "0600", "root"],
    ]);
    expect(fileAt(withKeys, "/etc/quantlab/strategyd.env").content).toBe(
      EXPECTED["/etc/quantlab/strategyd.env"] +
        `AWS_ACCESS_KEY_ID='${keys.accessKeyId}'\nAWS_SECRET_ACCESS_KEY='${keys.secretAccessKey}'\n`,
    );
  });

  it("a startup edge grants nothing: `after` overrides add no variable to any env file", () => {
    const base = withServices({ replayd: { port: 4030 }, strategyd: { port: 4031, workingDir: "apps/strategy" } });
    const ordered = withServices({
      replayd: { port: 4030 },
      strategyd: { port: 4031, workingDir: "apps/strategy" },
      "observer-api": { after: ["labeld"] },
      "job-worker": { after: ["featurexd", "collector"] },
      "console-ui": { after: ["observer", "replayd"] },
    });
    const orderedPlan = planOf(ordered);
    // The edges did take effect (on startup order)...
    expect(orderedPlan.units.find((u) => u.service === "observer-api")!.after).toEqual(["backtestd", "job-worker", "labeld"]);
    // ...and no env file changed.
    expect(variableFiles(orderedPlan)).toEqual(variableFiles(planOf(base)));
    expect(variableFiles(orderedPlan)).toEqual({ ...EXPECTED, "/srv/qlhome/backend/core/.env": DOTENV });
  });

  it("a disabled callee is not called: its callers get no URL for it, nor for what it started after", () => {
    // parseStackConfig now refuses this config (labeld and console-ui call featurexd); the renderer still hands out no URL for it.
    const { config } = parseStackConfig(distinctConfig());
    const p = planHost(resolveModel({ ...config, services: { featurexd: { enabled: false, after: [] } } }), T);
    expect(p.units.find((u) => u.service === "labeld")!.after).toEqual(["replayd"]);
    expect(fileAt(p, "/etc/quantlab/labeld.env").content).toBe(
      envFile("quantlab-labeld.service", ["LABELD_PORT='3061'", `LABELD_TOKEN='${T.labeld}'`]),
    );
    expect(p.files.map((f) => f.path)).not.toContain("/etc/quantlab/featurexd.env");
  });

  it("the S3 endpoint of a created bucket is resolved in the model: the regional AWS endpoint, in every S3 client's file", () => {
    const c = {
      ...distinctConfig(),
      "quantlab:s3": JSON.stringify({ mode: "create", region: "ap-south-2", compactBucket: "fx-c2", archiveBucket: "fx-a2" }),
    };
    const p = planOf(c);
    const endpoints = p.files
      .filter((f) => f.content.includes("S3_COMPACT_ENDPOINT="))
      .map((f) => [f.path, /S3_COMPACT_ENDPOINT='([^']*)'/.exec(f.content)![1]]);
    expect(endpoints).toEqual([
      ["/srv/qlhome/backend/core/.env", "https://s3.ap-south-2.amazonaws.com"],
      ["/etc/quantlab/replayd.env", "https://s3.ap-south-2.amazonaws.com"],
      ["/etc/quantlab/featurexd.env", "https://s3.ap-south-2.amazonaws.com"],
      ["/etc/quantlab/strategyd.env", "https://s3.ap-south-2.amazonaws.com"],
    ]);
    expect(fileAt(p, "/etc/quantlab/replayd.env").content).toContain("S3_COMPACT_BUCKET='fx-c2'\n");
  });
});
