/**
 * Everything the host provider runs on a host, as pure functions from typed
 * arguments to script text. No value from config reaches a script unchecked:
 * paths, users, modes and unit names are validated here, and file content
 * travels on stdin (the script only names its expected sha-256).
 */

import type { ReloadAction, VerifyMode } from "../model/actions";

export interface FileTarget {
  /** Absolute path. */
  readonly path: string;
  /** Octal mode, e.g. "0640". */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  /** @default "none" */
  readonly onChange: ReloadAction;
  /** Create a missing parent directory (root:root 0755) instead of failing. @default false */
  readonly createParent: boolean;
  /**
   * "systemd-unit": `systemd-analyze verify` the staged file (under the unit's
   * own name, in a private temp dir) before it replaces the live one; any
   * output counts as a rejection. @default "none"
   */
  readonly verify?: VerifyMode;
}

const SAFE = /^[A-Za-z0-9_@+=:,./-]+$/;
const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const UNIT = /^[A-Za-z0-9_.@:-]+\.(service|timer|socket|target)$/;
const MODE = /^0[0-7]{3}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function check(ok: boolean, what: string, value: string): void {
  if (!ok) throw new Error(`host provider: invalid ${what} ${JSON.stringify(value)}`);
}

export function checkPath(path: string): string {
  check(path.startsWith("/") && SAFE.test(path) && !path.split("/").includes("..") && !path.endsWith("/"), "path", path);
  return path;
}

export function checkUnit(unit: string): string {
  check(UNIT.test(unit), "unit name", unit);
  return unit;
}

const dirOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";
const baseOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

/** The commands a reload action runs for the file at `path`. */
export function reloadCommands(action: ReloadAction, path: string, event: "write" | "delete"): string[] {
  switch (action) {
    case "none":
      return [];
    case "daemon-reload":
      return ["systemctl daemon-reload"];
    case "sysusers":
      return event === "write" ? [`systemd-sysusers ${path}`] : [];
    case "tmpfiles":
      // Removing the rules never removes the directories or their data.
      return event === "write" ? [`systemd-tmpfiles --create ${path}`] : [];
  }
}

/**
 * Checks the staged file "$tmp" before it goes live. For a unit: a private
 * temp dir holds a copy under the unit's own name (systemd derives the unit's
 * name and type from it), and systemd-analyze must print nothing (it exits 0
 * on unknown keys and bad values, with a warning).
 */
export function verifyCommands(mode: VerifyMode, path: string): string[] {
  switch (mode) {
    case "none":
      return [];
    case "systemd-unit": {
      const unit = checkUnit(baseOf(path));
      return [
        `vdir=$(mktemp -d /tmp/.quantlab-verify-XXXXXX)`,
        `cp -- "$tmp" "$vdir"/${unit}`,
        `out=$(systemd-analyze verify --man=no "$vdir"/${unit} 2>&1) && [ -z "$out" ] || { printf 'systemd rejects ${unit} (the live unit and the running service are unchanged):\\n%s\\n' "$(printf '%s' "$out" | sed "s#$vdir/##g")" >&2; exit 1; }`,
        `rm -rf -- "$vdir"`,
        `vdir=""`,
      ];
    }
  }
}

/**
 * Writes stdin to `path` atomically: a temp file in the same directory gets
 * the content, is checked against `sha256` (a cut connection cannot leave a
 * truncated file), flushed, given owner and mode, and renamed over the
 * target (a unit is verified first, see verifyCommands). Any failure removes
 * the temp file and leaves the old file as it was; a temp file left by a
 * killed run is removed by the next write of the file.
 */
