/**
 * The secrets an error must never show: the fixture's tokens and private
 * key, and a canary the hostile cases put wherever a secret could be
 * mistyped (a token's place, a remote's password, a key's place).
 */
import { ConfigError, parseStackConfig, type ParseOptions } from "../../config/parse";
import { TEST_PRIVATE_KEY, TEST_TOKENS } from "../fixtures/stack";

/** A distinctive secret value placed in hostile configs. */
export const LEAK = "LEAKCANARY7f3e9a1c5b2d";

const SECRETS: readonly string[] = [
  LEAK,
  ...Object.values(TEST_TOKENS),
  ...TEST_PRIVATE_KEY.split("\n").filter((l) => l !== "" && !l.startsWith("-----")),
];

/** The whole ConfigError message of a config that must be rejected. */
export function messageOf(config: Record<string, string>, options?: ParseOptions): string {
  try {
    parseStackConfig(config, options);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("the config was accepted");
}

/** Each secret that appears in any of the messages (empty when none does). */
export function leakedSecrets(messages: readonly string[]): string[] {
  return SECRETS.filter((s) => messages.some((m) => m.includes(s)));
}
