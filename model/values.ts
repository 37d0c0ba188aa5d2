/**
 * The rules every rendered file and every config value share, defined once:
 * the header of a managed file, the characters a path or argv word may use,
 * and the characters an env value may not.
 */

/** First line of every file this package writes on the host. */
export const MANAGED_HEADER = "# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.";

/**
 * The characters of a path or argv word that systemd, cron and a shell all
 * read literally (no space, quote, `$`, `%`, `;`, `\`), as a character class.
 */
export const SAFE_CHARS = "[A-Za-z0-9_@+=:,./-]";

/** A whole path or argv word of SAFE_CHARS only. */
export const SAFE_WORD = new RegExp(`^${SAFE_CHARS}+$`);

const ENV_FORBIDDEN: ReadonlyArray<readonly [string, string]> = [
  ["'", "a single quote"],
  ["\n", "a newline"],
  ["\r", "a carriage return"],
  ["\0", "a NUL byte"],
];

/**
 * Why a value cannot be written as KEY='value' (which systemd's
 * EnvironmentFile= and dotenv read as the same string), or undefined when it can.
 */
export function envValueProblem(value: string): string | undefined {
  const hit = ENV_FORBIDDEN.find(([ch]) => value.includes(ch));
  return hit ? `contains ${hit[1]}` : undefined;
}
