import { beforeAll, describe, expect, it } from "vitest";
import { recordRegistrations, settled, type Registration } from "./engine";
import { prodConfigWithSecrets, TEST_PRIVATE_KEY, TEST_TOKENS } from "../fixtures/stack";
import { stubText } from "../../provider/stub";

let regs: Registration[];
let outputs: Record<string, unknown>;

beforeAll(async () => {
  regs = await recordRegistrations();
  const { runProgram } = await import("../../program");
  const stack = runProgram(prodConfigWithSecrets());
  outputs = { units: stack.units, healthUrls: stack.healthUrls, startupLevels: stack.startupLevels };
  await settled(regs);
});

const FILE = "pulumi-nodejs:dynamic/quantlab:HostFile";
const SERVICE = "pulumi-nodejs:dynamic/quantlab:HostService";
const UNITS: Record<string, string> = {
  replayd: "quantlab-replayd.service",
  collector: "quantlab-collector.service",
  featurexd: "quantlab-featurexd.service",
  labeld: "quantlab-labeld.service",
  strategyd: "quantlab-strategyd.service",
  backtestd: "quantlab-backtestd.service",
  "job-worker": "quantlab-worker.service",
  observer: "quantlab-observer-core.service",
  "observer-api": "quantlab-observer.service",
  "console-ui": "quantlab-console-ui.service",
};
const ENV: Record<string, string> = {
  replayd: "replayd",
  collector: "collector",
  featurexd: "featurexd",
  labeld: "labeld",
  strategyd: "strategyd",
  backtestd: "backtestd",
  "job-worker": "worker",
  observer: "observer",
  "observer-api": "observer-api",
  "console-ui": "console",
};
const serviceOf = new Map(Object.entries(UNITS).map(([s, u]) => [`quantlab:${u}`, s]));

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
      "pulumi:providers:pulumi-nodejs quantlab",
      "pulumi-nodejs:dynamic/quantlab:HostOwner quantlab:owner",
      "pulumi-nodejs:dynamic/quantlab:HostTools quantlab:tools",
      "pulumi-nodejs:dynamic/quantlab:HostGeneration quantlab:generation",
      ...[
        "/etc/sysusers.d/quantlab.conf",
        "/etc/tmpfiles.d/quantlab.conf",
        "/home/deploy/quantlab-backend/core/.env",
        "/etc/cron.d/quantlab-ml",
        "/etc/cron.d/quantlab-compact-ready",
        "/etc/cron.d/quantlab-cleanup-retention",
        "/etc/cron.d/quantlab-daily-health",
        "/etc/logrotate.d/quantlab",
        // Root's AWS CLI: its config and endpoint plugin, and the login-shell variables (no keys: the host's role).
        "/etc/quantlab/aws.conf",
        "/etc/quantlab/aws-plugins/quantlab_s3_endpoint.py",
        "/etc/profile.d/quantlab-aws.sh",
        ...Object.keys(UNITS).flatMap((s) => [`/etc/systemd/system/${UNITS[s]}`, `/etc/quantlab/${ENV[s]}.env`]),
      ].map((p) => `${FILE} quantlab:${p}`),
      ...Object.values(UNITS).map((u) => `${SERVICE} quantlab:${u}`),
    ].sort();
    expect(actual).toEqual(expected);
  });

  it("hands the engine the runbook's startup edges between the services, and no others", () => {
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const edges: string[] = [];
    for (const r of regs) {
      const me = serviceOf.get(r.name);
      if (r.type !== SERVICE || !me) continue;
      for (const dep of r.dependencies) {
        const them = serviceOf.get(byUrn.get(dep)?.name ?? "");
        if (them && byUrn.get(dep)?.type === SERVICE) edges.push(`${me} after ${them}`);
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

  it("starts a service only after the files it reads are written, and restarts it when their hashes change", () => {
    const byName = new Map(regs.map((r) => [r.name, r]));
    for (const [s, unit] of Object.entries(UNITS)) {
      const svc = byName.get(`quantlab:${unit}`)!;
      const reads = [
        `/etc/systemd/system/${unit}`,
        `/etc/quantlab/${ENV[s]}.env`,
        ...(["job-worker", "observer", "observer-api"].includes(s) ? ["/home/deploy/quantlab-backend/core/.env"] : []),
      ];
      expect([s, Object.keys(svc.inputs.reads as object).sort()]).toEqual([s, [...reads].sort()]);
      for (const p of reads) {
        const file = byName.get(`quantlab:${p}`)!;
        expect(svc.dependencies).toContain(file.urn);
        expect((svc.inputs.reads as Record<string, string>)[p]).toBe(file.inputs.sha256);
      }
    }
  });

  it("claims the host, installs the runbook's tools, then writes the drop-in files: sysusers, then tmpfiles, then everything else, each env file after its unit file", () => {
    const byName = new Map(regs.map((r) => [r.name, r]));
    const owner = byName.get("quantlab:owner")!;
    expect([owner.dependencies, owner.inputs.owner]).toEqual([[], "quantlab-infra/prod"]);
    const tools = byName.get("quantlab:tools")!;
    expect([tools.dependencies, tools.inputs.commands]).toEqual([
      [owner.urn],
      { curl: "curl", jq: "jq", lsof: "lsof", git: "git", nodejs: "node", npm: "npm", python3: "python3", awscli: "aws" },
    ]);
    const sysusers = byName.get("quantlab:/etc/sysusers.d/quantlab.conf")!;
    expect(sysusers.dependencies).toEqual([tools.urn]);
    const tmpfiles = byName.get("quantlab:/etc/tmpfiles.d/quantlab.conf")!;
    expect(tmpfiles.dependencies).toEqual([sysusers.urn]);
    const unitOfEnv = new Map(
      Object.entries(UNITS).map(([s, unit]) => [
        `quantlab:/etc/quantlab/${ENV[s]}.env`,
        byName.get(`quantlab:/etc/systemd/system/${unit}`)!.urn,
      ]),
    );
    expect(unitOfEnv.size).toBe(10);
    for (const r of regs.filter((r) => r.type === FILE && r !== sysusers && r !== tmpfiles)) {
      const unitFile = unitOfEnv.get(r.name);
      expect([r.name, r.dependencies]).toEqual([r.name, unitFile ? [tmpfiles.urn, unitFile] : [tmpfiles.urn]]);
    }
  });

  it("protects the buckets and every safeguard of theirs (public access block, encryption, versioning, lifecycle), and nothing else; each is retained on delete", () => {
    const aws = regs.filter((r) => r.type.startsWith("aws:"));
    expect(aws.filter((r) => !r.protect).map((r) => r.name)).toEqual([]);
    expect(
      regs
        .filter((r) => r.protect)
        .map((r) => r.name)
        .sort(),
    ).toEqual(aws.map((r) => r.name).sort());
    expect(aws.map((r) => r.name).sort()).toEqual([
      "quantlab-archive",
      "quantlab-archive-encryption",
      "quantlab-archive-private",
      "quantlab-archive-retention",
      "quantlab-archive-versioning",
      "quantlab-compact",
      "quantlab-compact-encryption",
      "quantlab-compact-private",
    ]);
    expect(aws.filter((r) => !r.retainOnDelete).map((r) => r.name)).toEqual([]);
  });

  it("never replaces a host resource (so a replacement cannot delete what it just wrote): a diff asks for an update at most", async () => {
    const host = regs.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/quantlab:"));
    // A unit, an env file and a service per service; 11 other files; the owner, the tools, the generation.
    expect(host.length).toBe(10 * 3 + 11 + 3);
    // The resources no longer ask for delete-before-replace; what keeps a file from being written by a
    // new resource and removed by the old one is that no diff asks for a replacement.
    const { providerOf } = await import("../../provider/kind");
    const kind = {
      name: "file" as const,
      label: () => "HostFile /etc/x",
      apply: async () => ({}),
      observe: async () => undefined,
      remove: async () => undefined,
    };
    const diff = providerOf(kind as never).diff!;
    expect(
      await diff("id", { path: "/etc/x", sha256: "a", mode: "0644" } as never, { path: "/etc/y", sha256: "b", mode: "0600" } as never),
    ).toEqual({ changes: true, replaces: [] });
    expect(await diff("id", { path: "/etc/x", sha256: "a" } as never, { path: "/etc/x", sha256: "a" } as never)).toEqual({
      changes: false,
      replaces: [],
    });
  });

  it("stores a small provider stub with each host resource, not the provider", () => {
    const sizes = regs.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => String(r.inputs.__provider).length);
    expect(Math.max(...sizes)).toBeLessThan(4000);
    expect(String(regs.find((r) => r.type === FILE)!.inputs.__provider)).toBe(stubText("file"));
  });

  it("registers without the declaring code's stack or source position (nothing reads them; they would be stored with every resource)", () => {
    expect(regs.length).toBeGreaterThan(40);
    expect(regs.filter((r) => r.sourcePosition !== undefined || r.stackFrames > 0).map((r) => r.name)).toEqual([]);
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
    // No file's content is an input (the provider renders it from its own plan, checked by the hash)...
    const env = regs.find((r) => r.name === "quantlab:/etc/quantlab/strategyd.env")!;
    expect([env.inputs.content, typeof env.inputs.sha256]).toEqual([undefined, "string"]);
    // ...and the secrets reach the host's provider only, as a secret value of its configuration.
    const provider = regs.find((r) => r.type === "pulumi:providers:pulumi-nodejs")!;
    expect(JSON.stringify(provider.inputs.secrets)).toContain(SECRET_SIG);
    expect(JSON.stringify(provider.inputs.secrets)).toContain(TEST_TOKENS.strategyd);
    expect(regs.filter((r) => JSON.stringify(r.inputs).includes("PRIVATE KEY")).map((r) => r.type)).toEqual([
      "pulumi:providers:pulumi-nodejs",
    ]);
  });

  it("registers nothing for a rejected config: the package's error, with every problem, comes first", async () => {
    const { runProgram } = await import("../../program");
    const before = regs.length;
    const bad = { ...prodConfigWithSecrets(), "quantlab:services": JSON.stringify({ strategyd: { port: 70000 } }) };
    expect(() => runProgram(bad)).toThrow(
      "invalid stack config (1 problem):\n  - quantlab:services.strategyd.port: expected 1-65535, got 70000",
    );
    await settled(regs);
    expect(regs.length).toBe(before);
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
