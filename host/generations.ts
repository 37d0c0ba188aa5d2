/**
 * Generations: what a host ran when every one of its services last passed
 * its gates, kept on the host so a failed run (or an operator) can put the
 * whole host back. Root-only, under STATE_ROOT:
 *
 *   store/<sha256>           each file version a generation names (0600)
 *   generations/<n>.json     the record: files, code, units (made by the provider)
 *   current                  the generation the host is on
 *
 * A record is written atomically under a lock, after every blob it names is
 * in the store (each copy checked against its hash); the oldest records past
 * `keep` are pruned with the blobs no remaining record names.
 */
import { STATE_ROOT } from "../model/paths";
import { asUser, lines, root, ROOT_WHO, type Script } from "./script";
import { int, path, sha256, user, word } from "./values";

export const GENERATIONS_DIR = `${STATE_ROOT}/generations`;
export const STORE_DIR = `${STATE_ROOT}/store`;
const CURRENT = `${STATE_ROOT}/current`;

/** A file a generation holds: where it lives and who may read it there (root, or the runtime user for its tree). */
export interface StoredFile {
  readonly path: string;
  readonly sha256: string;
  /** The runtime user, for a file in that user's tree; undefined for root's files. */
  readonly reader?: string;
}

const state = path(STATE_ROOT);
const store = path(STORE_DIR);
const gens = path(GENERATIONS_DIR);
const current = path(CURRENT);
const lock = path(`${STATE_ROOT}/generations.lock`);

const incoming = path(`${STORE_DIR}/.incoming`);

/**
 * Copies the files whose blobs the store lacks into `.incoming/<sha256>`:
 * root's with a `cat` each; the runtime user's by one process of that user,
 * which writes each file into the blob root opened for it and handed over
 * by number (root names and opens the blob, the user only fills it, as its
 * `cat` did before; the user's paths are in the user's script only).
 */
function collect(files: readonly StoredFile[]): Script[] {
  const missing = (f: StoredFile) => {
    const s = sha256(f.sha256);
    return root`! [ -f ${store}/${s} ] && [ -z "\${src[${s}]:-}" ]`;
  };
  const take = (f: StoredFile) => {
    const s = sha256(f.sha256);
    return root`src[${s}]=${word(f.path)}; order+=(${s})`;
  };
  const readers = [...new Set(files.flatMap((f) => (f.reader ? [f.reader] : [])))];
  return [
    ...files
      .filter((f) => !f.reader)
      .map((f) => {
        const file = path(f.path);
        return root`if ${missing(f)}; then ${take(f)}; cat -- ${file} > ${incoming}/${sha256(f.sha256)} || bad ${word(f.path)}; fi`;
      }),
    ...readers.flatMap((reader) => {
      const own = files.filter((f) => f.reader === reader);
      const paths = own.map((f) => path(f.path));
      return [
        root`fds=(); opened=""`,
        ...own.map(
          (f) =>
            root`if ${missing(f)}; then ${take(f)}; exec {fd}> ${incoming}/${sha256(f.sha256)}; fds+=("$fd"); opened=1; else fds+=(-); fi`,
        ),
        root`[ -z "$opened" ] || printf '%s\n' "\${fds[@]}" | ${asUser(user(reader))`for f in ${paths}; do read -r fd; [ "$fd" = - ] || cat -- "$f" >&"$fd" || :; done`} || :`,
      ];
    }),
  ];
}

/**
 * Stores the files' blobs, then writes the record on stdin as the next
 * generation and makes it current; prints `generation <n>`. Keeps the newest
 * `keep` records (never the current one's blobs). The new blobs are checked
 * against their hashes by one `sha256sum` and moved into the store by one
 * `mv`; a file that no longer holds its hash is named and nothing is
 * recorded.
 */
