/** The operator command's table (cli/commands), as the usage prints it and as a Markdown table. */
import type { Command } from "../../cli/args";
import { cell, code, table } from "./markdown";

/** `logs SERVICE|JOB|all [--lines N] [--since WHEN] [--follow]`: the name, its words and its own options. */
export function synopsis(c: Command): string {
  // An option the synopsis already shows (`--ref REF`, `--all`) is not repeated.
  const own = Object.entries(c.options ?? {})
    .filter(([k]) => !new RegExp(`--${k}\\b`).test(c.synopsis))
    .map(([k, o]) => `[--${k}${o.type === "string" ? ` ${o.value}` : ""}]`);
  const words = [c.name, c.synopsis, ...own, c.passThrough ? `[-- ${c.passThrough}]` : ""].filter(Boolean).join(" ");
  return words.replace(/ +/g, " ");
}

/** One row per command: what to type, what it does, and which common options it takes besides --stack and --sandbox. */
export function commandsTable(commands: readonly Command[]): string {
  return table(
    ["npx quantlab ...", "what it does", "also takes"],
    commands.map((c) => {
      const also = [c.host === false ? "" : "`--host NAME`", c.json ? "`--json`" : ""].filter(Boolean).join(" ");
      const name = code(synopsis(c)) + (c.aliases?.length ? ` (also ${c.aliases.map(code).join(", ")})` : "");
      return [name, cell(c.summary), also || "-"];
    }),
  );
}
