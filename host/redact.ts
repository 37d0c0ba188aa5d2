/** The one place that takes secret values out of text that comes back from a host or goes to an operator. */

/** Replaces every occurrence of each secret (ignoring empty and very short ones) with [redacted]; the longest first, so a secret holding another goes whole. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets
    .filter((s) => s.length >= 8)
    .sort((a, b) => b.length - a.length)
    .reduce((t, s) => t.split(s).join("[redacted]"), text);
}
