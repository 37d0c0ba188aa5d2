/**
 * The rollout's host side, as pure functions from typed arguments to script
 * text (like scripts.ts): a (re)start that is done only when the service
 * passes its health gate, and the "last good" copies of the files a service
 * reads, recorded when it passes and restored when a change fails.
 *
 * Everything runs on the host, over the one SSH connection: the health
 * endpoint is asked on the host's loopback, so no service port has to be
 * reachable from the operator's machine. A bearer token arrives on stdin and
 * reaches curl on its stdin (never in a command line).
 */
import { checkPath, checkUnit, curlStatus, type HealthProbe } from "./scripts";

/** Where the last good copies live: root-only, one tree per unit (env files hold tokens). */
export const GOOD_ROOT = "/var/lib/quantlab-infra/good";

/** A service without a health endpoint passes once it has stayed active, same process, this long. */
export const SETTLE_SECONDS = 3;

export interface GateArgs {
  readonly unit: string;
  /** "restart" (something it reads changed, or it was unhealthy) or "start" (it was merely stopped). */
  readonly how: "restart" | "start";
  /** Health endpoint on the host's loopback; without one, the settle rule applies. */
  readonly probe?: HealthProbe;
  /** The whole gate, (re)start included, must pass within this many seconds. */
  readonly timeoutSeconds: number;
  /** See SETTLE_SECONDS. */
  readonly settleSeconds: number;
  /**
   * Files that must hold exactly these sha-256 before anything is (re)started
   * (the version this run means to start). A mismatch fails the script, and
   * nothing is touched. @default {} (no check)
   */
  readonly expect?: Readonly<Record<string, string>>;
}

const SHA256 = /^[0-9a-f]{64}$/;

function seconds(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new Error(`host provider: invalid ${what} ${JSON.stringify(n)}`);
  return n;
}

const hashOf = (path: string) => `$( { sha256sum < ${path} | cut -c1-64; } 2>/dev/null)`;

/**
 * (Re)starts the unit without waiting on systemd's job, then polls until it
 * passes or the deadline ends. Passing: with a probe, the unit is active in a
 * new invocation (after a restart; state and invocation read in one call)
 * and only then the endpoint answers 200 (so the answer cannot come from the
 * process being replaced); without, the
 * unit has been active with the same main PID for `settleSeconds` (a crash
 * loop gets a new PID each time). Always exits 0 with `gate passed <ms>`, or
 * `gate failed <reason>`, a `journal:` line and the unit's last 30 journal
 * lines (see parseGate); exits 1 only when an `expect` file differs.
 */
export function gateScript(g: GateArgs): string {
  const unit = checkUnit(g.unit);
  const timeout = seconds(g.timeoutSeconds, "health timeout");
  const settle = seconds(g.settleSeconds, "settle time");
  const expect = Object.entries(g.expect ?? {});
  for (const [path, sha] of expect) {
    checkPath(path);
    if (!SHA256.test(sha)) throw new Error(`host provider: invalid sha256 ${JSON.stringify(sha)}`);
  }
  const probe = g.probe;
  const curl = probe ? (probe.withToken ? `code=$(printf '%s\\n' "$header" | ${curlStatus(probe, 2)})` : `code=$(${curlStatus(probe, 2)})`) : "";
  const fresh = g.how === "restart" ? ` && [ "$inv" != "$before" ]` : "";
  const poll = probe
    ? [
        "  look",
        `  if [ "$state" = active ]${fresh}; then ${curl}; [ "$code" = 200 ] && pass; fi`,
        `  [ "$(now)" -lt "$deadline" ] || fail "no 200 from ${probe.url} within ${timeout} s (unit $state, last answer $code)"`,
      ]
    : [
        "  look",
        `  if [ "$state" = active ]${fresh} && [ "$pid" != 0 ]; then`,
        `    if [ "$pid" = "$pid0" ]; then [ $(( $(now) - since )) -lt ${settle * 1000} ] || pass; else pid0=$pid; since=$(now); fi`,
        `  else pid0=""; fi`,
        `  [ "$(now)" -lt "$deadline" ] || fail "not active with the same process for ${settle} s within ${timeout} s (unit $state)"`,
      ];

  return [
    "set -u",
    ...(probe?.withToken ? [`IFS= read -r header || true`] : []),
    ...expect.map(
      ([path, sha]) =>
        `[ "${hashOf(path)}" = ${sha} ] || { echo "${path} on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)" >&2; exit 1; }`,
    ),
    `now() { date +%s%3N; }`,
    `start=$(now)`,
    `deadline=$((start + ${timeout * 1000}))`,
    `pass() { echo "gate passed $(( $(now) - start ))"; exit 0; }`,
    `fail() { echo "gate failed $1"; echo "journal:"; journalctl -u ${unit} -n 30 --no-pager -o short-iso 2>&1; exit 0; }`,
    // One systemctl call per look: the state and the invocation it belongs to are read together.
    "look() {",
    `  state=""; inv=""; pid=0`,
    `  while IFS='=' read -r k v; do case "$k" in ActiveState) state=$v ;; InvocationID) inv=$v ;; MainPID) pid=$v ;; esac; done <<EOF`,
    `$(systemctl show -p ActiveState -p InvocationID -p MainPID ${unit})`,
    "EOF",
    "}",
    "look",
    "before=$inv",
    `err=$(systemctl enable --quiet ${unit} 2>&1 && systemctl ${g.how} --no-block ${unit} 2>&1) || fail "systemctl ${g.how} ${unit}: $(printf '%s' "$err" | tr '\\n' ' ')"`,
    ...(probe ? [`code=000`] : [`pid0=""`, `since=0`]),
    "while :; do",
    ...poll,
    "  sleep 0.25",
    "done",
  ].join("\n");
}

