/**
 * Before the package creates or adjusts the runtime user's directories
 * (sysusers, tmpfiles), the host is asked whether that would take over
 * something that is not ours: a runtime directory that exists but belongs to
 * another user (or is a symlink), or an existing runtime account with root's
 * uid or in a privileged group. Root only looks (lstat, id); it follows no
 * path below a runtime directory.
 */
import { lines, root, ROOT_WHO, type Script } from "./script";
import { inspect, user } from "./values";

export interface PreflightArgs {
  /** The runtime user and group. */
  readonly user: string;
  readonly group: string;
  /** The runtime directories whose parents root owns (home, spool, a backend root outside home). */
  readonly dirs: readonly string[];
  /** Groups that grant root or secrets: the runtime user must be in none. */
  readonly privilegedGroups: readonly string[];
}

/**
 * Prints one line per problem: `foreign <dir> <owner> <uid>`, `symlink <dir>`,
 * `privileged-uid <user>`, `privileged-group <user> <group>`; nothing when
 * all is well. Exits 0 either way (the caller judges).
 */
export function preflightScript(a: PreflightArgs): Script {
  const u = user(a.user);
  const groups = a.privilegedGroups.map((g) => user(g));
  return lines(ROOT_WHO, [
    root`set -u`,
    root`want=$(id -u ${u} 2>/dev/null || echo none)`,
    ...a.dirs.map((d) => {
      const dir = inspect(d);
      return root`if [ -L ${dir} ]; then echo "symlink "${dir}; elif [ -e ${dir} ]; then uid=$(stat -c %u -- ${dir}); [ "$uid" = "$want" ] || echo "foreign "${dir}" $(stat -c %U -- ${dir}) $uid"; fi`;
    }),
    root`if [ "$want" != none ]; then`,
    root`  [ "$want" != 0 ] || echo "privileged-uid "${u}`,
    ...(groups.length
      ? [root`  for g in $(id -Gn ${u}); do for p in ${groups}; do [ "$g" != "$p" ] || echo "privileged-group "${u}" $g"; done; done`]
      : []),
    root`fi`,
  ]);
}

export type PreflightProblem =
  | { readonly kind: "foreign"; readonly dir: string; readonly owner: string; readonly uid: string }
  | { readonly kind: "symlink"; readonly dir: string }
  | { readonly kind: "privileged-uid"; readonly user: string }
  | { readonly kind: "privileged-group"; readonly user: string; readonly group: string };

export function parsePreflight(out: string): PreflightProblem[] {
  return out
    .split("\n")
    .filter(Boolean)
    .map((line): PreflightProblem => {
      const [kind, a = "", b = "", c = ""] = line.split(" ");
      switch (kind) {
        case "foreign":
          return { kind, dir: a, owner: b, uid: c };
        case "symlink":
          return { kind, dir: a };
        case "privileged-uid":
          return { kind, user: a };
        case "privileged-group":
          return { kind, user: a, group: b };
        default:
          throw new Error(`unexpected preflight line ${JSON.stringify(line.slice(0, 200))}`);
      }
    });
}
