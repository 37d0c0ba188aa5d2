/**
 * The health gate, the one way anything this package (re)starts is judged,
 * for `up`, `restart` and a rollback alike. Two steps, both run on the host
 * over the one connection (endpoints are asked on the host's loopback; a
 * bearer token arrives on stdin and reaches curl on its stdin):
 *
 * - gateScript, per unit: enable it (its symlinks only: see below), (re)start
 *   it and wait for systemd's job (the moment the unit is active, with no
 *   polling delay), then poll until the unit is active in a new invocation
 *   and, with an endpoint, the endpoint answers 200 (asked only once the new
 *   invocation is active, so the process being replaced cannot answer), or
 *   the deadline ends. A failed job does not end the gate by itself: a unit
 *   that systemd restarts (Restart=on-failure) may still pass in time. The
 *   next startup level may start as soon as it passes.
 * - settleScript, once per run for every unit it started: one daemon-reload,
 *   then each must still be active in the invocation that passed, for at
 *   least the settle time since it became active (a service that dies after
 *   starting, endpoint or not, is caught here), its endpoint still 200. One
 *   wait for the whole run, in parallel, instead of a settle per level.
 *
 * A plain `systemctl enable` reloads the whole manager after making its
 * symlinks (about 0.3 s in PID 1, and reloads do not overlap), on the
 * critical path of every level. The gate enables with --no-reload: the unit
 * file itself is already loaded (its writer's reload, host/reload.ts), and
 * starting it needs nothing more. The one reload that makes the manager see
 * the new symlinks (its cached enablement, the targets' wants) is the
 * settle's, which runs inside the settle's wait.
 */
import { curlStatus, readShowBlocks, type HealthProbe } from "./units";
import { DAEMON_RELOAD } from "./reload";
import { asUser, lines, root, ROOT_WHO, type Script } from "./script";
import { int, path, probeUrl, sha256, unit as unitValue, user, word } from "./values";

/** A (re)started unit must stay up, in the same invocation, this long before a run may record it as good. */
export const SETTLE_SECONDS = 3;
/** Journal lines shown for a unit that failed its gate. */
export const JOURNAL_LINES = 30;

export interface GateArgs {
  readonly unit: string;
  /** "restart" (something it reads changed, or it was unhealthy) or "start" (it was merely stopped). */
  readonly how: "restart" | "start";
  /** Health endpoint on the host's loopback. @default none */
  readonly probe?: HealthProbe;
  /** The whole gate, (re)start included, must pass within this many seconds. */
  readonly timeoutSeconds: number;
  /**
   * Files that must hold exactly these sha-256 before anything is
   * (re)started (the version this run means to start). A mismatch fails the
   * script, and nothing is touched. @default {} (no check)
   */
  readonly expect?: Readonly<Record<string, string>>;
  /** Who hashes an expected file in the runtime user's tree (root never reads there). */
  readonly reader?: string;
}

const journal = (u: ReturnType<typeof unitValue>): Script =>
  root`journalctl -u ${u} -n ${int(JOURNAL_LINES, 1, 1000)} --no-pager -o short-iso 2>&1`;

/** Reads ActiveState, InvocationID and MainPID of the unit into $state, $inv, $pid with one systemctl call. */
const lookFunction = (u: ReturnType<typeof unitValue>): Script[] => [
  root`look() {`,
  root`  state=""; inv=""; pid=0`,
  root`  while IFS='=' read -r k v; do case "$k" in ActiveState) state=$v ;; InvocationID) inv=$v ;; MainPID) pid=$v ;; esac; done <<EOF`,
  root`$(systemctl show -p ActiveState -p InvocationID -p MainPID ${u})`,
  root`EOF`,
  root`}`,
];

/**
 * Prints `gate passed <ms> <invocation>`, or `gate failed <reason>`, a
 * `journal:` line and the unit's last journal lines (see parseGate); always
 * exits 0, except 1 when an `expect` file differs (nothing was touched).
 */
