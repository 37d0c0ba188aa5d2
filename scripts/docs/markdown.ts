/** Markdown for the generated docs: table cells that cannot break a table, code spans, tables. */

/** A code span; a backtick inside gets the double-backtick form. */
export const code = (s: string): string => (s.includes("`") ? `\`\` ${s} \`\`` : `\`${s}\``);

/**
 * Prose for a table cell: one line, and `<`/`>` outside code spans made
 * literal so that `<region>` is not read as HTML.
 */
export function cell(s: string): string {
  const oneLine = s.replace(/\s*\n\s*/g, " ").trim();
  return oneLine
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("");
}

/** A table; every cell is already Markdown (run prose through cell()). A `|` in a cell is escaped (GitHub tables need it even inside code spans). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(head), `|${head.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

/** Items of a list, or "-" for none. */
export const list = (items: readonly string[], sep = ", "): string => (items.length === 0 ? "-" : items.join(sep));
