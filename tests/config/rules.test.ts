/**
 * The rules beyond types (config/rules.ts) and "every problem in one go":
 * each hostile config is rejected with its exact messages, naming the key.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../config/parse";
import { runtimeDirProblem, servicePortProblem, loopbackPort } from "../../config/rules";
import { distinctConfig, stackConfig, TEST_TOKENS } from "../fixtures/stack";
import { leakedSecrets, messageOf } from "./leaks";

type Config = Record<string, string>;

function withKey(key: string, patch: Record<string, unknown>, base: Config = distinctConfig()): Config {
  const current = base[`quantlab:${key}`] ? (JSON.parse(base[`quantlab:${key}`]!) as Record<string, unknown>) : {};
  return { ...base, [`quantlab:${key}`]: JSON.stringify({ ...current, ...patch }) };
}
const withService = (name: string, override: unknown, base?: Config) => withKey("services", { [name]: override }, base);
const withoutTokens = (base: Config, ...names: string[]): Config => {
  const tokens: Record<string, string> = { ...TEST_TOKENS };
  for (const n of names) delete tokens[n];
  return { ...base, "quantlab:tokens": JSON.stringify(tokens) };
};

const problemsOf = (config: Config): readonly string[] => {
  try {
    parseStackConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("the config was accepted");
};

const SYSTEM = "(the runtime user would be handed a system path)";
const SHARED = "(the runtime user would be handed all of it)";
const LOW = "expected 1024-65535 (the services run unprivileged with every capability dropped and cannot bind a port below 1024)";
const QUOTE = "expected no ', newline, CR or NUL (systemd and dotenv would read it differently)";

const CASES: Array<[title: string, config: Config, problems: string[]]> = [
  [
    "spool dir inside /etc",
    withKey("runtime", { spoolDir: "/etc/quantlab/spool" }),
    [`quantlab:runtime.spoolDir: expected a directory outside /etc ${SYSTEM}, got "/etc/quantlab/spool"`],
  ],
  [
    "backend root inside /usr",
    withKey("runtime", { backendRoot: "/usr/local/quantlab" }),
    [`quantlab:runtime.backendRoot: expected a directory outside /usr ${SYSTEM}, got "/usr/local/quantlab"`],
  ],
  [
    "home is /root",
    withKey("runtime", { home: "/root", backendRoot: "/srv/ql/backend" }),
    [`quantlab:runtime.home: expected a directory outside /root ${SYSTEM}, got "/root"`],
  ],
  [
    "spool dir inside the owner record's tree (root's)",
    withKey("runtime", { spoolDir: "/var/lib/quantlab/spool" }),
    [`quantlab:runtime.spoolDir: expected a directory outside /var/lib/quantlab ${SYSTEM}, got "/var/lib/quantlab/spool"`],
  ],
  [
    "spool dir inside the generation store (root's)",
    withKey("runtime", { spoolDir: "/var/lib/quantlab-infra/spool" }),
    [`quantlab:runtime.spoolDir: expected a directory outside /var/lib/quantlab-infra ${SYSTEM}, got "/var/lib/quantlab-infra/spool"`],
  ],
  [
    "spool dir inside dpkg's database",
    withKey("runtime", { spoolDir: "/var/lib/dpkg/spool" }),
    [`quantlab:runtime.spoolDir: expected a directory outside /var/lib/dpkg ${SYSTEM}, got "/var/lib/dpkg/spool"`],
  ],
  [
    "spool dir inside /lib64",
    withKey("runtime", { spoolDir: "/lib64/q" }),
    [`quantlab:runtime.spoolDir: expected a directory outside /lib64 ${SYSTEM}, got "/lib64/q"`],
  ],
  [
    "spool dir in /run (gone at every boot)",
    withKey("runtime", { spoolDir: "/run/quantlab" }),
    [`quantlab:runtime.spoolDir: expected a directory outside /run ${SYSTEM}, got "/run/quantlab"`],
  ],
  [
    "home is all of /home",
    withKey("runtime", { home: "/home" }),
    [`quantlab:runtime.home: expected a directory of its own, not the shared /home ${SHARED}, got "/home"`],
  ],
  [
    "backend root is /",
    withKey("runtime", { backendRoot: "/" }),
    [`quantlab:runtime.backendRoot: expected a directory of its own, not the shared / ${SHARED}, got "/"`],
  ],
  [
    "spool dir is all of /opt",
    withKey("runtime", { spoolDir: "/opt" }),
    [`quantlab:runtime.spoolDir: expected a directory of its own, not the shared /opt ${SHARED}, got "/opt"`],
  ],
  [
    "spool dir is all of /var",
    withKey("runtime", { spoolDir: "/var" }),
    [`quantlab:runtime.spoolDir: expected a directory of its own, not the shared /var ${SHARED}, got "/var"`],
  ],
  ["privileged port", withService("labeld", { port: 80 }), [`quantlab:services.labeld.port: ${LOW}, got 80`]],
  ["port 1023", withService("collector", { port: 1023 }), [`quantlab:services.collector.port: ${LOW}, got 1023`]],
  [
    "service on the SSH port",
    withService("featurexd", { port: 2222 }),
    ["quantlab:services.featurexd.port: port 2222 is the host's SSH port (quantlab:host.port)"],
  ],
  [
    "service on the port of a loopback S3 endpoint",
    withKey("s3", { endpoint: "http://127.0.0.1:9100" }),
    ["quantlab:services.collector.port: port 9100 is the S3 endpoint's port on this host (quantlab:s3.endpoint)"],
  ],
  [
    "S3 endpoint with a quote (written to the env files)",
    withKey("s3", { endpoint: "https://minio.example.net/it's" }),
    [`quantlab:s3.endpoint: ${QUOTE}, got "https://minio.example.net/it's"`],
  ],
  [
    "two services on one port, and one on the SSH port",
    withService("backtestd", { port: 4030 }, withService("labeld", { port: 2222 })),
    [
      "quantlab:services.labeld.port: port 2222 is the host's SSH port (quantlab:host.port)",
      "quantlab:services.backtestd.port: port 4030 is already used by replayd",
    ],
  ],
  [
    "a schema error does not hide the secret problems",
    withoutTokens(withService("strategyd", { port: 70000 }), "labeld"),
    [
      "quantlab:services.strategyd.port: expected 1-65535, got 70000",
      "quantlab:tokens.labeld: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.labeld",
    ],
  ],
  [
    "a schema error with a disabled service does not ask for its token",
    withoutTokens(withService("labeld", { enabled: false, port: 80 }), "labeld"),
    [`quantlab:services.labeld.port: ${LOW}, got 80`],
  ],
  [
    "a copy of Pulumi.sandbox.yaml lists the host and every secret",
    stackConfig("Pulumi.sandbox.yaml"),
    [
      "quantlab:host: expected an object with address, port, user, hostKey (or a list of hosts in quantlab:hosts), got nothing",
      ...Object.keys(TEST_TOKENS)
        .sort()
        .map(
          (t) =>
            `quantlab:tokens.${t}: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.${t}`,
        ),
      "quantlab:sshPrivateKey: missing secret; set it with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519",
    ],
  ],
];

describe("rules beyond types, all problems at once", () => {
  it.each(CASES)("%s", (_title, config, problems) => {
    expect(problemsOf(config)).toEqual(problems);
  });

  it("no message shows a secret", () => {
    expect(leakedSecrets(CASES.map(([, config]) => messageOf(config)))).toEqual([]);
  });

  it("accepts the nearest good values (so the cases above fail for their own reason)", () => {
    const near = withService(
      "labeld",
      { port: 1024 },
      withKey(
        "runtime",
        { home: "/home/ql", backendRoot: "/opt/quantlab/backend", spoolDir: "/var/lib/quantlab-spool" },
        withKey("s3", { endpoint: "http://127.0.0.1:9000" }),
      ),
    );
    expect(() => parseStackConfig(near)).not.toThrow();
  });
});

describe("the pure rules", () => {
  it("runtimeDirProblem: system trees by prefix only at a / boundary", () => {
    expect(runtimeDirProblem("/etcetera/q")).toBeUndefined();
    expect(runtimeDirProblem("/usrdata")).toBeUndefined();
    expect(runtimeDirProblem("/home/deploy")).toBeUndefined();
    expect(runtimeDirProblem("/etc")).toBe(`expected a directory outside /etc ${SYSTEM}`);
    expect(runtimeDirProblem("/tmp")).toBe(`expected a directory of its own, not the shared /tmp ${SHARED}`);
  });

  it("servicePortProblem: 1-1023 only (the schema owns the range)", () => {
    expect([0, 1, 1023, 1024, 65535, 70000].map((p) => servicePortProblem(p) !== undefined)).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("loopbackPort: the port of a URL on the host itself, with the scheme's default", () => {
    expect(
      ["http://127.0.0.1:9000", "http://localhost", "https://localhost/x", "http://[::1]:7000", "http://10.0.0.1:9000", "not a url"].map(
        loopbackPort,
      ),
    ).toEqual([9000, 80, 443, 7000, undefined, undefined]);
  });
});