export function gateScript(g: GateArgs): Script {
  const u = unitValue(g.unit);
  const timeout = int(g.timeoutSeconds, 1, 3600);
  const ms = int(g.timeoutSeconds * 1000, 1000, 3_600_000);
  const probe = g.probe;
  const fresh = g.how === "restart" ? root` && [ "$inv" != "$before" ]` : root``;
  const verb = g.how === "restart" ? root`restart` : root`start`;
  const curl = probe
    ? probe.withToken
      ? root`code=$(printf '%s\n' "$header" | ${curlStatus(probe, 2)})`
      : root`code=$(${curlStatus(probe, 2)})`
    : root``;
  const poll = probe
    ? [
        root`  look`,
        root`  if [ "$state" = active ]${fresh}; then ${curl}; [ "$code" = 200 ] && pass; fi`,
        root`  [ "$(now)" -lt "$deadline" ] || fail "no 200 from $url within ${timeout} s (unit $state, last answer $code)"`,
      ]
    : [
        root`  look`,
        root`  if [ "$state" = active ]${fresh} && [ "$pid" != 0 ]; then pass; fi`,
        root`  [ "$(now)" -lt "$deadline" ] || fail "not active within ${timeout} s (unit $state)"`,
      ];
  return lines(ROOT_WHO, [
    root`set -u`,
    ...(probe?.withToken ? [root`IFS= read -r header || true`] : []),
    ...Object.entries(g.expect ?? {}).map(([p, sha]) => {
      const file = path(p);
      if (file.tree === "runtime" && !g.reader) throw new TypeError(`gate: ${p} is in the runtime user's tree: name its reader`);
      const hash =
        file.tree === "root" ? root`sha256sum < ${file} | cut -c1-64` : root`${asUser(user(g.reader!))`sha256sum < ${file} | cut -c1-64`}`;
      return root`[ "$( { ${hash}; } 2>/dev/null)" = ${sha256(sha)} ] || { printf '%s on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)\n' ${word(p)} >&2; exit 1; }`;
    }),
    ...(probe ? [root`url=${probeUrl(probe.url)}`] : []),
    root`now() { date +%s%3N; }`,
    root`start=$(now)`,
    root`deadline=$((start + ${ms}))`,
    root`pass() { echo "gate passed $(( $(now) - start )) $inv"; exit 0; }`,
    root`fail() { echo "gate failed $1"; echo "journal:"; ${journal(u)}; exit 0; }`,
    ...lookFunction(u),
    root`look`,
    root`before=$inv`,
    // systemctl waits for the job (the unit active, its ExecStartPost done), at most the gate's time. A job that ran
    // and failed (a new invocation) is not the end: Restart=on-failure may still bring the unit up before the deadline,
    // so the polling below judges it. One that never ran (refused, not found: no new invocation) fails at once.
    root`err=$(systemctl enable --quiet --no-reload ${u} 2>&1 && timeout ${timeout} systemctl ${verb} ${u} 2>&1) || { rc=$?; look; [ "$rc" = 124 ] || [ "$inv" != "$before" ] || fail "systemctl ${verb} ${u}: $(printf '%s' "$err" | tr '\n' ' ')"; }`,
    ...(probe ? [root`code=000`] : []),
    root`while :; do`,
    ...poll,
    root`  sleep 0.25`,
    root`done`,
  ]);
}

export type GateResult =
  | { readonly passed: true; readonly ms: number; readonly invocation: string }
  | { readonly passed: false; readonly reason: string; readonly journal: readonly string[] };

/** Parses gateScript's output. */
export function parseGate(out: string): GateResult {
  const outLines = out.replace(/\n$/, "").split("\n");
  const passed = /^gate passed (\d+) ?(\S*)$/.exec(outLines[0] ?? "");
  if (passed) return { passed: true, ms: Number(passed[1]), invocation: passed[2] ?? "" };
  const failed = /^gate failed (.*)$/.exec(outLines[0] ?? "");
  if (failed && outLines[1] === "journal:") return { passed: false, reason: failed[1]!, journal: outLines.slice(2) };
  throw new Error(`unexpected health gate output ${JSON.stringify(out.slice(0, 200))}`);
}

export interface Started {
  readonly unit: string;
  /** The invocation that passed its gate. */
  readonly invocation: string;
  readonly probe?: HealthProbe;
}

/**
 * Waits until every unit has been active for `settleSeconds` in the invocation
 * that passed its gate (or fails at once when one is not active any more or
 * runs a new invocation: it died and restarted), then asks each endpoint once
 * more. Prints `settled <unit>` or `unsettled <unit> <reason>` followed by a
 * `journal:` block, per unit. Token header lines arrive on stdin, one per
 * unit with a token, in order.
 */