export function recordGenerationScript(files: readonly StoredFile[], keep: number): Script {
  const k = int(keep, 1, 1000);
  return lines(ROOT_WHO, [
    root`set -eu`,
    root`umask 077`,
    root`install -d -m 0700 ${state} ${store} ${gens}`,
    root`exec 9>${lock}`,
    root`flock -w 60 9`,
    root`rm -rf -- ${incoming}`,
    root`install -d -m 0700 ${incoming}`,
    root`inc=${incoming}; trap 'rm -rf -- "$inc"' EXIT`,
    root`bad() { printf '%s changed after its services passed their gates; no generation recorded\n' "$1" >&2; exit 1; }`,
    root`declare -A src=() ok=() named=(); order=()`,
    ...collect(files),
    root`if [ \${#order[@]} -gt 0 ]; then`,
    root`  while read -r h f; do if [ "$h" = "\${f##*/}" ]; then ok[$h]=1; fi; done < <(sha256sum -- ${incoming}/*)`,
    root`  for s in "\${order[@]}"; do [ -n "\${ok[$s]:-}" ] || bad "\${src[$s]}"; done`,
    root`  mv -f -t ${store} -- ${incoming}/*`,
    root`fi`,
    root`last=$(ls ${gens} | sed -n 's/^\([0-9][0-9]*\)\.json$/\1/p' | sort -n | tail -n 1)`,
    root`n=$(( \${last:-0} + 1 ))`,
    root`cat > ${gens}/.next.tmp`,
    root`sync ${gens}/.next.tmp`,
    root`mv -f ${gens}/.next.tmp ${gens}/$n.json`,
    root`echo "$n" > ${current}.tmp && mv -f ${current}.tmp ${current}`,
    root`ls ${gens} | sed -n 's/^\([0-9][0-9]*\)\.json$/\1/p' | sort -n | head -n -${k} | while read -r old; do rm -f ${gens}/"$old".json; done`,
    // The blobs no remaining record names: every hash the records hold, read once.
    root`while read -r s; do named[$s]=1; done < <(cat ${gens}/*.json | grep -o '[0-9a-f]\{64\}' || :)`,
    root`drop=(); for b in ${store}/*; do if [ -f "$b" ] && [ -z "\${named[\${b##*/}]:-}" ]; then drop+=("$b"); fi; done`,
    root`[ \${#drop[@]} -eq 0 ] || rm -f -- "\${drop[@]}"`,
    root`echo "generation $n"`,
  ]);
}

/** Prints `current <n|none>`, then each generation as `gen <n> <json>`, oldest first. */
export function listGenerationsScript(): Script {
  return lines(ROOT_WHO, [
    root`echo "current $(cat ${current} 2>/dev/null || echo none)"`,
    root`[ -d ${gens} ] || exit 0`,
    root`for n in $(ls ${gens} | sed -n 's/^\([0-9][0-9]*\)\.json$/\1/p' | sort -n); do printf 'gen %s %s\n' "$n" "$(tr -d '\n' < ${gens}/"$n".json)"; done`,
  ]);
}

/** Prints one stored blob (a file version a generation holds). */
export function blobScript(sha: string): Script {
  return root`cat -- ${store}/${sha256(sha)}`;
}

/** Makes generation n current (after a rollback to it). */
export function markCurrentScript(n: number): Script {
  const gen = int(n, 1, 1_000_000_000);
  return lines(ROOT_WHO, [
    root`set -eu`,
    root`[ -f ${gens}/${gen}.json ]`,
    root`echo ${gen} > ${current}.tmp && mv -f ${current}.tmp ${current}`,
  ]);
}

export interface Listed<R> {
  readonly current?: number;
  readonly generations: readonly { readonly n: number; readonly record: R }[];
}

/** Parses listGenerationsScript's output. */
export function parseGenerations<R>(out: string): Listed<R> {
  let cur: number | undefined;
  const generations: { n: number; record: R }[] = [];
  for (const line of out.split("\n")) {
    const c = /^current (\d+|none)$/.exec(line);
    const g = /^gen (\d+) (.*)$/.exec(line);
    if (c) cur = c[1] === "none" ? undefined : Number(c[1]);
    else if (g) generations.push({ n: Number(g[1]), record: JSON.parse(g[2]!) as R });
  }
  return { ...(cur !== undefined ? { current: cur } : {}), generations };
}
