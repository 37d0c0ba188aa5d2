/**
 * How a config problem reads: the full key path, what was expected, and
 * what was written, cut short and with any URL credentials masked. This is
 * the one place a config value is echoed; a secret never reaches it.
 */
import type { z } from "zod";
import { maskCredentials } from "../model/git";

export const NAMESPACE = "quantlab";

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

/** A key path: `quantlab:services.labeld.port`. */
export const key = (path: readonly PropertyKey[]): string => `${NAMESPACE}:${path.map(String).join(".")}`;

/** What was written, for a message: JSON, credentials masked, at most 80 characters. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = maskCredentials(JSON.stringify(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The raw value at a key path: what the user wrote, whatever zod reports as input. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

/** Set on a custom issue whose value must not be echoed (`params: REDACT`). */
export const REDACT = { redact: true } as const;

function got(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === "custom" && (issue.params as { redact?: boolean } | undefined)?.redact) return "";
  if (issue.code === "too_big" && typeof value === "string") return `, got ${value.length} characters`;
  if (issue.code === "too_big" && Array.isArray(value)) return `, got a list of ${value.length}`;
  return `, got ${describe(value)}`;
}

export function zodProblems(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => `${key([...issue.path, k])}: unknown key`);
    }
    return [`${key(issue.path)}: ${issue.message}${got(issue, valueAt(input, issue.path))}`];
  });
}