export function settleScript(units: readonly Started[], settleSeconds = SETTLE_SECONDS): Script {
  int(settleSeconds, 1, 600); // the error names the seconds it was given
  const settleMs = int(settleSeconds * 1000, 1000, 600_000);
  let tokens = 0;
  const checks = units.map((s, i) => {
    const u = unitValue(s.unit);
    const inv = s.invocation ? word(s.invocation) : word("-");
    const n = int(i, 0, 9999);
    // Each endpoint is asked at once after the wait, its answer read in the unit's turn (fd in $probe_<i>).
    const ask = s.probe
      ? s.probe.withToken
        ? root`exec {probe_${n}}< <(printf '%s\n' "\${headers[${int(tokens++, 0, 999)}]}" | ${curlStatus(s.probe, 5)})`
        : root`exec {probe_${n}}< <(${curlStatus(s.probe, 5)})`
      : undefined;
    const curl = s.probe ? root`code=$(cat <&"$probe_${n}"); [ "$code" = 200 ] || bad ${u} "health answers $code"` : root`:`;
    return { u, inv, n, ask, curl };
  });
  return lines(ROOT_WHO, [
    root`set -u`,
    root`headers=(); while IFS= read -r l; do headers+=("$l"); done`,
    root`bad() { echo "unsettled $1 $2"; echo "journal:"; journalctl -u "$1" -n ${int(JOURNAL_LINES, 1, 1000)} --no-pager -o short-iso 2>&1; echo "end journal"; }`,
    // Milliseconds each unit has been active: now (/proc/uptime, centiseconds, cut down) minus
    // ActiveEnterTimestampMonotonic (microseconds). The wait is to the millisecond (whole seconds rounded a unit's
    // time down, and so waited up to a second more than the settle time). /proc/uptime counts time suspended too,
    // the monotonic clock does not: on a host that was suspended a unit would seem up longer than it was.
    root`up_ms() { local t; t=$(systemctl show -p ActiveEnterTimestampMonotonic --value "$1"); echo $(( ($(cut -d' ' -f1 /proc/uptime | tr -d .)0000 - t) / 1000 )); }`,
    // The gates enabled their units without a reload (see the module comment): the manager's one reload for the run,
    // before the wait is measured, so it costs nothing unless a unit is already past the settle time.
    root`if ! err=$(${DAEMON_RELOAD} 2>&1); then`,
    ...checks.map((c) => root`  bad ${c.u} "systemctl daemon-reload failed: $(printf '%s' "$err" | tr '\n' ' ')"`),
    root`  exit 0`,
    root`fi`,
    root`wait_ms=0`,
    ...checks.map(
      (c) =>
        root`s=$(up_ms ${c.u}); [ "$s" -ge ${settleMs} ] || { [ $((${settleMs} - s)) -le "$wait_ms" ] || wait_ms=$((${settleMs} - s)); }`,
    ),
    root`[ "$wait_ms" -le 0 ] || sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"`,
    // After the wait, one look for every unit (a block each, in the units' order) and every endpoint asked at once.
    ...checks.flatMap((c) => (c.ask ? [c.ask] : [])),
    root`n=0; blocks=(); ${readShowBlocks(
      root`ActiveState,InvocationID`,
      checks.map((c) => c.u),
    )}`,
    root`now() { local k v a="" i=""; while IFS='=' read -r k v; do case "$k" in ActiveState) a=$v ;; InvocationID) i=$v ;; esac; done <<< "\${blocks[$1]:-}"; echo "ActiveState=$a InvocationID=$i "; }`,
    ...checks.flatMap((c) => [
      root`st=$(now ${c.n})`,
      root`case "$st" in "ActiveState=active InvocationID="${c.inv}" ") ${c.curl}; [ "\${code:-200}" = 200 ] && echo "settled "${c.u} ;; *) bad ${c.u} "not running the invocation that passed its gate (now: $st)" ;; esac`,
      root`code=`,
    ]),
  ]);
}

export type SettleResult =
  | { readonly unit: string; readonly settled: true }
  | { readonly unit: string; readonly settled: false; readonly reason: string; readonly journal: readonly string[] };

/** Parses settleScript's output, one result per unit. */
export function parseSettle(out: string): SettleResult[] {
  const results: SettleResult[] = [];
  const outLines = out.split("\n");
  for (let i = 0; i < outLines.length; i++) {
    const line = outLines[i]!;
    const ok = /^settled (\S+)$/.exec(line);
    const bad = /^unsettled (\S+) (.*)$/.exec(line);
    if (ok) results.push({ unit: ok[1]!, settled: true });
    else if (bad && outLines[i + 1] === "journal:") {
      const end = outLines.indexOf("end journal", i + 2);
      results.push({ unit: bad[1]!, settled: false, reason: bad[2]!, journal: outLines.slice(i + 2, end < 0 ? undefined : end) });
      if (end > 0) i = end;
    }
  }
  return results;
}