export function writeFileScript(t: FileTarget, sha256: string): string {
  checkPath(t.path);
  check(MODE.test(t.mode), "mode", t.mode);
  check(NAME.test(t.owner), "owner", t.owner);
  check(NAME.test(t.group), "group", t.group);
  check(SHA256.test(sha256), "sha256", sha256);
  const dir = dirOf(t.path);
  const verify = t.verify ?? "none";
  return [
    "set -eu",
    "umask 077",
    t.createParent
      ? `[ -d ${dir} ] || install -d -m 0755 -o root -g root ${dir}`
      : `[ -d ${dir} ] || { echo "directory ${dir} does not exist" >&2; exit 1; }`,
    // Temp files of a run that was cut before its trap ran (a killed session): gone once a minute old.
    `find ${dir} -maxdepth 1 -name '.${baseOf(t.path)}.quantlab-*' -type f -mmin +1 -delete`,
    `tmp=$(mktemp ${dir}/.${baseOf(t.path)}.quantlab-XXXXXX)`,
    ...(verify === "none" ? [`trap 'rm -f -- "$tmp"' EXIT`] : [`vdir=""`, `trap 'rm -f -- "$tmp"; [ -z "$vdir" ] || rm -rf -- "$vdir"' EXIT`]),
    `cat > "$tmp"`,
    `[ "$(sha256sum < "$tmp" | cut -c1-64)" = ${sha256} ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }`,
    `chown ${t.owner}:${t.group} "$tmp"`,
    `chmod ${t.mode} "$tmp"`,
    ...verifyCommands(verify, t.path),
    `sync "$tmp"`,
    `mv -f -- "$tmp" ${t.path}`,
    "trap - EXIT",
    ...reloadCommands(t.onChange, t.path, "write"),
  ].join("\n");
}

/** Prints `mode owner group sha256` of the file, or `absent`. */
export function statFileScript(path: string): string {
  checkPath(path);
  return `if [ -f ${path} ]; then printf '%s ' "$(stat -c '%a %U %G' ${path})"; sha256sum < ${path} | cut -c1-64; else echo absent; fi`;
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
  if (!m) throw new Error(`host provider: unexpected stat output ${JSON.stringify(line.slice(0, 200))}`);
  return { mode: m[1]!.padStart(4, "0"), owner: m[2]!, group: m[3]!, sha256: m[4]! };
}

export function deleteFileScript(path: string, onChange: ReloadAction): string {
  checkPath(path);
  return ["set -eu", `rm -f -- ${path}`, ...reloadCommands(onChange, path, "delete")].join("\n");
}

/** A health endpoint on the host's loopback. */
export interface HealthProbe {
  /** e.g. http://127.0.0.1:3030/health */
  readonly url: string;
  /** The bearer token is sent (as a header file on stdin, never in argv). */
  readonly withToken: boolean;
}

const PROBE_URL = /^http:\/\/127\.0\.0\.1:\d{1,5}\/[A-Za-z0-9_/.-]*$/;

/** The bearer header line curlStatus reads from stdin (curl -H @-), or "" without a token. */
export const bearer = (token: string | undefined): string => (token ? `Authorization: Bearer ${token}\n` : "");

/** The curl that prints a health endpoint's HTTP status (000: nothing answered); with a token, the header line comes from stdin. */
export function curlStatus(probe: HealthProbe, maxTime = 5): string {
  check(PROBE_URL.test(probe.url), "health URL", probe.url);
  return `curl -s -o /dev/null -w '%{http_code}' --max-time ${maxTime} ${probe.withToken ? "-H @- " : ""}${probe.url}`;
}

/**
 * Prints the unit's LoadState, UnitFileState and ActiveState, the sha256 (or
 * `absent`) of each file it reads, and its health endpoint's HTTP status
 * (000 when nothing answers). With a token, stdin holds the header line.
 */
export function unitStateScript(unit: string, reads: readonly string[], probe?: HealthProbe): string {
  checkUnit(unit);
  reads.forEach(checkPath);
  const curl = probe ? curlStatus(probe) : "";
  return [
    `systemctl show -p LoadState,UnitFileState,ActiveState ${unit}`,
    ...reads.map((p) => `if [ -f ${p} ]; then echo "read ${p} $(sha256sum < ${p} | cut -c1-64)"; else echo "read ${p} absent"; fi`),
    ...(probe ? [`echo "health $(${curl})"`] : []),
  ].join("\n");
}

export interface UnitState {
  readonly loaded: boolean;
  readonly enabled: boolean;
  readonly active: boolean;
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
    reads,
    ...(health !== undefined ? { health } : {}),
  };
}

/** Stops and disables the unit when systemd knows it; nothing when it is gone already. */
export function deactivateScript(unit: string): string {
  checkUnit(unit);
  return ["set -eu", `if systemctl cat ${unit} >/dev/null 2>&1; then systemctl disable --now --quiet ${unit}; fi`].join("\n");
}

