/** Plain-text tables and sizes for the terminal: columns padded to their widest cell, no trailing spaces. */

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [head, ...rows]
    .map((cols) =>
      cols
        .map((c, i) => (c ?? "").padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** 1536 -> "1.5K", 47185920 -> "45.0M". */
export function bytes(n: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

/** Seconds -> "42s", "5m", "3h12m", "2d4h". */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Epoch seconds -> "2026-11-24 14:22:14Z". */
export const isoSeconds = (epoch: number): string =>
  new Date(epoch * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");

/** Writes a line (adding the newline) to stdout. */
export const print = (text: string): void => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
