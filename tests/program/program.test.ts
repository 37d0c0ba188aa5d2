import { beforeAll, describe, expect, it } from "vitest";
import { recordRegistrations, settled, type Registration } from "./engine";
import { prodConfigWithSecrets, TEST_PRIVATE_KEY, TEST_TOKENS } from "../fixtures/stack";

let regs: Registration[];
let outputs: Record<string, unknown>;

beforeAll(async () => {
  regs = await recordRegistrations();
  const { runProgram } = await import("../../program");
  const stack = runProgram(prodConfigWithSecrets());
  outputs = { units: stack.units, healthUrls: stack.healthUrls, startupLevels: stack.startupLevels };
  await settled(regs);
});

const SERVICES = ["replayd", "collector", "featurexd", "labeld", "strategyd", "backtestd", "job-worker", "observer", "observer-api", "console-ui"];
const file = (name: string) => [`quantlab:host:File ${name}`, `command:remote:Command ${name}-write`];
const service = (s: string) => [
  `quantlab:host:Service quantlab-${s}`,
  ...file(`quantlab-${s}-unit`),
  ...file(`quantlab-${s}-env`),
  `command:remote:Command quantlab-${s}-activate`,
];

describe("the prod stack under mocks", () => {
  it("registers exactly the expected resources", () => {
    const actual = regs.map((r) => `${r.type} ${r.name}`).sort();
    const expected = [
      "quantlab:storage:Buckets quantlab",
      "aws:s3/bucket:Bucket quantlab-compact",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock quantlab-compact-private",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration quantlab-compact-encryption",
      "aws:s3/bucket:Bucket quantlab-archive",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock quantlab-archive-private",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration quantlab-archive-encryption",
      "aws:s3/bucketVersioning:BucketVersioning quantlab-archive-versioning",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration quantlab-archive-retention",
      "quantlab:host:Host quantlab",
      ...file("quantlab-sysusers"),
      ...file("quantlab-tmpfiles"),
      ...file("quantlab-dotenv"),
      ...file("quantlab-cron-ml"),
      ...file("quantlab-cron-compact-ready"),
      ...file("quantlab-cron-cleanup-retention"),
      ...file("quantlab-cron-daily-health"),
      ...file("quantlab-logrotate"),
      ...SERVICES.flatMap(service),
    ].sort();
    expect(actual).toEqual(expected);
  });

  it("hands the engine the runbook's startup edges between service activations, and no others", () => {
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const activation = /^quantlab-(.+)-activate$/;
    const edges: string[] = [];
    for (const r of regs) {
      const m = activation.exec(r.name);
      if (!m) continue;
      for (const dep of r.dependencies) {
        const d = activation.exec(byUrn.get(dep)?.name ?? "");
        if (d) edges.push(`${m[1]} after ${d[1]}`);
      }
    }
    expect(edges.sort()).toEqual(
      [
        "featurexd after replayd",
        "labeld after featurexd",
        "strategyd after replayd",
        "backtestd after replayd",
        "backtestd after strategyd",
        "job-worker after strategyd",
        "observer after strategyd",
        "observer after backtestd",
        "observer after job-worker",
        "observer-api after backtestd",
        "observer-api after job-worker",
        "console-ui after featurexd",
        "console-ui after labeld",
        "console-ui after strategyd",
        "console-ui after backtestd",
      ].sort(),
    );
  });

  it("starts a service only after its unit and env file are written", () => {
    const byName = new Map(regs.map((r) => [r.name, r]));
    for (const s of SERVICES) {
      const deps = byName.get(`quantlab-${s}-activate`)!.dependencies;
      // The engine receives a component dependency expanded to the component's resources.
      expect(deps).toContain(byName.get(`quantlab-${s}-unit-write`)!.urn);
      expect(deps).toContain(byName.get(`quantlab-${s}-env-write`)!.urn);
      expect(deps).toContain(byName.get("quantlab-tmpfiles-write")!.urn);
    }
  });

  it("protects the buckets, and only the buckets", () => {
    expect(regs.filter((r) => r.protect).map((r) => r.name).sort()).toEqual(["quantlab-archive", "quantlab-compact"]);
  });

  it("replaces remote commands delete-first, so a replacement never deletes what it just wrote", () => {
    const commands = regs.filter((r) => r.type === "command:remote:Command");
    // 10 services x (unit, env, activation) + sysusers, tmpfiles, dotenv, 4 cron files, logrotate.
    expect(commands.length).toBe(10 * 3 + 8);
    expect(commands.every((r) => r.deleteBeforeReplace)).toBe(true);
  });

  it("never carries a token or the private key outside a secret value", () => {
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    const plaintext: string[] = [];
    const walk = (value: unknown, at: string): void => {
      if (typeof value === "string") {
        for (const secret of [...Object.values(TEST_TOKENS), TEST_PRIVATE_KEY.split("\n")[1]!]) {
          if (value.includes(secret)) plaintext.push(at);
        }
      } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}[${i}]`));
      else if (value && typeof value === "object") {
        if ((value as Record<string, unknown>)[SECRET_SIG] !== undefined) return; // a secret value: fine
        for (const [k, v] of Object.entries(value)) walk(v, `${at}.${k}`);
      }
    };
    for (const r of regs) walk(r.inputs, r.name);
    expect(plaintext).toEqual([]);
    // ...and the secrets do reach the host: the env files' stdin is a secret envelope.
    const env = regs.find((r) => r.name === "quantlab-strategyd-env-write")!;
    expect(JSON.stringify(env.inputs.stdin)).toContain(SECRET_SIG);
    expect(JSON.stringify(env.inputs.stdin)).toContain(TEST_TOKENS.strategyd);
  });

  it("exports the startup levels as the runbook's four parallel groups", async () => {
    expect(outputs.startupLevels).toEqual([
      ["replayd", "collector"],
      ["featurexd", "strategyd"],
      ["labeld", "backtestd", "job-worker"],
      ["observer", "observer-api", "console-ui"],
    ]);
  });
});
