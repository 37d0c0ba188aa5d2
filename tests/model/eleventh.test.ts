/**
 * An eleventh service is one catalog entry: with `riskd` added to a fixture
 * catalog (and nothing else changed), the config accepts it, the model
 * resolves it into the startup order, its unit and env file are planned and
 * rendered from its entry and capabilities, and doctor and logs find it.
 */
import { describe, expect, it, vi } from "vitest";
// vi.mock is hoisted above these imports: every module sees the fixture catalog.
import { expected } from "../../cli/commands/doctor";
import { logSources } from "../../cli/commands/logs";
import { parseStackConfig } from "../../config/parse";
import { planHost } from "../../hostfiles/plan";
import { distinctConfig } from "../fixtures/stack";

vi.mock("../../model/catalog", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../model/catalog")>();
  const SERVICE_NAMES = [...real.SERVICE_NAMES, "riskd"] as const;
  const CATALOG = {
    ...real.CATALOG,
    riskd: {
      name: "riskd",
      unit: "quantlab-riskd.service",
      description: "QuantLab risk service",
      envFile: "riskd.env",
      envPrefix: "RISKD",
      runtime: "node",
      workingDir: "services/riskd",
      command: ["/usr/bin/npm", "start"],
      port: 3071,
      health: { path: "/health", auth: false },
      caps: ["writes-runs", "s3-compact"],
      after: ["strategyd"],
      calls: ["strategyd"],
    },
  };
  return {
    ...real,
    SERVICE_NAMES,
    CATALOG,
    catalogEdges: () =>
      Object.fromEntries(SERVICE_NAMES.map((n) => [n, (CATALOG as Record<string, { after: readonly string[] }>)[n]!.after])),
  };
});

describe("an eleventh service in the catalog", () => {
  const base = distinctConfig();
  const parsed = parseStackConfig({
    ...base,
    "quantlab:services": JSON.stringify({ ...JSON.parse(base["quantlab:services"]!), riskd: { port: 4071 } }),
  });
  const plan = planHost(parsed.model, parsed.secrets.tokens, parsed.secrets.s3);
  const unit = plan.units.find((u) => u.service === ("riskd" as never))!;

  it("is configurable by its name, resolved into the startup order after what it starts after", () => {
    expect(parsed.model.services.map((s) => s.def.name)).toContain("riskd");
    expect(plan.levels.findIndex((l) => l.includes("riskd" as never))).toBe(plan.levels.findIndex((l) => l.includes("strategyd")) + 1);
    expect(unit).toMatchObject({
      unit: "quantlab-riskd.service",
      port: 4071,
      after: ["strategyd"],
      health: { url: "http://127.0.0.1:4071/health" },
    });
  });

  it("gets its unit (after strategyd, its writable runs) and its env file (its port, what it calls, its S3 variables)", () => {
    const unitFile = plan.files.find((f) => f.path === "/etc/systemd/system/quantlab-riskd.service")!.content;
    expect(unitFile).toContain("After=network-online.target quantlab-strategyd.service\n");
    expect(unitFile).toContain("ReadWritePaths=/srv/qlhome/backend/services/strategyd/runs\n");
    expect(unitFile).toContain("WorkingDirectory=/srv/qlhome/backend/services/riskd\n");
    const env = plan.files.find((f) => f.path === "/etc/quantlab/riskd.env")!.content;
    expect(
      env
        .split("\n")
        .filter((l) => /^[A-Z0-9_]+=/.test(l))
        .map((l) => l.split("=")[0]),
    ).toEqual(["RISKD_PORT", "STRATEGYD_URL", "STRATEGYD_TOKEN", "S3_COMPACT_BUCKET", "S3_COMPACT_ENDPOINT", "AWS_REGION"]);
    expect(env).toContain("RISKD_PORT='4071'\n");
    expect(env).toContain("STRATEGYD_URL='http://127.0.0.1:4031'\n");
  });

  it("is checked by doctor (its port, health, env file keys, the bucket its capability implies) and has its logs", () => {
    const t = { host: parsed.hosts[0]!, plan };
    const { spec, want } = expected({ tokens: parsed.secrets.tokens }, t, unit);
    expect(spec).toEqual({
      unit: "quantlab-riskd.service",
      port: 4071,
      probe: { url: "http://127.0.0.1:4071/health", withToken: false },
      envFiles: ["/etc/quantlab/riskd.env"],
      s3: {
        ask: { endpoint: "https://minio.fixture.test:9000", region: "us-east-1", signed: false, buckets: ["fx-compact"] },
        envFile: "/etc/quantlab/riskd.env",
      },
      runtimeUser: "qlrun",
    });
    expect(want.envKeys).toEqual({
      "/etc/quantlab/riskd.env": [
        "RISKD_PORT",
        "STRATEGYD_URL",
        "STRATEGYD_TOKEN",
        "S3_COMPACT_BUCKET",
        "S3_COMPACT_ENDPOINT",
        "AWS_REGION",
      ],
    });
    expect(logSources(t, "riskd", [])).toEqual([{ kind: "journal", units: ["quantlab-riskd.service"] }]);
  });
});
