import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../config/parse";
import { dotenvEnv, dotenvReaders, serviceEnv, type EnvValues } from "../../envfiles/compose";
import { distinctConfig, TEST_TOKENS } from "../fixtures/stack";

const { model } = parseStackConfig(distinctConfig());
const values: EnvValues = { tokens: TEST_TOKENS, compactBucket: "fx-compact-b", archiveBucket: "fx-archive-b", endpoint: "https://fx-endpoint.test" };
const env = (name: string) => serviceEnv(model, model.services.find((s) => s.def.name === name)!, values);

describe("which variables each env file carries", () => {
  it("replayd: its port and token, the compact bucket and endpoint", () => {
    expect(env("replayd")).toEqual([
      ["REPLAYD_PORT", "3030"],
      ["REPLAYD_TOKEN", TEST_TOKENS.replayd],
      ["S3_COMPACT_BUCKET", "fx-compact-b"],
      ["S3_COMPACT_ENDPOINT", "https://fx-endpoint.test"],
    ]);
  });

  it("strategyd: its own, replayd's URL and token as a client, archive and execution flags", () => {
    expect(env("strategyd")).toEqual([
      ["STRATEGYD_PORT", "3031"],
      ["STRATEGYD_TOKEN", TEST_TOKENS.strategyd],
      ["REPLAYD_URL", "http://127.0.0.1:3030"],
      ["REPLAYD_TOKEN", TEST_TOKENS.replayd],
      ["S3_COMPACT_ENDPOINT", "https://fx-endpoint.test"],
      ["RUN_ARCHIVE_S3_BUCKET", "fx-archive-b"],
      ["RUN_ARCHIVE_ENABLED", "0"],
      ["EXECUTION_STREAMING_MAXDD", "1"],
      ["EXECUTION_STREAM_FILLS", "0"],
      ["EXECUTION_FILLS_STREAM_PATH", "/var/tmp/fx_{ts}.jsonl"],
    ]);
  });

  it("collector: port and spool only", () => {
    expect(env("collector")).toEqual([
      ["COLLECTOR_PORT", "9100"],
      ["COLLECTOR_SPOOL_DIR", "/data/ql/spool"],
    ]);
  });

  it("observer-api: port, observer token, clients of the run writers with a port, runs dir", () => {
    expect(env("observer-api")).toEqual([
      ["OBSERVER_API_PORT", "3000"],
      ["OBSERVER_TOKEN", TEST_TOKENS.observer],
      ["BACKTESTD_URL", "http://127.0.0.1:3041"],
      ["BACKTESTD_TOKEN", TEST_TOKENS.backtestd],
      ["STRATEGYD_RUNS_DIR", "/srv/qlhome/backend/services/strategyd/runs"],
    ]);
  });

  it("console-ui: a client of the four backend APIs it starts after", () => {
    expect(env("console-ui").map(([k]) => k)).toEqual([
      "FEATUREXD_URL", "FEATUREXD_TOKEN", "LABELD_URL", "LABELD_TOKEN",
      "STRATEGYD_URL", "STRATEGYD_TOKEN", "BACKTESTD_URL", "BACKTESTD_TOKEN",
    ]);
  });

  it("core/.env: the S3 settings, observer mode and token, read by the worker, observer and observer-api", () => {
    expect(dotenvReaders(model)).toEqual(["job-worker", "observer", "observer-api"]);
    expect(dotenvEnv(model, values)).toEqual([
      ["S3_COMPACT_BUCKET", "fx-compact-b"],
      ["S3_COMPACT_ENDPOINT", "https://fx-endpoint.test"],
      ["RUN_ARCHIVE_S3_BUCKET", "fx-archive-b"],
      ["RUN_ARCHIVE_ENABLED", "0"],
      ["OBSERVER_MODE", "0"],
      ["OBSERVER_TOKEN", TEST_TOKENS.observer],
    ]);
  });

  it("a disabled dependency's clients get the URLs of what it started after", () => {
    const c = distinctConfig();
    c["quantlab:services"] = JSON.stringify({ featurexd: { enabled: false } });
    const { model: m } = parseStackConfig(c);
    const labeld = m.services.find((s) => s.def.name === "labeld")!;
    expect(labeld.after).toEqual(["replayd"]);
    expect(serviceEnv(m, labeld, values).map(([k]) => k)).toEqual(["LABELD_PORT", "LABELD_TOKEN", "REPLAYD_URL", "REPLAYD_TOKEN"]);
  });
});