/** Node program that writes a JSON list of {path, mode, content(base64)} from stdin under argv[1], each file atomically. */
const EXTRACT =
  'const fs=require("fs"),path=require("path");const root=process.argv[1];' +
  'for(const f of JSON.parse(fs.readFileSync(0,"utf8"))){const p=path.join(root,f.path);' +
  'fs.mkdirSync(path.dirname(p),{recursive:true});const t=p+".quantlab-tmp";' +
  'fs.writeFileSync(t,Buffer.from(f.content,"base64"),{mode:parseInt(f.mode,8)});fs.chmodSync(t,parseInt(f.mode,8));fs.renameSync(t,p);}';

/** Checks a bundle's relative file path (no absolute path, no .., plain characters). */
export function checkRelative(path: string): string {
  check(!path.startsWith("/") && SAFE.test(path) && !path.split("/").includes(".."), "relative path", path);
  return path;
}

/** Writes the bundle on stdin under `root` as `user` (who owns the code). */
export function writeBundleScript(root: string, user: string): string {
  checkPath(root);
  check(NAME.test(user), "user", user);
  return `set -eu\nrunuser -u ${user} -- /usr/bin/node -e '${EXTRACT}' ${root}`;
}

/** Prints `<sha256|absent> <path>` for each bundle file. */
export function statBundleScript(root: string, files: readonly string[]): string {
  checkPath(root);
  files.forEach(checkRelative);
  return [`cd ${root} 2>/dev/null || exit 0`, ...files.map((f) => `if [ -f ${f} ]; then echo "$(sha256sum < ${f} | cut -c1-64) ${f}"; else echo "absent ${f}"; fi`)].join("\n");
}

export function deleteBundleScript(root: string, files: readonly string[]): string {
  checkPath(root);
  files.forEach(checkRelative);
  return files.length === 0 ? "true" : `set -eu\ncd ${root} 2>/dev/null || exit 0\nrm -f -- ${files.join(" ")}`;
}

/** A command the host must have, and the Debian package that provides it. */
export interface ToolSpec {
  readonly package: string;
  readonly command: string;
}

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const COMMAND = /^[A-Za-z0-9_.+-]+$/;

function toolPairs(tools: readonly ToolSpec[]): string {
  for (const t of tools) {
    check(PACKAGE.test(t.package), "package", t.package);
    check(COMMAND.test(t.command), "command", t.command);
  }
  return tools.map((t) => `${t.package}:${t.command}`).join(" ");
}

/** Prints `<package> present|absent` for each tool, by whether its command is on the PATH. */
export function toolsStateScript(tools: readonly ToolSpec[]): string {
  return [
    `for spec in ${toolPairs(tools)}; do`,
    `  if command -v "\${spec#*:}" >/dev/null 2>&1; then echo "\${spec%%:*} present"; else echo "\${spec%%:*} absent"; fi`,
    "done",
  ].join("\n");
}

export function parseToolsState(out: string): Record<string, boolean> {
  const state: Record<string, boolean> = {};
  for (const m of out.matchAll(/^(\S+) (present|absent)$/gm)) state[m[1]!] = m[2] === "present";
  return state;
}

/**
 * Installs the packages whose command is missing, with apt-get (refreshing
 * the package lists once if the first try fails). When that is impossible
 * (no apt-get, no package source) it fails, printing the exact command to run.
 */
export function installToolsScript(tools: readonly ToolSpec[]): string {
  return [
    "set -u",
    "missing=''",
    `for spec in ${toolPairs(tools)}; do command -v "\${spec#*:}" >/dev/null 2>&1 || missing="$missing \${spec%%:*}"; done`,
    '[ -n "$missing" ] || exit 0',
    "export DEBIAN_FRONTEND=noninteractive",
    "log=$(mktemp)",
    `trap 'rm -f "$log"' EXIT`,
    'if command -v apt-get >/dev/null 2>&1 && { apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1 || { apt-get update -q >>"$log" 2>&1 && apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; }; }; then exit 0; fi',
    'tail -n 5 "$log" >&2',
    'echo "cannot install the host tools:$missing (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y$missing" >&2',
    "exit 1",
  ].join("\n");
}
