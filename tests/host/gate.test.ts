/**
 * The health gate and the settle (host/gate.ts): their whole script text,
 * their parsers, and both run by a real bash against stub systemctl,
 * journalctl, curl and runuser (fixtures/fakeUnits.ts) that play the units
 * and record how they were called.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { gateScript, parseGate, parseSettle, settleScript, type GateArgs } from "../../host/gate";
import { fakeUnits } from "../fixtures/fakeUnits";
import { runOnHost, scratchDir, stubLog } from "../fixtures/hostShell";

const TOKEN = "tok-gate-7f3a9c1e5b2d8f40";
const C = "c".repeat(64);
const D = "d".repeat(64);
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const scratch = scratchDir("gate");
afterAll(scratch.cleanup);

describe("gate script text", () => {
  it("probe with a token, expected files of root and of the runtime user: checks them, restarts and waits for the job (at most the gate's time), polls a new invocation for 200", () => {
    const s = gateScript({
      unit: "quantlab-a.service",
      how: "restart",
      probe: { url: "http://127.0.0.1:3051/health", withToken: true },
      timeoutSeconds: 30,
      expect: { "/etc/quantlab/a.env": C, "/srv/ql/core/.env": D },
      reader: "qlrun",
    });
    expect(s.who).toEqual({ kind: "root" });
    expect(s.text).toBe(String.raw`set -u
IFS= read -r header || true
[ "$( { sha256sum < '/etc/quantlab/a.env' | cut -c1-64; } 2>/dev/null)" = '${C}' ] || { printf '%s on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)\n' '/etc/quantlab/a.env' >&2; exit 1; }
[ "$( { runuser -u 'qlrun' -- env -C / bash -c 'sha256sum < '\''/srv/ql/core/.env'\'' | cut -c1-64'; } 2>/dev/null)" = '${D}' ] || { printf '%s on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)\n' '/srv/ql/core/.env' >&2; exit 1; }
url='http://127.0.0.1:3051/health'
now() { date +%s%3N; }
start=$(now)
deadline=$((start + 30000))
pass() { echo "gate passed $(( $(now) - start )) $inv"; exit 0; }
fail() { echo "gate failed $1"; echo "journal:"; journalctl -u 'quantlab-a.service' -n 30 --no-pager -o short-iso 2>&1; exit 0; }
look() {
  state=""; inv=""; pid=0
  while IFS='=' read -r k v; do case "$k" in ActiveState) state=$v ;; InvocationID) inv=$v ;; MainPID) pid=$v ;; esac; done <<EOF
$(systemctl show -p ActiveState -p InvocationID -p MainPID 'quantlab-a.service')
EOF
}
look
before=$inv
err=$(systemctl enable --quiet --no-reload 'quantlab-a.service' 2>&1 && timeout 30 systemctl restart 'quantlab-a.service' 2>&1) || { rc=$?; look; [ "$rc" = 124 ] || [ "$inv" != "$before" ] || fail "systemctl restart 'quantlab-a.service': $(printf '%s' "$err" | tr '\n' ' ')"; }
code=000
while :; do
  look
  if [ "$state" = active ] && [ "$inv" != "$before" ]; then code=$(printf '%s\n' "$header" | curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H @- 'http://127.0.0.1:3051/health'); [ "$code" = 200 ] && pass; fi
  [ "$(now)" -lt "$deadline" ] || fail "no 200 from $url within 30 s (unit $state, last answer $code)"
  sleep 0.25
done`);
  });

  it("no probe, plain start: active with a main process is enough (no new invocation asked of a merely stopped unit)", () => {
    expect(gateScript({ unit: "quantlab-w.service", how: "start", timeoutSeconds: 12 }).text).toBe(String.raw`set -u
now() { date +%s%3N; }
start=$(now)
deadline=$((start + 12000))
pass() { echo "gate passed $(( $(now) - start )) $inv"; exit 0; }
fail() { echo "gate failed $1"; echo "journal:"; journalctl -u 'quantlab-w.service' -n 30 --no-pager -o short-iso 2>&1; exit 0; }
look() {
  state=""; inv=""; pid=0
  while IFS='=' read -r k v; do case "$k" in ActiveState) state=$v ;; InvocationID) inv=$v ;; MainPID) pid=$v ;; esac; done <<EOF
$(systemctl show -p ActiveState -p InvocationID -p MainPID 'quantlab-w.service')
EOF
}
look
before=$inv
err=$(systemctl enable --quiet --no-reload 'quantlab-w.service' 2>&1 && timeout 12 systemctl start 'quantlab-w.service' 2>&1) || { rc=$?; look; [ "$rc" = 124 ] || [ "$inv" != "$before" ] || fail "systemctl start 'quantlab-w.service': $(printf '%s' "$err" | tr '\n' ' ')"; }
while :; do
  look
  if [ "$state" = active ] && [ "$pid" != 0 ]; then pass; fi
  [ "$(now)" -lt "$deadline" ] || fail "not active within 12 s (unit $state)"
  sleep 0.25
done`);
  });

  it("refuses anything that is not a plain unit, path, hash, loopback URL or sane number of seconds; a runtime file needs its reader", () => {
    const ok: GateArgs = { unit: "quantlab-a.service", how: "restart", timeoutSeconds: 30 };
    expect(() => gateScript({ ...ok, unit: "a; reboot" })).toThrow('host script: invalid unit name "a; reboot"');
    expect(() => gateScript({ ...ok, timeoutSeconds: 0 })).toThrow("host script: invalid integer 1-3600 0");
    expect(() => gateScript({ ...ok, timeoutSeconds: 2.5 })).toThrow("host script: invalid integer 1-3600 2.5");
    expect(() => gateScript({ ...ok, timeoutSeconds: 3601 })).toThrow("host script: invalid integer 1-3600 3601");
    expect(() => gateScript({ ...ok, probe: { url: "http://10.0.0.1:80/x", withToken: false } })).toThrow(
      'host script: invalid health URL "http://10.0.0.1:80/x"',
    );
    expect(() => gateScript({ ...ok, expect: { "/etc/$(id)": C } })).toThrow('host script: invalid path "/etc/$(id)"');
    expect(() => gateScript({ ...ok, expect: { "/etc/x": "zz" } })).toThrow('host script: invalid sha256 "zz"');
    expect(() => gateScript({ ...ok, expect: { "/srv/ql/core/.env": C } })).toThrow(
      new TypeError("gate: /srv/ql/core/.env is in the runtime user's tree: name its reader"),
    );
  });
});

describe("settle script text", () => {
  it("reloads the manager once, waits once for the unit up the shortest time, then one look at every unit and every endpoint asked at once: same invocation, still active, endpoint 200 (tokens from stdin, in order)", () => {
    const s = settleScript([
      { unit: "quantlab-a.service", invocation: "0123abcd", probe: { url: "http://127.0.0.1:3051/health", withToken: true } },
      { unit: "quantlab-w.service", invocation: "" },
      { unit: "quantlab-b.service", invocation: "99ff", probe: { url: "http://127.0.0.1:3052/h", withToken: false } },
    ]);
    // ${"${"} is a literal ${ in a String.raw template.
    expect(s.text).toBe(String.raw`set -u
headers=(); while IFS= read -r l; do headers+=("$l"); done
bad() { echo "unsettled $1 $2"; echo "journal:"; journalctl -u "$1" -n 30 --no-pager -o short-iso 2>&1; echo "end journal"; }
up_ms() { local t; t=$(systemctl show -p ActiveEnterTimestampMonotonic --value "$1"); echo $(( ($(cut -d' ' -f1 /proc/uptime | tr -d .)0000 - t) / 1000 )); }
if ! err=$(systemctl daemon-reload 2>&1); then
  bad 'quantlab-a.service' "systemctl daemon-reload failed: $(printf '%s' "$err" | tr '\n' ' ')"
  bad 'quantlab-w.service' "systemctl daemon-reload failed: $(printf '%s' "$err" | tr '\n' ' ')"
  bad 'quantlab-b.service' "systemctl daemon-reload failed: $(printf '%s' "$err" | tr '\n' ' ')"
  exit 0
fi
wait_ms=0
s=$(up_ms 'quantlab-a.service'); [ "$s" -ge 3000 ] || { [ $((3000 - s)) -le "$wait_ms" ] || wait_ms=$((3000 - s)); }
s=$(up_ms 'quantlab-w.service'); [ "$s" -ge 3000 ] || { [ $((3000 - s)) -le "$wait_ms" ] || wait_ms=$((3000 - s)); }
s=$(up_ms 'quantlab-b.service'); [ "$s" -ge 3000 ] || { [ $((3000 - s)) -le "$wait_ms" ] || wait_ms=$((3000 - s)); }
[ "$wait_ms" -le 0 ] || sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"
exec {probe_0}< <(printf '%s\n' "${"${"}headers[0]}" | curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- 'http://127.0.0.1:3051/health')
exec {probe_2}< <(curl -s -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:3052/h')
n=0; blocks=(); while IFS= read -r l; do if [ -n "$l" ]; then blocks[$n]+="$l"$'\n'; elif [ -n "${"${"}blocks[$n]:-}" ]; then n=$((n + 1)); fi; done < <(systemctl show -p ActiveState,InvocationID 'quantlab-a.service' 'quantlab-w.service' 'quantlab-b.service')
now() { local k v a="" i=""; while IFS='=' read -r k v; do case "$k" in ActiveState) a=$v ;; InvocationID) i=$v ;; esac; done <<< "${"${"}blocks[$1]:-}"; echo "ActiveState=$a InvocationID=$i "; }
st=$(now 0)
case "$st" in "ActiveState=active InvocationID="'0123abcd'" ") code=$(cat <&"$probe_0"); [ "$code" = 200 ] || bad 'quantlab-a.service' "health answers $code"; [ "${"${"}code:-200}" = 200 ] && echo "settled "'quantlab-a.service' ;; *) bad 'quantlab-a.service' "not running the invocation that passed its gate (now: $st)" ;; esac
code=
st=$(now 1)
case "$st" in "ActiveState=active InvocationID="'-'" ") :; [ "${"${"}code:-200}" = 200 ] && echo "settled "'quantlab-w.service' ;; *) bad 'quantlab-w.service' "not running the invocation that passed its gate (now: $st)" ;; esac
code=
st=$(now 2)
case "$st" in "ActiveState=active InvocationID="'99ff'" ") code=$(cat <&"$probe_2"); [ "$code" = 200 ] || bad 'quantlab-b.service' "health answers $code"; [ "${"${"}code:-200}" = 200 ] && echo "settled "'quantlab-b.service' ;; *) bad 'quantlab-b.service' "not running the invocation that passed its gate (now: $st)" ;; esac
code=`);
  });

  it("refuses a settle time outside 1-600 s and an invocation that is not a plain word", () => {
    expect(() => settleScript([], 0)).toThrow("host script: invalid integer 1-600 0");
    expect(() => settleScript([{ unit: "quantlab-a.service", invocation: "x y" }])).toThrow('host script: invalid word "x y"');
  });
});

describe("parseGate and parseSettle", () => {
  it("a pass with its time and invocation; a failure with its reason and journal lines", () => {
    expect(parseGate("gate passed 1234 5d1b0e7f\n")).toEqual({ passed: true, ms: 1234, invocation: "5d1b0e7f" });
    expect(parseGate("gate passed 80 \n")).toEqual({ passed: true, ms: 80, invocation: "" });
    expect(
      parseGate("gate failed no 200 from http://127.0.0.1:1/h within 5 s (unit active, last answer 500)\njournal:\nline one\n  line two\n"),
    ).toEqual({
      passed: false,
      reason: "no 200 from http://127.0.0.1:1/h within 5 s (unit active, last answer 500)",
      journal: ["line one", "  line two"],
    });
    expect(parseGate("gate failed x\njournal:\n")).toEqual({ passed: false, reason: "x", journal: [] });
  });

  it("refuses anything else", () => {
    expect(() => parseGate("Failed to connect to bus\n")).toThrow('unexpected health gate output "Failed to connect to bus\\n"');
    expect(() => parseGate("gate failed x\n")).toThrow('unexpected health gate output "gate failed x\\n"');
  });

  it("settle: one result per unit, each failure with its journal block", () => {
    expect(
      parseSettle(
        "settled quantlab-a.service\nunsettled quantlab-b.service health answers 500\njournal:\nj1\nj2\nend journal\nsettled quantlab-c.service\n",
      ),
    ).toEqual([
      { unit: "quantlab-a.service", settled: true },
      { unit: "quantlab-b.service", settled: false, reason: "health answers 500", journal: ["j1", "j2"] },
      { unit: "quantlab-c.service", settled: true },
    ]);
    expect(parseSettle("")).toEqual([]);
  });
});

describe("gate under a real shell", () => {
  let n = 0;
  const host = () => {
    const h = fakeUnits(path.join(scratch.dir, `gate-${n++}`));
    h.unit("quantlab-a.service", { ActiveState: "active", MainPID: 4242, InvocationID: "inv-old" });
    return {
      ...h,
      run: (g: GateArgs, input = "") => runOnHost(gateScript(g), { bin: h.bin, input }),
      log: (cmd: string) => stubLog(h.bin, cmd),
    };
  };
  const probe = { url: "http://127.0.0.1:3051/health", withToken: true };
  const args: GateArgs = { unit: "quantlab-a.service", how: "restart", probe, timeoutSeconds: 1 };

  it("passes once the new invocation answers 200 to the token, which reaches curl on stdin only", () => {
    const h = host();
    h.set("token-3051", TOKEN);
    const r = h.run(args, `Authorization: Bearer ${TOKEN}\n`);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(parseGate(r.stdout)).toMatchObject({ passed: true, invocation: "inv-1" });
    expect(h.log("systemctl").split("\n").slice(0, 4)).toEqual([
      "show -p ActiveState -p InvocationID -p MainPID quantlab-a.service",
      "enable --quiet --no-reload quantlab-a.service",
      "restart quantlab-a.service",
      "show -p ActiveState -p InvocationID -p MainPID quantlab-a.service",
    ]);
    expect(h.log("curl")).toBe("-s -o /dev/null -w %{http_code} --max-time 2 -H @- http://127.0.0.1:3051/health [stdin: header]\n");
  });

  it("fails at the deadline when the endpoint keeps answering 500 (or 401 to a wrong token), with the journal", () => {
    const h = host();
    h.set("code-3051", "500");
    const t0 = Date.now();
    expect(parseGate(h.run({ ...args, probe: { ...probe, withToken: false } }).stdout)).toEqual({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit active, last answer 500)",
      journal: ["journal line 1 of quantlab-a.service", "journal line 2 of quantlab-a.service"],
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(h.log("journalctl")).toBe("-u quantlab-a.service -n 30 --no-pager -o short-iso\n");
    const wrong = host();
    wrong.set("token-3051", TOKEN);
    expect(parseGate(wrong.run(args, "Authorization: Bearer tok-not-the-one\n").stdout)).toMatchObject({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit active, last answer 401)",
    });
  });

  it("does not take the old process's 200 for the new version's: no health call before a new invocation is active", () => {
    const stuck = host();
    stuck.unit("quantlab-a.service", { stuck: "" });
    expect(parseGate(stuck.run({ ...args, probe: { ...probe, withToken: false } }).stdout)).toMatchObject({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit active, last answer 000)",
    });
    expect(stuck.log("curl")).toBe("");
    const activating = host();
    activating.unit("quantlab-a.service", { ActiveState: "activating" });
    expect(parseGate(activating.run({ ...args, probe: { ...probe, withToken: false } }).stdout)).toMatchObject({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit activating, last answer 000)",
    });
    expect(activating.log("curl")).toBe("");
  });

  it("a refused restart fails at once with systemd's message", () => {
    const h = host();
    h.unit("quantlab-a.service", { refuse: "" });
    const t0 = Date.now();
    expect(parseGate(h.run({ ...args, timeoutSeconds: 30 }).stdout)).toMatchObject({
      passed: false,
      reason: "systemctl restart 'quantlab-a.service': Failed to restart quantlab-a.service: Unit quantlab-a.service not found.",
    });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("a job that ran and failed does not end the gate: the unit systemd brought back up passes; one still failed fails at the deadline", () => {
    const back = host();
    back.unit("quantlab-a.service", { jobfails: "", restarted_ActiveState: "active" });
    expect(parseGate(back.run({ unit: "quantlab-a.service", how: "restart", timeoutSeconds: 5 }).stdout)).toMatchObject({
      passed: true,
      invocation: "inv-1",
    });
    const down = host();
    down.unit("quantlab-a.service", { jobfails: "", restarted_ActiveState: "failed" });
    expect(parseGate(down.run({ unit: "quantlab-a.service", how: "restart", timeoutSeconds: 1 }).stdout)).toMatchObject({
      passed: false,
      reason: "not active within 1 s (unit failed)",
      journal: ["journal line 1 of quantlab-a.service", "journal line 2 of quantlab-a.service"],
    });
  });

  it("a job that outlasts the gate's time is given up at the deadline, not waited for", () => {
    const h = host();
    h.unit("quantlab-a.service", { hang: 5 });
    const t0 = Date.now();
    expect(parseGate(h.run({ unit: "quantlab-a.service", how: "restart", timeoutSeconds: 1 }).stdout)).toMatchObject({
      passed: false,
      reason: "not active within 1 s (unit active)",
    });
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it("without a probe: a restart passes on a new invocation with a main process; a failed unit never does", () => {
    const ok = host();
    expect(parseGate(ok.run({ unit: "quantlab-a.service", how: "restart", timeoutSeconds: 5 }).stdout)).toMatchObject({
      passed: true,
      invocation: "inv-1",
    });
    const stuck = host();
    stuck.unit("quantlab-a.service", { stuck: "" });
    expect(parseGate(stuck.run({ unit: "quantlab-a.service", how: "restart", timeoutSeconds: 1 }).stdout)).toMatchObject({
      passed: false,
      reason: "not active within 1 s (unit active)",
    });
    const failed = host();
    failed.unit("quantlab-a.service", { ActiveState: "failed", MainPID: 0 });
    expect(parseGate(failed.run({ unit: "quantlab-a.service", how: "start", timeoutSeconds: 1 }).stdout)).toMatchObject({
      passed: false,
      reason: "not active within 1 s (unit failed)",
    });
    const noPid = host();
    noPid.unit("quantlab-a.service", { MainPID: 0 });
    expect(parseGate(noPid.run({ unit: "quantlab-a.service", how: "restart", timeoutSeconds: 1 }).stdout)).toMatchObject({
      passed: false,
      reason: "not active within 1 s (unit active)",
    });
  });

  it("a plain start of a unit already running passes without a new invocation (nothing it reads changed)", () => {
    const h = host();
    h.unit("quantlab-a.service", { stuck: "" });
    expect(parseGate(h.run({ ...args, how: "start", probe: { ...probe, withToken: false } }).stdout)).toMatchObject({
      passed: true,
      invocation: "inv-old",
    });
    expect(h.log("systemctl").split("\n")[2]).toBe("start quantlab-a.service");
  });

  it("a file that is not the expected version stops everything before the restart; the expected one lets it go on", () => {
    const h = host();
    const file = path.join(scratch.dir, `a-${n}.env`);
    const dotenv = path.join(scratch.dir, `dotenv-${n}`);
    fs.writeFileSync(file, "OLD=1\n");
    fs.writeFileSync(dotenv, "K=v\n");
    const stale = h.run(
      { ...args, expect: { [dotenv]: sha("K=v\n"), [file]: sha("NEW=1\n") }, reader: "qlrun" },
      `Authorization: Bearer ${TOKEN}\n`,
    );
    expect([stale.status, stale.stdout, stale.stderr]).toEqual([
      1,
      "",
      `${file} on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)\n`,
    ]);
    expect(h.log("systemctl")).toBe("");
    // Both files are outside root's trees: each is hashed by the runtime user, never by root.
    expect(h.log("runuser")).toBe("qlrun\nqlrun\n");
    const fresh = h.run(
      { ...args, expect: { [dotenv]: sha("K=v\n"), [file]: sha("OLD=1\n") }, reader: "qlrun" },
      `Authorization: Bearer ${TOKEN}\n`,
    );
    expect([fresh.status, parseGate(fresh.stdout).passed]).toEqual([0, true]);
  });

  it("a missing expected file counts as not the version expected", () => {
    const h = host();
    const r = h.run({ ...args, expect: { "/etc/quantlab/no-such.env": C } });
    expect([r.status, r.stderr]).toEqual([
      1,
      "/etc/quantlab/no-such.env on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)\n",
    ]);
  });
});

describe("settle under a real shell", () => {
  let n = 0;
  const host = () => {
    const h = fakeUnits(path.join(scratch.dir, `settle-${n++}`));
    return { ...h, log: (cmd: string) => stubLog(h.bin, cmd) };
  };
  const A = { unit: "quantlab-a.service", invocation: "inv-a1", probe: { url: "http://127.0.0.1:3051/health", withToken: true } };
  const B = { unit: "quantlab-b.service", invocation: "inv-b1", probe: { url: "http://127.0.0.1:3052/health", withToken: true } };
  const W = { unit: "quantlab-w.service", invocation: "inv-w1" };

  it("units up long enough in the invocation that passed settle at once, each endpoint asked with its own token", () => {
    const h = host();
    h.unit(A.unit, { ActiveState: "active", InvocationID: "inv-a1", up_for: 100 });
    h.unit(B.unit, { ActiveState: "active", InvocationID: "inv-b1", up_for: 50 });
    h.unit(W.unit, { ActiveState: "active", InvocationID: "inv-w1", up_for: 30 });
    h.set("token-3051", "tok-settle-a-11111111");
    h.set("token-3052", "tok-settle-b-22222222");
    const t0 = Date.now();
    const r = runOnHost(settleScript([A, W, B], 2), {
      bin: h.bin,
      input: "Authorization: Bearer tok-settle-a-11111111\nAuthorization: Bearer tok-settle-b-22222222\n",
    });
    expect([r.status, r.stdout, r.stderr]).toEqual([
      0,
      "settled quantlab-a.service\nsettled quantlab-w.service\nsettled quantlab-b.service\n",
      "",
    ]);
    // No wait: a wait would be the settle time, 2 s.
    expect(Date.now() - t0).toBeLessThan(2000);
    // The run's one reload (the gates enabled without one), before any unit is looked at.
    expect(h.log("systemctl").split("\n")[0]).toBe("daemon-reload");
    expect(h.log("systemctl").match(/daemon-reload/g)).toEqual(["daemon-reload"]);
  });

  it("a reload that fails fails every unit with systemd's message (the run rolls back), and nothing is waited for", () => {
    const h = host();
    h.unit(A.unit, { ActiveState: "active", InvocationID: "inv-a1", up_for: 0 });
    h.unit(W.unit, { ActiveState: "active", InvocationID: "inv-w1", up_for: 0 });
    h.set("reload-fails", "");
    const t0 = Date.now();
    const r = runOnHost(settleScript([{ ...A, probe: { ...A.probe, withToken: false } }, W], 2), { bin: h.bin });
    const reason = "systemctl daemon-reload failed: Failed to reload daemon: Access denied";
    expect([r.status, parseSettle(r.stdout)]).toEqual([
      0,
      [
        { unit: A.unit, settled: false, reason, journal: ["journal line 1 of quantlab-a.service", "journal line 2 of quantlab-a.service"] },
        { unit: W.unit, settled: false, reason, journal: ["journal line 1 of quantlab-w.service", "journal line 2 of quantlab-w.service"] },
      ],
    ]);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(h.log("curl")).toBe("");
  });

  it("the tokens go in the order of the units that have one: swapped, both endpoints answer 401", () => {
    const h = host();
    h.unit(A.unit, { ActiveState: "active", InvocationID: "inv-a1", up_for: 100 });
    h.unit(B.unit, { ActiveState: "active", InvocationID: "inv-b1", up_for: 50 });
    h.set("token-3051", "tok-settle-a-11111111");
    h.set("token-3052", "tok-settle-b-22222222");
    const r = runOnHost(settleScript([A, B], 2), {
      bin: h.bin,
      input: "Authorization: Bearer tok-settle-b-22222222\nAuthorization: Bearer tok-settle-a-11111111\n",
    });
    expect(parseSettle(r.stdout).map((s) => (s.settled ? "settled" : s.reason))).toEqual(["health answers 401", "health answers 401"]);
  });

  it("waits for the unit up the shortest time to reach the settle time, once", () => {
    const h = host();
    h.unit(A.unit, { ActiveState: "active", InvocationID: "inv-a1", up_for: 0 });
    h.unit(W.unit, { ActiveState: "active", InvocationID: "inv-w1", up_for: 1 });
    const t0 = Date.now();
    const r = runOnHost(settleScript([{ ...A, probe: { ...A.probe, withToken: false } }, W], 2), { bin: h.bin });
    expect(parseSettle(r.stdout)).toEqual([
      { unit: A.unit, settled: true },
      { unit: W.unit, settled: true },
    ]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - t0).toBeLessThan(3500);
  });

  it("a unit that restarted in between (a new invocation), or died, fails with its journal; the others settle", () => {
    const h = host();
    h.unit(A.unit, { ActiveState: "active", InvocationID: "inv-a2", up_for: 10 });
    h.unit(B.unit, { ActiveState: "failed", InvocationID: "inv-b1", up_for: 10 });
    h.unit(W.unit, { ActiveState: "active", InvocationID: "inv-w1", up_for: 10 });
    const r = runOnHost(settleScript([{ unit: A.unit, invocation: A.invocation }, { unit: B.unit, invocation: B.invocation }, W], 2), {
      bin: h.bin,
    });
    expect(parseSettle(r.stdout)).toEqual([
      {
        unit: A.unit,
        settled: false,
        reason: "not running the invocation that passed its gate (now: ActiveState=active InvocationID=inv-a2 )",
        journal: ["journal line 1 of quantlab-a.service", "journal line 2 of quantlab-a.service"],
      },
      {
        unit: B.unit,
        settled: false,
        reason: "not running the invocation that passed its gate (now: ActiveState=failed InvocationID=inv-b1 )",
        journal: ["journal line 1 of quantlab-b.service", "journal line 2 of quantlab-b.service"],
      },
      { unit: W.unit, settled: true },
    ]);
    expect(h.log("curl")).toBe("");
  });

  it("an endpoint that stopped answering 200 fails its unit", () => {
    const h = host();
    h.unit(A.unit, { ActiveState: "active", InvocationID: "inv-a1", up_for: 10 });
    h.unit(B.unit, { ActiveState: "active", InvocationID: "inv-b1", up_for: 10 });
    h.set("code-3052", "503");
    h.set("token-3051", "tok-settle-a-11111111");
    const r = runOnHost(settleScript([A, { ...B, probe: { ...B.probe, withToken: false } }], 2), {
      bin: h.bin,
      input: "Authorization: Bearer tok-settle-a-11111111\n",
    });
    expect(parseSettle(r.stdout)).toEqual([
      { unit: A.unit, settled: true },
      {
        unit: B.unit,
        settled: false,
        reason: "health answers 503",
        journal: ["journal line 1 of quantlab-b.service", "journal line 2 of quantlab-b.service"],
      },
    ]);
  });
});
