/**
 * Secrets written in plaintext in the stack file: refused, naming the key
 * and the command that stores it encrypted, never the value. Which keys
 * were stored encrypted comes with the config (ParseOptions.secretKeys).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig, type ParseOptions } from "../../config/parse";
import { distinctConfig, TEST_TOKENS } from "../fixtures/stack";
import { LEAK, leakedSecrets, messageOf } from "./leaks";

type Config = Record<string, string>;

const ENCRYPTED = new Set(["quantlab:tokens", "quantlab:sshPrivateKey", "quantlab:sshKeyPassphrase"]);
const except = (...keys: string[]) => new Set([...ENCRYPTED].filter((k) => !keys.includes(k)));
/** Leaf paths, as read from a stack file: each token on its own. */
const leaves = (...plainTokens: string[]) =>
  new Set([
    "quantlab:sshPrivateKey",
    ...Object.keys(TEST_TOKENS)
      .filter((t) => !plainTokens.includes(t))
      .map((t) => `quantlab:tokens.${t}`),
  ]);

const PLAIN = "written in plaintext in the stack file (the value is secret and not shown); remove it there and store";
const plainToken = (t: string) =>
  `quantlab:tokens.${t}: ${PLAIN} a new one encrypted with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.${t}`;

const CASES: Array<[title: string, config: Config, secretKeys: ReadonlySet<string>, problems: string[]]> = [
  ["every token in plaintext", distinctConfig(), except("quantlab:tokens"), Object.keys(TEST_TOKENS).map(plainToken)],
  ["one token in plaintext among encrypted ones (leaf paths)", distinctConfig(), leaves("labeld"), [plainToken("labeld")]],
  [
    "a plaintext token of a disabled service",
    { ...distinctConfig(), "quantlab:services": JSON.stringify({ backtestd: { enabled: false }, "console-ui": { enabled: false } }) },
    leaves("backtestd"),
    [plainToken("backtestd")],
  ],
  [
    "the private key in plaintext",
    distinctConfig(),
    except("quantlab:sshPrivateKey"),
    [`quantlab:sshPrivateKey: ${PLAIN} it encrypted with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519`],
  ],
  [
    "the key's passphrase in plaintext",
    { ...distinctConfig(), "quantlab:sshKeyPassphrase": LEAK },
    except("quantlab:sshKeyPassphrase"),
    [`quantlab:sshKeyPassphrase: ${PLAIN} it encrypted with: npx quantlab secret --stack STACK --key sshKeyPassphrase`],
  ],
  [
    "a plaintext private key that is no key: named as plaintext, not checked",
    { ...distinctConfig(), "quantlab:sshPrivateKey": LEAK },
    except("quantlab:sshPrivateKey"),
    [`quantlab:sshPrivateKey: ${PLAIN} it encrypted with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519`],
  ],
  [
    "a plaintext token that is malformed: named as plaintext, not checked",
    { ...distinctConfig(), "quantlab:tokens": JSON.stringify({ ...TEST_TOKENS, observer: `${LEAK}'` }) },
    leaves("observer"),
    [plainToken("observer")],
  ],
  [
    "tokens as a plaintext string: the shape is named, not the value",
    { ...distinctConfig(), "quantlab:tokens": LEAK },
    except("quantlab:tokens"),
    [
      "quantlab:tokens: expected a map of token name to secret (the value is secret and not shown); remove it from the stack file and set each token with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.<name>",
    ],
  ],
  [
    "everything in plaintext",
    { ...distinctConfig(), "quantlab:sshKeyPassphrase": LEAK },
    new Set<string>(),
    [
      ...Object.keys(TEST_TOKENS).map(plainToken),
      `quantlab:sshPrivateKey: ${PLAIN} it encrypted with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519`,
      `quantlab:sshKeyPassphrase: ${PLAIN} it encrypted with: npx quantlab secret --stack STACK --key sshKeyPassphrase`,
    ],
  ],
];

