/**
 * A code tree under the backend root, shipped as a tarball on stdin and
 * written by the runtime user who owns that tree (root never works inside
 * it): extracted into a staging directory, checked against its sha-256, then
 * each file renamed into place, so a cut connection leaves every file either
 * old or new. File lists travel on stdin too (one path a line), as data.
 */
import { asUser, lines, type Script } from "./script";
import { mode, path, relPath, sha256, user } from "./values";

/** Seconds an extract may take. */
export const BUNDLE_DEADLINE_S = 300;

/** Writes the tarball on stdin under `root` as `owner`; the archive must hash to `sha`. */
export function writeBundleScript(rootDir: string, owner: string, sha: string): Script {
  const dir = path(rootDir);
  const u = asUser(user(owner));
  return lines({ kind: "user", user: owner }, [
    u`set -eu`,
    u`[ -d ${dir} ] || { echo "directory ${dir} does not exist" >&2; exit 1; }`,
    u`cd ${dir}`,
    // A staging directory (or its tarball) of a run killed before its trap ran: gone once a minute old.
    u`find . -maxdepth 1 -name '.quantlab-stage.*' -mmin +1 -exec rm -rf -- {} +`,
    u`stage=$(mktemp -d .quantlab-stage.XXXXXX)`,
    u`trap 'rm -rf -- "$stage" "$stage.tar"' EXIT`,
    u`cat > "$stage.tar"`,
    u`[ "$(sha256sum < "$stage.tar" | cut -c1-64)" = ${sha256(sha)} ] || { echo "code arrived incomplete (checksum mismatch)" >&2; exit 1; }`,
    u`tar -x --no-same-owner -f "$stage.tar" -C "$stage"`,
    u`(cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' f; do mkdir -p -- "$(dirname -- "$f")"; mv -f -- "$stage/$f" "$f"; done`,
  ]);
}

/** Prints `<sha256|absent> <path>` for each path on stdin (relative to `root`), as `owner`; nothing when `root` is missing. */
export function statBundleScript(rootDir: string, owner: string): Script {
  const dir = path(rootDir);
  const u = asUser(user(owner));
  return lines({ kind: "user", user: owner }, [
    u`cd ${dir} 2>/dev/null || { cat >/dev/null; exit 0; }`,
    u`while IFS= read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$(sha256sum < "$f" | cut -c1-64) $f"; else echo "absent $f"; fi; done`,
  ]);
}

/** statBundleScript's output: path -> sha256 (or `absent`). */
export function parseBundleHashes(out: string): Map<string, string> {
  return new Map(
    out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.slice(l.indexOf(" ") + 1), l.slice(0, l.indexOf(" "))] as const),
  );
}

/**
 * statBundleScript with the paths in the script (for a snapshot, whose stdin
 * is taken), and one sha256sum for all of them: every refresh runs it, and a
 * process per file was most of its time. Paths are checked words (no space,
 * backslash or newline), so sha256sum's lines split plainly.
 */
export function statBundleFilesScript(rootDir: string, owner: string, files: readonly string[]): Script {
  const dir = path(rootDir);
  const u = asUser(user(owner));
  const list = files.map(relPath);
  return lines({ kind: "user", user: owner }, [
    u`cd ${dir} 2>/dev/null || exit 0`,
    u`set --; for f in ${list}; do if [ -f "$f" ] && [ ! -L "$f" ]; then set -- "$@" "$f"; fi; done`,
    u`declare -A h=(); if [ $# -gt 0 ]; then while read -r s f; do h[$f]=$s; done < <(sha256sum -- "$@"); fi`,
    u`for f in ${list}; do if [ -n "\${h[$f]:-}" ]; then echo "\${h[$f]} $f"; else echo "absent $f"; fi; done`,
  ]);
}

/** Removes the paths on stdin (relative to `root`), as `owner`. */
export function deleteBundleScript(rootDir: string, owner: string): Script {
  const dir = path(rootDir);
  const u = asUser(user(owner));
  return lines({ kind: "user", user: owner }, [
    u`set -eu`,
    u`cd ${dir} 2>/dev/null || { cat >/dev/null; exit 0; }`,
    u`while IFS= read -r f; do rm -f -- "$f"; done`,
  ]);
}

/** Writes stdin to `root/rel` atomically as `owner` (a rollback putting one code file back); stdin must hash to `sha`. */
export function writeCodeFileScript(rootDir: string, rel: string, fileMode: string, owner: string, sha: string): Script {
  const u = asUser(user(owner));
  const r = relPath(rel);
  return lines({ kind: "user", user: owner }, [
    u`set -eu`,
    u`cd ${path(rootDir)}`,
    u`mkdir -p -- "$(dirname -- ${r})"`,
    u`tmp=$(mktemp "$(dirname -- ${r})/.quantlab-restore.XXXXXX")`,
    u`trap 'rm -f -- "$tmp"' EXIT`,
    u`cat > "$tmp"`,
    u`[ "$(sha256sum < "$tmp" | cut -c1-64)" = ${sha256(sha)} ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }`,
    u`chmod ${mode(fileMode)} "$tmp"`,
    u`mv -f -- "$tmp" ${r}`,
    u`trap - EXIT`,
  ]);
}
