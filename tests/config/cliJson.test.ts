/**
 * configFromCliJson: the CLI's `config --show-secrets --json` output (shape
 * as pulumi 3.248 prints it) -> raw values and the keys stored encrypted.
 */
import { describe, expect, it } from "vitest";
import { configFromCliJson } from "../../config/cliJson";

const JSON_OUT = JSON.stringify({
  "aws:region": { value: "eu-west-1", secret: false },
  "quantlab:host": { value: '{"address":"10.1.2.3"}', objectValue: { address: "10.1.2.3" }, secret: false },
  "quantlab:sshPrivateKey": { value: "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----", secret: true },
  "quantlab:tokens": { value: '{"labeld":"tok-l","replayd":"tok-r"}', objectValue: { labeld: "tok-l", replayd: "tok-r" }, secret: true },
  "quantlab:empty": { secret: false },
});

const STACK_FILE = [
  "config:",
  "  aws:region: eu-west-1",
  "  quantlab:host:",
  "    address: 10.1.2.3",
  "  quantlab:sshPrivateKey:",
  "    secure: v1:AAAA",
  "  quantlab:tokens:",
  "    labeld: tok-l",
  "    replayd:",
  "      secure: v1:BBBB",
  "",
].join("\n");

describe("configFromCliJson", () => {
  it("values as allConfig() gives them: structured ones as JSON text, a missing value as empty", () => {
    expect(configFromCliJson(JSON_OUT).values).toEqual({
      "aws:region": "eu-west-1",
      "quantlab:host": '{"address":"10.1.2.3"}',
      "quantlab:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----",
      "quantlab:tokens": '{"labeld":"tok-l","replayd":"tok-r"}',
      "quantlab:empty": "",
    });
  });

  it("alone: the keys the CLI flags secret (a map counts when any leaf is encrypted)", () => {
    expect([...configFromCliJson(JSON_OUT).secretKeys]).toEqual(["quantlab:sshPrivateKey", "quantlab:tokens"]);
  });

  it("with the stack file: a map narrowed to its encrypted leaves, so the plaintext token is not among them", () => {
    expect([...configFromCliJson(JSON_OUT, STACK_FILE).secretKeys]).toEqual(["quantlab:sshPrivateKey", "quantlab:tokens.replayd"]);
  });

  it("a secret key the file does not hold keeps the CLI's flag", () => {
    expect([...configFromCliJson(JSON_OUT, "config:\n  aws:region: eu-west-1\n").secretKeys]).toEqual([
      "quantlab:sshPrivateKey",
      "quantlab:tokens",
    ]);
  });
});
