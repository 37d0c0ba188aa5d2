/**
 * Many read-only scripts run as one: each in a subshell of its own, its
 * output between `::snap:: <key>` and `::end:: <exit code>` lines, so a
 * refresh asks the host once for everything it has to read (instead of a
 * channel per resource) and gets each answer as if it had run alone (its
 * stdout; a part that fails is asked again alone, for its error). A group
 * answers several keys from one script, framing each answer itself (root's
 * files: one stat and one sha256sum for all). Token header lines come first
 * on stdin, read into $headers (scripts refer to them by index:
 * host/units.ts).
 */
import { lines, root, ROOT_WHO, type Script } from "./script";
import { word } from "./values";

export interface SnapshotPart {
  /** A plain key of [A-Za-z0-9_@+=:,./-] words (e.g. `file:/etc/quantlab/replayd.env`). */
  readonly key: string;
  readonly script: Script;
}

/**
 * Several reads answered by one script (fewer processes than a part each):
 * it frames each answer itself, `::snap:: <key>`, the answer, `::end:: <exit
 * code>` (snapshotFrame). A key it leaves unframed, or ends non-zero, is
 * read alone.
 */
export interface SnapshotGroup {
  readonly keys: readonly string[];
  readonly script: Script;
}

/** A group's framing of the answer under a fixed key. */
export function keyFrame(key: string): { readonly start: Script; readonly ok: Script; readonly failed: Script } {
  return { start: root`printf '::snap:: %s\n' ${word(key)}`, ok: root`echo '::end:: 0'`, failed: root`echo '::end:: 1'` };
}

/** A group's framing of one answer, its key being `prefix` followed by the shell variable `$f`. */
export function snapshotFrame(prefix: string): { readonly start: Script; readonly ok: Script; readonly failed: Script } {
  return { start: root`printf '::snap:: %s%s\n' ${word(prefix)} "$f"`, ok: root`echo '::end:: 0'`, failed: root`echo '::end:: 1'` };
}

/** The combined script. */
export function snapshotScript(parts: readonly (SnapshotPart | SnapshotGroup)[]): Script {
  return lines(ROOT_WHO, [
    root`headers=(); while IFS= read -r l; do headers+=("$l"); done`,
    ...parts.flatMap((p) =>
      "key" in p
        ? [
            root`printf '::snap:: %s\n' ${word(p.key)}`,
            root`( ${p.script}
) </dev/null 2>/dev/null; printf '::end:: %s\n' "$?"`,
          ]
        : [
            root`( ${p.script}
) </dev/null 2>/dev/null`,
          ],
    ),
  ]);
}

/** key -> { code, output } of each part. */
export function parseSnapshot(out: string): Map<string, { readonly code: number; readonly output: string }> {
  const parts = new Map<string, { code: number; output: string }>();
  let key: string | undefined;
  let body: string[] = [];
  for (const line of out.split("\n")) {
    const start = /^::snap:: (\S+)$/.exec(line);
    const end = /^::end:: (\d+)$/.exec(line);
    if (start) {
      key = start[1]!;
      body = [];
    } else if (end && key !== undefined) {
      parts.set(key, { code: Number(end[1]), output: body.length ? `${body.join("\n")}\n` : "" });
      key = undefined;
    } else if (key !== undefined) body.push(line);
  }
  return parts;
}
