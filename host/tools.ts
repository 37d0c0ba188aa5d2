/** The commands the runbook's procedures use: which are on the host, and installing the missing ones with apt-get. */
import { lines, root, ROOT_WHO, type Script } from "./script";
import { pkg } from "./values";

/** A command the host must have, and the Debian package that provides it. */
export interface ToolSpec {
  readonly package: string;
  readonly command: string;
}

const pairs = (tools: readonly ToolSpec[]) => tools.map((t) => [pkg(t.package), pkg(t.command)] as const);

/** Prints `<package> present|absent` for each tool, by whether its command is on the PATH. */
export function toolsStateScript(tools: readonly ToolSpec[]): Script {
  return lines(
    ROOT_WHO,
    pairs(tools).map(([p, c]) => root`if command -v ${c} >/dev/null 2>&1; then echo ${p}" present"; else echo ${p}" absent"; fi`),
  );
}

export function parseToolsState(out: string): Record<string, boolean> {
  const state: Record<string, boolean> = {};
  for (const m of out.matchAll(/^(\S+) (present|absent)$/gm)) state[m[1]!] = m[2] === "present";
  return state;
}

/** Seconds apt-get may take (an update plus the install). */
export const INSTALL_DEADLINE_S = 900;

/**
 * Installs the packages whose command is missing, with apt-get (refreshing
 * the package lists once if the first try fails). When that is impossible
 * (no apt-get, no package source) it fails, printing the exact command to run.
 */
export function installToolsScript(tools: readonly ToolSpec[]): Script {
  return lines(ROOT_WHO, [
    root`set -u`,
    root`missing=''`,
    ...pairs(tools).map(([p, c]) => root`command -v ${c} >/dev/null 2>&1 || missing="$missing "${p}`),
    root`[ -n "$missing" ] || exit 0`,
    root`export DEBIAN_FRONTEND=noninteractive`,
    root`log=$(mktemp)`,
    root`trap 'rm -f "$log"' EXIT`,
    root`if command -v apt-get >/dev/null 2>&1 && { apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1 || { apt-get update -q >>"$log" 2>&1 && apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; }; }; then exit 0; fi`,
    root`tail -n 5 "$log" >&2`,
    root`echo "cannot install the host tools:$missing (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y$missing" >&2`,
    root`exit 1`,
  ]);
}