export type GateResult =
  | { readonly passed: true; readonly ms: number }
  | { readonly passed: false; readonly reason: string; readonly journal: readonly string[] };

/** Parses gateScript's output. */
export function parseGate(out: string): GateResult {
  const lines = out.replace(/\n$/, "").split("\n");
  const passed = /^gate passed (\d+)$/.exec(lines[0] ?? "");
  if (passed) return { passed: true, ms: Number(passed[1]) };
  const failed = /^gate failed (.*)$/.exec(lines[0] ?? "");
  if (failed && lines[1] === "journal:") return { passed: false, reason: failed[1]!, journal: lines.slice(2) };
  throw new Error(`host provider: unexpected health gate output ${JSON.stringify(out.slice(0, 200))}`);
}

/**
 * Records the files the unit just passed its gate on as its last good
 * version: copied (owner and mode kept) into a fresh root-only directory,
 * each copy checked against the sha-256 that passed, then swapped in with
 * one rename of the `<GOOD_ROOT>/<unit>` link, so a cut leaves the previous
 * set or the new one, never a mix.
 */
export function recordGoodScript(unit: string, reads: Readonly<Record<string, string>>, root = GOOD_ROOT): string {
  checkUnit(unit);
  checkPath(root);
  const files = Object.entries(reads);
  for (const [path, sha] of files) {
    checkPath(path);
    if (!SHA256.test(sha)) throw new Error(`host provider: invalid sha256 ${JSON.stringify(sha)}`);
  }
  const dirs = [...new Set(files.map(([p]) => p.slice(0, p.lastIndexOf("/")) || "/"))];
  return [
    "set -eu",
    "umask 077",
    `install -d -m 0700 -o root -g root ${root.slice(0, root.lastIndexOf("/"))} ${root}`,
    `new=$(mktemp -d ${root}/${unit}.good-XXXXXX)`,
    `trap 'rm -rf -- "$new" "$new.link"' EXIT`,
    ...dirs.map((d) => `install -d -m 0700 "$new"${d}`),
    ...files.flatMap(([path, sha]) => [
      `cp -p -- ${path} "$new"${path}`,
      `[ "$(sha256sum < "$new"${path} | cut -c1-64)" = ${sha} ] || { echo "${path} changed after ${unit} passed its health gate; not recorded as good" >&2; exit 1; }`,
    ]),
    `ln -s "\${new##*/}" "$new.link"`,
    `mv -T -- "$new.link" ${root}/${unit}`,
    "trap - EXIT",
    // The previous set, and any set a cut run left half-recorded: only the linked one stays.
    `for d in ${root}/${unit}.good-*; do [ "\${d##*/}" = "\${new##*/}" ] || rm -rf -- "$d"; done`,
  ].join("\n");
}

/**
 * Puts the last good copy of each of `paths` back where the content differs
 * (atomically, owner and mode as recorded; a path with no good copy is left
 * alone), prints `restored <path>` for each, then reloads systemd. Fails, touching nothing,
 * when no version of the unit ever passed on this host.
 */
export function restoreGoodScript(unit: string, paths: readonly string[], root = GOOD_ROOT): string {
  checkUnit(unit);
  checkPath(root);
  paths.forEach(checkPath);
  const good = `${root}/${unit}`;
  return [
    "set -eu",
    "umask 077",
    `[ -d ${good}/ ] || { echo "no version of ${unit} has passed its health gate on this host yet: nothing to roll back to" >&2; exit 1; }`,
    `tmp=""`,
    `trap '[ -z "$tmp" ] || rm -f -- "$tmp"' EXIT`,
    ...paths.map((p) => {
      const dir = p.slice(0, p.lastIndexOf("/")) || "/";
      const base = p.slice(p.lastIndexOf("/") + 1);
      return `if [ -f ${good}${p} ] && ! cmp -s ${good}${p} ${p}; then tmp=$(mktemp ${dir}/.${base}.quantlab-XXXXXX); cp -p -- ${good}${p} "$tmp"; sync "$tmp"; mv -f -- "$tmp" ${p}; tmp=""; echo "restored ${p}"; fi`;
    }),
    "trap - EXIT",
    "systemctl daemon-reload",
  ].join("\n");
}

/** Drops the unit's last good copies (when the service is removed). */
export function forgetGoodScript(unit: string, root = GOOD_ROOT): string {
  checkUnit(unit);
  checkPath(root);
  return ["set -eu", `rm -f -- ${root}/${unit}`, `rm -rf -- ${root}/${unit}.good-*`].join("\n");
}