const problemsOf = (config: Config, options: ParseOptions): readonly string[] => {
  try {
    parseStackConfig(config, options);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("the config was accepted");
};

describe("secrets written in plaintext", () => {
  it.each(CASES)("%s", (_title, config, secretKeys, problems) => {
    expect(problemsOf(config, { secretKeys })).toEqual(problems);
  });

  it("no message shows a secret", () => {
    expect(leakedSecrets(CASES.map(([, config, secretKeys]) => messageOf(config, { secretKeys })))).toEqual([]);
  });

  it("accepts the fixture when its secrets are encrypted, as whole keys or leaf by leaf", () => {
    expect(() => parseStackConfig(distinctConfig(), { secretKeys: ENCRYPTED })).not.toThrow();
    expect(() => parseStackConfig(distinctConfig(), { secretKeys: leaves() })).not.toThrow();
  });

  it("without secretKeys the check is skipped (Pulumi mocks encrypt nothing)", () => {
    expect(() => parseStackConfig(distinctConfig())).not.toThrow();
    expect(() => parseStackConfig(distinctConfig(), {})).not.toThrow();
  });

  it("with host.useAgent and no key, only the tokens are checked", () => {
    const config: Config = {
      ...distinctConfig(),
      "quantlab:host": JSON.stringify({ ...JSON.parse(distinctConfig()["quantlab:host"]!), useAgent: true }),
    };
    delete config["quantlab:sshPrivateKey"];
    expect(() => parseStackConfig(config, { secretKeys: new Set(["quantlab:tokens"]) })).not.toThrow();
  });
});

describe("the S3 keys (quantlab:s3.accessKeyId, quantlab:s3.secretAccessKey)", () => {
  const KEYS = { accessKeyId: "AKFIXTURE0001", secretAccessKey: `${LEAK}-s3secret` };
  const withS3 = (extra: Record<string, unknown>): Config => ({
    ...distinctConfig(),
    "quantlab:s3": JSON.stringify({ ...JSON.parse(distinctConfig()["quantlab:s3"]!), ...extra }),
  });
  const s3Leaves = (...leafs: string[]) => new Set([...ENCRYPTED, ...leafs.map((l) => `quantlab:s3.${l}`)]);
  const setWith = (leaf: string) => `npx quantlab secret --stack STACK --key s3.${leaf}`;

  it("stored encrypted, leaf by leaf: the secrets carry them; the settings the hosts' configs get do not", () => {
    const parsed = parseStackConfig(withS3(KEYS), { secretKeys: s3Leaves("accessKeyId", "secretAccessKey") });
    expect(parsed.secrets.s3).toEqual(KEYS);
    expect(parsed.config.s3).toEqual({
      mode: "adopt",
      endpoint: "https://minio.fixture.test:9000",
      region: "us-east-1",
      compactBucket: "fx-compact",
      archiveBucket: "fx-archive",
      archiveEnabled: false,
    });
    expect(JSON.stringify(parsed.config)).not.toContain(KEYS.secretAccessKey);
    expect(JSON.stringify(parsed.hosts)).not.toContain(KEYS.secretAccessKey);
  });

  it("absent: the host's own role (no keys)", () => {
    expect(parseStackConfig(distinctConfig(), { secretKeys: ENCRYPTED }).secrets.s3).toBeUndefined();
  });

  it.each([
    [
      "the secret key in plaintext",
      KEYS,
      s3Leaves("accessKeyId"),
      [`quantlab:s3.secretAccessKey: ${PLAIN} a new one encrypted with: ${setWith("secretAccessKey")}`],
    ],
    [
      "both in plaintext",
      KEYS,
      ENCRYPTED,
      [
        `quantlab:s3.accessKeyId: ${PLAIN} it encrypted with: ${setWith("accessKeyId")}`,
        `quantlab:s3.secretAccessKey: ${PLAIN} a new one encrypted with: ${setWith("secretAccessKey")}`,
      ],
    ],
    [
      "one without the other",
      { secretAccessKey: KEYS.secretAccessKey },
      s3Leaves("secretAccessKey"),
      [
        `quantlab:s3.accessKeyId: missing secret (quantlab:s3.secretAccessKey is set: give both, or neither for the host's own role); set it with: ${setWith("accessKeyId")}`,
      ],
    ],
    [
      "a secret key with a quote and a space",
      { ...KEYS, secretAccessKey: `${LEAK}' x` },
      s3Leaves("accessKeyId", "secretAccessKey"),
      ["quantlab:s3.secretAccessKey: expected 8-256 characters of [A-Za-z0-9+/=._~-] (the value is secret and not shown)"],
    ],
  ])("%s: refused, naming the key, not the value", (_t, keys, secretKeys, problems) => {
    expect(problemsOf(withS3(keys), { secretKeys })).toEqual(problems);
    expect(leakedSecrets([messageOf(withS3(keys), { secretKeys })])).toEqual([]);
  });

  it("the whole quantlab:s3 stored encrypted counts for both", () => {
    expect(parseStackConfig(withS3(KEYS), { secretKeys: new Set([...ENCRYPTED, "quantlab:s3"]) }).secrets.s3).toEqual(KEYS);
  });
});
