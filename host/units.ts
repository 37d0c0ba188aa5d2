/** A systemd unit on the host: its state (with the hashes of the files it reads and its health), and its removal. */
import { asUser, lines, root, ROOT_WHO, type Script } from "./script";
import { keyFrame, type SnapshotGroup } from "./snapshot";
import { int, path, probeUrl, unit as unitValue, user, word, type Value } from "./values";

/** A health endpoint on the host's loopback. */
export interface HealthProbe {
  /** e.g. http://127.0.0.1:3030/health */
  readonly url: string;
  /** The bearer token is sent (as a header line on stdin, never in argv). */
  readonly withToken: boolean;
}

/** The bearer header line the curl of a probe reads from stdin (`curl -H @-`), or "" without a token. */
export const bearer = (token: string | undefined): string => (token ? `Authorization: Bearer ${token}\n` : "");

/** The curl that prints a health endpoint's HTTP status (000: nothing answered); with a token, the header comes from stdin. */
export function curlStatus(probe: HealthProbe, maxTime = 5): Script {
  const url = probeUrl(probe.url);
  return probe.withToken
    ? root`curl -s -o /dev/null -w '%{http_code}' --max-time ${maxTimeValue(maxTime)} -H @- ${url}`
    : root`curl -s -o /dev/null -w '%{http_code}' --max-time ${maxTimeValue(maxTime)} ${url}`;
}

const maxTimeValue = (n: number) => int(n, 1, 600);

/**
 * Prints the unit's LoadState, UnitFileState, ActiveState and InvocationID,
 * `read <path> <sha256|absent>` for each file it reads (root's files by root;
 * a file in the runtime user's tree by `reader`), and `health <code>` for its
 * endpoint. With a token, stdin holds the header line.
 */
export function unitStateScript(unitName: string, reads: readonly string[], reader: string, probe?: HealthProbe, header?: number): Script {
  const u = unitValue(unitName);
  const hash = (p: string): Script => {
    const file = path(p);
    const who = file.tree === "root" ? root : asUser(user(reader));
    return root`${who`if [ -f ${file} ] && [ ! -L ${file} ]; then h=$(sha256sum < ${file}); printf 'read %s %s\n' ${file} "\${h%% *}"; else printf 'read %s absent\n' ${file}; fi`}`;
  };
  return lines(ROOT_WHO, [
    root`systemctl show -p LoadState,UnitFileState,ActiveState,InvocationID ${u}`,
    ...reads.map(hash),
    ...(probe ? [healthLine(probe, header)] : []),
  ]);
}

/** Prints `health <code>`; the token's header line on stdin, or (several units in one script) line `header` of the $headers array. */
function healthLine(probe: HealthProbe, header?: number): Script {
  return header !== undefined && probe.withToken
    ? root`echo "health $(printf '%s\n' "\${headers[${int(header, 0, 999)}]}" | ${curlStatus(probe)})"`
    : root`echo "health $(${curlStatus(probe)})"`;
}

/** One unit's read for a refresh group (unitStatesGroup): what unitStateScript takes, and the key its answer goes under. */
export interface UnitRead {
  readonly key: string;
  readonly unit: string;
  readonly reads: readonly string[];
  readonly probe?: HealthProbe;
  /** The index of its token's header line in $headers (with probe.withToken). */
  readonly header?: number;
}

/**
 * `systemctl show -p <props>` of the units read into `blocks`: one per unit,
 * in the units' order, its lines; `$n` counts the blocks a blank line ended
 * (both set by the caller).
 */
export const readShowBlocks = (props: Script, units: readonly Value[]): Script =>
  root`while IFS= read -r l; do if [ -n "$l" ]; then blocks[$n]+="$l"$'\n'; elif [ -n "\${blocks[$n]:-}" ]; then n=$((n + 1)); fi; done < <(systemctl show -p ${props} ${units})`;

/**
 * unitStateScript's answers for many units at once, for a refresh: one
 * `systemctl show` for all of them (a block per unit, in the order asked),
 * one `sha256sum` for root's files they read and one process of the
 * runtime user's for the files of that user's tree (whose answers count
 * for those files only), then each unit's answer framed under its key, as
 * its own script would print it (curl still asks each endpoint). A file
 * found but not hashed, or a `systemctl` that does not answer for every
 * unit, leaves those answers to the units' own scripts.
 */
