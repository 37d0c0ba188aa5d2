/**
 * One file on the host: written atomically (a temp file in the same
 * directory gets the content from stdin, is checked against its sha-256,
 * flushed, given its mode, then renamed over the target), read back as mode,
 * owner, group and sha-256, removed. A file in a tree root owns is written by
 * root; a file anywhere else (the dotenv inside the backend tree) by the
 * runtime user who owns that tree, so root never follows a path through a
 * directory that user can write.
 */
import type { ReloadAction, VerifyMode } from "../model/actions";
import { STATE_ROOT } from "../model/paths";
import { DAEMON_RELOAD } from "./reload";
import { asUser, lines, root, ROOT_WHO, type Script } from "./script";
import { snapshotFrame, type SnapshotGroup } from "./snapshot";
import { mode as modeValue, path, sha256 as shaValue, unit, user, word, type Value } from "./values";

export interface FileTarget {
  /** Absolute path. */
  readonly path: string;
  /** Octal mode, e.g. "0640". */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  /** @default "none" */
  readonly onChange: ReloadAction;
  /** Create a missing parent directory (root:root 0755) instead of failing; root trees only. @default false */
  readonly createParent: boolean;
  /**
   * "systemd-unit": `systemd-analyze verify` the staged file (under the unit's
   * own name, in a private directory) before it replaces the live one; any
   * output counts as a rejection. @default "none"
   */
  readonly verify?: VerifyMode;
}

const dirOf = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";
const baseOf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/** Whether root writes the file (a root tree) or the runtime user (anywhere else). */
export const writtenByRoot = (p: string): boolean => path(p).tree === "root";

/** The commands a reload action runs for the file at `p` (root's files only). */
export function reloadCommands(action: ReloadAction, p: string, event: "write" | "delete"): Script[] {
  const file = path(p);
  switch (action) {
    case "none":
      return [];
    case "daemon-reload":
      return [DAEMON_RELOAD];
    case "sysusers":
      return event === "write" ? [root`systemd-sysusers ${file}`] : [];
    case "tmpfiles":
      // Removing the rules never removes the directories or their data.
      return event === "write" ? [root`systemd-tmpfiles --create ${file}`] : [];
    case "python-module": {
      if (event === "write") return [];
      // The bytecode Python cached for it, then the cache and the module's directory if nothing else is in them.
      const dir = path(p.slice(0, p.lastIndexOf("/")));
      const cached = path(`${p.slice(0, p.lastIndexOf("/"))}/__pycache__`);
      const module = word(baseOf(p).replace(/\.py$/, ""));
      return [root`rm -f -- ${cached}/${module}.*.pyc; rmdir -- ${cached} ${dir} 2>/dev/null || :`];
    }
  }
}

/**
 * Checks the staged file "$tmp" before it goes live: a copy under the unit's
 * own name (systemd derives name and type from it) in a private directory of
 * root's; systemd-analyze must print nothing (it exits 0 on unknown keys and
 * bad values, with a warning).
 */
export function verifyCommands(verify: VerifyMode, p: string): Script[] {
  if (verify === "none") return [];
  const u = unit(baseOf(p));
  const state = path(STATE_ROOT);
  return [
    root`install -d -m 0700 ${state}`,
    root`vdir=$(mktemp -d ${state}/verify.XXXXXX)`,
    root`cp -- "$tmp" "$vdir"/${u}`,
    root`out=$(systemd-analyze verify --man=no "$vdir"/${u} 2>&1) && [ -z "$out" ] || { printf 'systemd rejects %s (the live unit and the running service are unchanged):\n%s\n' ${u} "$(printf '%s' "$out" | sed "s#$vdir/##g")" >&2; exit 1; }`,
    root`rm -rf -- "$vdir"`,
    root`vdir=""`,
  ];
}

/** The staging steps both writers share: temp file next to the target, content from stdin checked against its hash. */
function stage(who: typeof root, dir: Value, base: Value, sha: Value, withVdir: boolean): Script[] {
  return [
    // Temp files of a run cut before its trap ran: gone once a minute old.
    who`find ${dir} -maxdepth 1 -name .${base}'.quantlab-*' -type f -mmin +1 -delete`,
    who`tmp=$(mktemp ${dir}/.${base}.quantlab-XXXXXX)`,
    withVdir ? who`vdir=""; trap 'rm -f -- "$tmp"; [ -z "$vdir" ] || rm -rf -- "$vdir"' EXIT` : who`trap 'rm -f -- "$tmp"' EXIT`,
    who`cat > "$tmp"`,
    who`[ "$(sha256sum < "$tmp" | cut -c1-64)" = ${sha} ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }`,
  ];
}

