/**
 * Log readers: a unit's journal, or a log file (a cron job's under
 * /var/log, root's; observer-api's server.log in the backend tree, read as
 * the runtime user). Following, each reader runs in the background and the
 * script waits on its own stdin: when that closes (Ctrl-C, or a dropped
 * connection) it stops the readers and exits, so nothing is left running.
 */
import { asUser, lines, root, ROOT_WHO, type Script } from "../script";
import { int, path, since as sinceValue, unit as unitValue, user, word } from "../values";

export type LogSource = { readonly kind: "journal"; readonly units: readonly string[] } | { readonly kind: "file"; readonly path: string };

export interface LogOptions {
  readonly lines: number;
  readonly since?: string;
  readonly follow: boolean;
  /** journal entries as JSON (-o json), file lines prefixed with "<path>\t". */
  readonly json: boolean;
}

function reader(s: LogSource, o: LogOptions, runtimeUser: string): Script {
  const n = int(o.lines, 1, 999_999);
  if (s.kind === "journal") {
    const units = s.units.map((u) => root`-u ${unitValue(u)}`);
    const since = o.since !== undefined ? root` --since ${sinceValue(o.since)}` : root``;
    return root`journalctl --no-pager -o ${o.json ? root`json` : root`short-iso`} -n ${n}${since}${o.follow ? root` -f` : root``} ${units}`;
  }
  const file = path(s.path);
  const who = file.tree === "root" ? root : asUser(user(runtimeUser));
  const tail = o.json
    ? who`tail -n ${n}${o.follow ? who` -F` : who``} ${file} | sed -u "s|^|"${file}"\t|"`
    : who`tail -n ${n}${o.follow ? who` -F` : who``} ${file}`;
  // -F waits for a file that does not exist yet; without -f a missing file is said once.
  return root`${o.follow ? who`${tail} 2>/dev/null` : who`if [ -f ${file} ]; then ${tail}; else printf '(no file %s)\n' ${file} >&2; fi`}`;
}

const heading = (s: LogSource): Script =>
  // The file's name as text (the heading reads nothing, so a path in the runtime user's tree is fine).
  s.kind === "journal" ? root`echo "==> journal of "${s.units.map(unitValue)}" <=="` : root`echo "==> "${word(path(s.path).raw)}" <=="`;

/** The script that prints (or follows) the sources. */
export function logsScript(sources: readonly LogSource[], o: LogOptions, runtimeUser: string): Script {
  if (sources.length === 0) throw new Error("no log source");
  if (!o.follow)
    return lines(
      ROOT_WHO,
      sources.flatMap((s) => (sources.length > 1 && !o.json ? [heading(s), reader(s, o, runtimeUser)] : [reader(s, o, runtimeUser)])),
    );
  return lines(ROOT_WHO, [
    root`pids=`,
    ...sources.flatMap((s) => [root`${reader(s, o, runtimeUser)} &`, root`pids="$pids $!"`]),
    root`cat >/dev/null`,
    root`kill $pids 2>/dev/null`,
    root`wait`,
  ]);
}