export function unitStatesGroup(units: readonly UnitRead[], reader: string): SnapshotGroup {
  const files = [...new Set(units.flatMap((u) => u.reads))].map(path);
  // Each tree's hashes in arrays of their own, filled by that tree's reader only: root's h/seen, the runtime user's uh/useen.
  const arrays = { root: { h: root`h`, seen: root`seen` }, runtime: { h: root`uh`, seen: root`useen` } } as const;
  const hashes = (tree: "root" | "runtime"): Script[] => {
    const own = files.filter((f) => f.tree === tree);
    if (!own.length) return [];
    const { h, seen } = arrays[tree];
    const who = tree === "root" ? root : asUser(user(reader));
    const hash = who`set --; for f in ${own}; do if [ -f "$f" ] && [ ! -L "$f" ]; then echo "seen $f"; set -- "$@" "$f"; fi; done; [ $# -eq 0 ] || sha256sum -- "$@"`;
    return [root`while read -r s f; do if [ "$s" = seen ]; then ${seen}[$f]=1; else ${h}[$f]=$s; fi; done < <(${hash})`];
  };
  /** A read file's arrays and how root names it: a runtime user's path only as a label (an array key, a line printed), never opened. */
  const of = (p: string) => {
    const f = path(p);
    return { ...arrays[f.tree === "root" ? "root" : "runtime"], k: f.tree === "root" ? f : word(f.raw) };
  };
  const hashed = (p: string) => {
    const { h, seen, k } = of(p);
    return root`{ [ -z "\${${seen}[${k}]:-}" ] || [ -n "\${${h}[${k}]:-}" ]; }`;
  };
  const readLine = (p: string) => {
    const { h, k } = of(p);
    return root`  s="\${${h}[${k}]:-}"; if [ -n "$s" ]; then printf 'read %s %s\n' ${k} "$s"; else printf 'read %s absent\n' ${k}; fi`;
  };
  const answer = (u: UnitRead, i: number): Script[] => {
    const frame = keyFrame(u.key);
    return [
      frame.start,
      root`if [ "$n" -ne ${int(units.length, 1, 10_000)} ]${u.reads.map((p) => root` || ! ${hashed(p)}`)}; then ${frame.failed}; else`,
      root`  printf '%s' "\${blocks[${int(i, 0, 9_999)}]}"`,
      ...u.reads.map(readLine),
      ...(u.probe ? [healthLine(u.probe, u.header)] : []),
      root`  ${frame.ok}; fi`,
    ];
  };
  return {
    keys: units.map((u) => u.key),
    script: lines(ROOT_WHO, [
      root`declare -A h=() seen=() uh=() useen=(); blocks=(); n=0`,
      ...hashes("root"),
      ...hashes("runtime"),
      readShowBlocks(
        root`LoadState,UnitFileState,ActiveState,InvocationID`,
        units.map((u) => unitValue(u.unit)),
      ),
      root`[ -z "\${blocks[$n]:-}" ] || n=$((n + 1))`,
      ...units.flatMap(answer),
    ]),
  };
}

export interface UnitState {
  readonly loaded: boolean;
  readonly enabled: boolean;
  readonly active: boolean;
  /** systemd's id of the unit's current run ("" when it never ran). */
  readonly invocation: string;
  /** path -> sha256 or "absent" */
  readonly reads: Readonly<Record<string, string>>;
  /** HTTP status of the health endpoint ("000": no answer); undefined without a probe. */
  readonly health?: string;
}

export function parseUnitState(out: string): UnitState {
  const props: Record<string, string> = {};
  const reads: Record<string, string> = {};
  let health: string | undefined;
  for (const line of out.split("\n")) {
    const read = /^read (\S+) (\S+)$/.exec(line);
    const probe = /^health (\d{3})$/.exec(line);
    if (read) reads[read[1]!] = read[2]!;
    else if (probe) health = probe[1]!;
    else if (line.includes("=")) props[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
  }
  return {
    loaded: props.LoadState === "loaded",
    enabled: props.UnitFileState === "enabled",
    active: props.ActiveState === "active",
    invocation: props.InvocationID ?? "",
    reads,
    ...(health !== undefined ? { health } : {}),
  };
}

/** Stops and disables the unit when systemd knows it; nothing when it is gone already. */
export function deactivateScript(unitName: string): Script {
  const u = unitValue(unitName);
  return lines(ROOT_WHO, [root`set -eu`, root`if systemctl cat ${u} >/dev/null 2>&1; then systemctl disable --now --quiet ${u}; fi`]);
}

/** Prints `state <unit> <ActiveState>` for each unit. */
export function activeStatesScript(units: readonly string[]): Script {
  return lines(
    ROOT_WHO,
    units.map((name) => {
      const u = unitValue(name);
      return root`printf 'state %s %s\n' ${u} "$(systemctl show -p ActiveState --value ${u})"`;
    }),
  );
}

/** The units of activeStatesScript's output that are not active. */
export function notActive(out: string): Set<string> {
  return new Set(
    out
      .split("\n")
      .map((l) => /^state (\S+) (\S*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[2] !== "active")
      .map((m) => m[1]!),
  );
}