/** Writes stdin to `t.path` atomically (see the module comment), as root or as the tree's owner. */
export function writeFileScript(t: FileTarget, sha256: string): Script {
  const file = path(t.path);
  const dir = path(dirOf(t.path));
  const base = word(baseOf(t.path));
  const sha = shaValue(sha256);
  const mode = modeValue(t.mode);
  const owner = user(t.owner);
  const group = user(t.group);
  const verify = t.verify ?? "none";
  if (file.tree === "runtime") {
    // The runtime user's tree: that user writes it, so the file is theirs; nothing here follows a link as root.
    if (t.createParent || verify !== "none" || t.onChange !== "none")
      throw new TypeError(`${t.path}: a file in the runtime user's tree has no parent creation, verification or reload`);
    const u = asUser(owner);
    return lines({ kind: "user", user: t.owner }, [
      u`set -eu`,
      u`umask 077`,
      u`[ -d ${dir} ] || { echo "directory ${dir} does not exist" >&2; exit 1; }`,
      ...stage(u, dir, base, sha, false),
      u`chgrp ${group} "$tmp"`,
      u`chmod ${mode} "$tmp"`,
      u`sync "$tmp"`,
      u`mv -f -- "$tmp" ${file}`,
      u`trap - EXIT`,
    ]);
  }
  return lines(ROOT_WHO, [
    root`set -eu`,
    root`umask 077`,
    t.createParent
      ? root`[ -d ${dir} ] || install -d -m 0755 -o root -g root ${dir}`
      : root`[ -d ${dir} ] || { echo "directory ${dir} does not exist" >&2; exit 1; }`,
    ...stage(root, dir, base, sha, verify !== "none"),
    root`chown ${owner}:${group} "$tmp"`,
    root`chmod ${mode} "$tmp"`,
    ...verifyCommands(verify, t.path),
    root`sync "$tmp"`,
    root`mv -f -- "$tmp" ${file}`,
    root`trap - EXIT`,
    ...reloadCommands(t.onChange, t.path, "write"),
  ]);
}

/** Prints `mode owner group sha256` of the file, or `absent`; as root for root's trees, as `reader` elsewhere. */
export function statFileScript(p: string, reader: string): Script {
  const file = path(p);
  const who = file.tree === "root" ? root : asUser(user(reader));
  // Two processes per look (sha256sum, stat): the hash is cut by the shell, not by a `| cut` of its own.
  return who`if [ -f ${file} ] && [ ! -L ${file} ]; then h=$(sha256sum < ${file}); printf '%s %s\n' "$(stat -c '%a %U %G' ${file})" "\${h%% *}"; else echo absent; fi`;
}

/**
 * statFileScript's answers for many files of root's trees at once, for a
 * refresh: one `stat` and one `sha256sum` for all of them instead of a part
 * each. Each answer is framed under `file:<path>`, exactly as the file's own
 * statFileScript prints it; a file found but not read (an error) is left to
 * that script, alone.
 */
export function statRootFilesGroup(paths: readonly string[]): SnapshotGroup {
  const files = paths.map(path);
  const outside = files.find((f) => f.tree !== "root");
  if (outside) throw new TypeError(`statRootFilesGroup: ${outside.raw} is outside root's trees: its reader stats it (statFileScript)`);
  const frame = snapshotFrame("file:");
  return {
    keys: paths.map((p) => `file:${p}`),
    script: lines(ROOT_WHO, [
      root`declare -A seen=() m=() h=(); set --`,
      root`for f in ${files}; do if [ -f "$f" ] && [ ! -L "$f" ]; then seen[$f]=1; set -- "$@" "$f"; fi; done`,
      root`if [ $# -gt 0 ]; then`,
      root`  while read -r a o g f; do m[$f]="$a $o $g"; done < <(stat -c '%a %U %G %n' -- "$@")`,
      root`  while read -r s f; do h[$f]=$s; done < <(sha256sum -- "$@")`,
      root`fi`,
      root`for f in ${files}; do`,
      root`  ${frame.start}`,
      root`  if [ -z "\${seen[$f]:-}" ]; then echo absent; ${frame.ok}`,
      root`  elif [ -n "\${m[$f]:-}" ] && [ -n "\${h[$f]:-}" ]; then echo "\${m[$f]} \${h[$f]}"; ${frame.ok}`,
      root`  else ${frame.failed}; fi`,
      root`done`,
    ]),
  };
}

export interface FileState {
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly sha256: string;
}

/** Parses statFileScript's output; undefined when the file is absent. */
export function parseFileState(out: string): FileState | undefined {
  const line = out.trim();
  if (line === "absent") return undefined;
  const m = /^([0-7]{3,4}) (\S+) (\S+) ([0-9a-f]{64})$/.exec(line);
  if (!m) throw new Error(`unexpected stat output ${JSON.stringify(line.slice(0, 200))}`);
  return { mode: m[1]!.padStart(4, "0"), owner: m[2]!, group: m[3]!, sha256: m[4]! };
}

/** Removes the file (as its writer, see writtenByRoot) and runs the reload action. */
export function deleteFileScript(p: string, onChange: ReloadAction, owner: string): Script {
  const file = path(p);
  if (file.tree === "runtime") return asUser(user(owner))`rm -f -- ${file}`;
  return lines(ROOT_WHO, [root`set -eu`, root`rm -f -- ${file}`, ...reloadCommands(onChange, p, "delete")]);
}
