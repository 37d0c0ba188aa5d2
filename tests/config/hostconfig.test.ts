/**
 * What one host's provider is configured with (config/hostconfig.ts): the
 * host's config, in which the S3 keys never are, and the stack's secrets
 * beside it (stored as a secret input), which the provider merges back.
 */
import { describe, expect, it } from "vitest";
import { hostConfig, secretConfig, withSecrets } from "../../config/hostconfig";
import { parseStackConfig } from "../../config/parse";
import { distinctConfig } from "../fixtures/stack";

const KEYS = { accessKeyId: "AKFIXTURE0001", secretAccessKey: "fixture-secret-key-0001" };
const all = {
  ...distinctConfig(),
  "quantlab:s3": JSON.stringify({ ...JSON.parse(distinctConfig()["quantlab:s3"]!), ...KEYS }),
};

describe("a host's provider config and the stack's secrets", () => {
  const parsed = parseStackConfig(all);
  const config = hostConfig(parsed, parsed.hosts[0]!);
  const secrets = secretConfig(all);

  it("the host config holds the S3 settings without the keys", () => {
    expect(JSON.stringify(config)).not.toContain(KEYS.secretAccessKey);
    expect(JSON.stringify(config)).not.toContain(KEYS.accessKeyId);
    expect(JSON.parse(config["quantlab:s3"]!)).toMatchObject({ mode: "adopt", compactBucket: "fx-compact" });
  });

  it("the secrets hold, of quantlab:s3, only its keys", () => {
    expect(Object.keys(secrets).sort()).toEqual(["quantlab:s3", "quantlab:sshPrivateKey", "quantlab:tokens"]);
    expect(JSON.parse(secrets["quantlab:s3"]!)).toEqual(KEYS);
  });

  it("merged back, the provider parses the same host, keys included", () => {
    const again = parseStackConfig(withSecrets(config, secrets));
    expect(again.secrets.s3).toEqual(KEYS);
    expect(again.config.s3).toEqual(parsed.config.s3);
    expect(again.model).toEqual(parsed.model);
  });

  it("without keys, quantlab:s3 is no secret", () => {
    expect(secretConfig(distinctConfig())["quantlab:s3"]).toBeUndefined();
  });
});
