/**
 * The health gate and the last-good copies: their whole script text, their
 * parser, and the scripts run by a real bash, with systemctl, journalctl and
 * curl replaced by stubs that play a unit (state in files the test sets) and
 * record how they were called.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsRoot } from "../fixtures/asRoot";
import { forgetGoodScript, gateScript, parseGate, recordGoodScript, restoreGoodScript, type GateArgs } from "../../provider/gate";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-gate-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const TOKEN = "tok-gate-7f3a9c1e5b2d8f40";

describe("gate script text", () => {
  it("probe with a token: checks the expected files, restarts without blocking, polls a new invocation for 200", () => {
    expect(
      gateScript({
        unit: "quantlab-a.service",
        how: "restart",
        probe: { url: "http://127.0.0.1:3051/health", withToken: true },
        timeoutSeconds: 30,
        settleSeconds: 3,
        expect: { "/etc/quantlab/a.env": "c".repeat(64) },
      }),
    ).toBe(
      [
        "set -u",
        "IFS= read -r header || true",
        `[ "$( { sha256sum < /etc/quantlab/a.env | cut -c1-64; } 2>/dev/null)" = ${"c".repeat(64)} ] || { echo "/etc/quantlab/a.env on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)" >&2; exit 1; }`,
        "now() { date +%s%3N; }",
        "start=$(now)",
        "deadline=$((start + 30000))",
        `pass() { echo "gate passed $(( $(now) - start ))"; exit 0; }`,
        `fail() { echo "gate failed $1"; echo "journal:"; journalctl -u quantlab-a.service -n 30 --no-pager -o short-iso 2>&1; exit 0; }`,
        "look() {",
        `  state=""; inv=""; pid=0`,
        `  while IFS='=' read -r k v; do case "$k" in ActiveState) state=$v ;; InvocationID) inv=$v ;; MainPID) pid=$v ;; esac; done <<EOF`,
        "$(systemctl show -p ActiveState -p InvocationID -p MainPID quantlab-a.service)",
        "EOF",
        "}",
        "look",
        "before=$inv",
        `err=$(systemctl enable --quiet quantlab-a.service 2>&1 && systemctl restart --no-block quantlab-a.service 2>&1) || fail "systemctl restart quantlab-a.service: $(printf '%s' "$err" | tr '\\n' ' ')"`,
        "code=000",
        "while :; do",
        "  look",
        `  if [ "$state" = active ] && [ "$inv" != "$before" ]; then code=$(printf '%s\\n' "$header" | curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H @- http://127.0.0.1:3051/health); [ "$code" = 200 ] && pass; fi`,
        `  [ "$(now)" -lt "$deadline" ] || fail "no 200 from http://127.0.0.1:3051/health within 30 s (unit $state, last answer $code)"`,
        "  sleep 0.25",
        "done",
      ].join("\n"),
    );
  });

  it("no probe, plain start: active with the same main PID for the settle time", () => {
    expect(gateScript({ unit: "quantlab-w.service", how: "start", timeoutSeconds: 12, settleSeconds: 3 })).toBe(
      [
        "set -u",
        "now() { date +%s%3N; }",
        "start=$(now)",
        "deadline=$((start + 12000))",
        `pass() { echo "gate passed $(( $(now) - start ))"; exit 0; }`,
        `fail() { echo "gate failed $1"; echo "journal:"; journalctl -u quantlab-w.service -n 30 --no-pager -o short-iso 2>&1; exit 0; }`,
        "look() {",
        `  state=""; inv=""; pid=0`,
        `  while IFS='=' read -r k v; do case "$k" in ActiveState) state=$v ;; InvocationID) inv=$v ;; MainPID) pid=$v ;; esac; done <<EOF`,
        "$(systemctl show -p ActiveState -p InvocationID -p MainPID quantlab-w.service)",
        "EOF",
        "}",
        "look",
        "before=$inv",
        `err=$(systemctl enable --quiet quantlab-w.service 2>&1 && systemctl start --no-block quantlab-w.service 2>&1) || fail "systemctl start quantlab-w.service: $(printf '%s' "$err" | tr '\\n' ' ')"`,
        `pid0=""`,
        "since=0",
        "while :; do",
        "  look",
        `  if [ "$state" = active ] && [ "$pid" != 0 ]; then`,
        `    if [ "$pid" = "$pid0" ]; then [ $(( $(now) - since )) -lt 3000 ] || pass; else pid0=$pid; since=$(now); fi`,
        `  else pid0=""; fi`,
        `  [ "$(now)" -lt "$deadline" ] || fail "not active with the same process for 3 s within 12 s (unit $state)"`,
        "  sleep 0.25",
        "done",
      ].join("\n"),
    );
  });

  it("last good: record swaps one link to a checked copy; restore puts back what differs; forget removes both", () => {
    const reads = { "/etc/systemd/system/quantlab-a.service": "a".repeat(64), "/etc/quantlab/a.env": "b".repeat(64) };
    expect(recordGoodScript("quantlab-a.service", reads)).toBe(
      [
        "set -eu",
        "umask 077",
        "install -d -m 0700 -o root -g root /var/lib/quantlab-infra /var/lib/quantlab-infra/good",
        "new=$(mktemp -d /var/lib/quantlab-infra/good/quantlab-a.service.good-XXXXXX)",
        `trap 'rm -rf -- "$new" "$new.link"' EXIT`,
        `install -d -m 0700 "$new"/etc/systemd/system`,
        `install -d -m 0700 "$new"/etc/quantlab`,
        `cp -p -- /etc/systemd/system/quantlab-a.service "$new"/etc/systemd/system/quantlab-a.service`,
        `[ "$(sha256sum < "$new"/etc/systemd/system/quantlab-a.service | cut -c1-64)" = ${"a".repeat(64)} ] || { echo "/etc/systemd/system/quantlab-a.service changed after quantlab-a.service passed its health gate; not recorded as good" >&2; exit 1; }`,
        `cp -p -- /etc/quantlab/a.env "$new"/etc/quantlab/a.env`,
        `[ "$(sha256sum < "$new"/etc/quantlab/a.env | cut -c1-64)" = ${"b".repeat(64)} ] || { echo "/etc/quantlab/a.env changed after quantlab-a.service passed its health gate; not recorded as good" >&2; exit 1; }`,
        `ln -s "\${new##*/}" "$new.link"`,
        `mv -T -- "$new.link" /var/lib/quantlab-infra/good/quantlab-a.service`,
        "trap - EXIT",
        `for d in /var/lib/quantlab-infra/good/quantlab-a.service.good-*; do [ "\${d##*/}" = "\${new##*/}" ] || rm -rf -- "$d"; done`,
      ].join("\n"),
    );
    const g = "/var/lib/quantlab-infra/good/quantlab-a.service";
    expect(restoreGoodScript("quantlab-a.service", ["/etc/quantlab/a.env"])).toBe(
      [
        "set -eu",
        "umask 077",
        `[ -d ${g}/ ] || { echo "no version of quantlab-a.service has passed its health gate on this host yet: nothing to roll back to" >&2; exit 1; }`,
        `tmp=""`,
        `trap '[ -z "$tmp" ] || rm -f -- "$tmp"' EXIT`,
        `if [ -f ${g}/etc/quantlab/a.env ] && ! cmp -s ${g}/etc/quantlab/a.env /etc/quantlab/a.env; then tmp=$(mktemp /etc/quantlab/.a.env.quantlab-XXXXXX); cp -p -- ${g}/etc/quantlab/a.env "$tmp"; sync "$tmp"; mv -f -- "$tmp" /etc/quantlab/a.env; tmp=""; echo "restored /etc/quantlab/a.env"; fi`,
        "trap - EXIT",
        "systemctl daemon-reload",
      ].join("\n"),
    );
    expect(forgetGoodScript("quantlab-a.service")).toBe(
      ["set -eu", `rm -f -- ${g}`, "rm -rf -- /var/lib/quantlab-infra/good/quantlab-a.service.good-*"].join("\n"),
    );
  });

  it("refuses anything that is not a plain unit, path, hash, loopback URL or sane number of seconds", () => {
    const ok: GateArgs = { unit: "quantlab-a.service", how: "restart", timeoutSeconds: 30, settleSeconds: 3 };
    expect(() => gateScript({ ...ok, unit: "a; reboot" })).toThrow('host provider: invalid unit name "a; reboot"');
    expect(() => gateScript({ ...ok, timeoutSeconds: 0 })).toThrow("host provider: invalid health timeout 0");
    expect(() => gateScript({ ...ok, timeoutSeconds: 2.5 })).toThrow("host provider: invalid health timeout 2.5");
    expect(() => gateScript({ ...ok, settleSeconds: -1 })).toThrow("host provider: invalid settle time -1");
    expect(() => gateScript({ ...ok, probe: { url: "http://10.0.0.1:80/x", withToken: false } })).toThrow('host provider: invalid health URL "http://10.0.0.1:80/x"');
    expect(() => gateScript({ ...ok, expect: { "/etc/$(id)": "a".repeat(64) } })).toThrow('host provider: invalid path "/etc/$(id)"');
    expect(() => gateScript({ ...ok, expect: { "/etc/x": "zz" } })).toThrow('host provider: invalid sha256 "zz"');
    expect(() => recordGoodScript("quantlab-a.service", { "/etc/x y": "a".repeat(64) })).toThrow('host provider: invalid path "/etc/x y"');
    expect(() => restoreGoodScript("quantlab-a.service", ["etc/x"])).toThrow('host provider: invalid path "etc/x"');
  });
});

describe("parseGate", () => {
  it("reads a pass, and a failure with its reason and journal lines", () => {
    expect(parseGate("gate passed 1234\n")).toEqual({ passed: true, ms: 1234 });
    expect(parseGate("gate failed no 200 from http://127.0.0.1:1/h within 5 s (unit active, last answer 500)\njournal:\nline one\n  line two\n")).toEqual({
      passed: false,
      reason: "no 200 from http://127.0.0.1:1/h within 5 s (unit active, last answer 500)",
      journal: ["line one", "  line two"],
    });
    expect(parseGate("gate failed x\njournal:\n")).toEqual({ passed: false, reason: "x", journal: [] });
  });

  it("refuses anything else", () => {
    expect(() => parseGate("Failed to connect to bus\n")).toThrow('host provider: unexpected health gate output "Failed to connect to bus\\n"');
    expect(() => parseGate("gate failed x\n")).toThrow("host provider: unexpected health gate output");
  });
});

/** A scratch "host": stub commands first on PATH, the unit's state in files. */
function fakeHost(name: string) {
  const dir = fs.mkdtempSync(path.join(scratch, `${name}-`));
  const bin = path.join(dir, "bin");
  const st = path.join(dir, "state");
  fs.mkdirSync(bin);
  fs.mkdirSync(st);
  const stub = (cmd: string, body: string) => fs.writeFileSync(path.join(bin, cmd), `#!/bin/bash\nST=${st}\n${body}\n`, { mode: 0o755 });
  // systemctl: `show -p A -p B ... UNIT` prints A=<state/A> ... (MainPID "loop": a new PID on every look);
  // a (re)start takes effect (new invocation) unless state/stuck exists, and fails if state/refuse exists.
  stub(
    "systemctl",
    `echo "$*" >> $ST/systemctl.log
case "$1" in
  enable) exit 0 ;;
  restart|start) [ -f $ST/refuse ] && { echo "Failed to $1 $3: Unit $3 not found." >&2; exit 5; }; [ -f $ST/stuck ] || echo inv-new > $ST/InvocationID; exit 0 ;;
  daemon-reload) exit 0 ;;
  show) shift; while [ "$1" = -p ]; do v=$(cat $ST/$2); [ "$2" = MainPID ] && [ "$v" = loop ] && v=$RANDOM; echo "$2=$v"; shift 2; done ;;
esac`,
  );
  stub("journalctl", `echo "journal line 1 $*"; echo "journal line 2 (secret ${TOKEN})"`);
  // curl: answers state/code; with state/token, 401 unless the header on stdin carries it. Logs its argv.
  stub(
    "curl",
    `echo "$*" >> $ST/curl.log
hdr=""; [[ " $* " == *" -H @- "* ]] && hdr=$(cat)
code=$(cat $ST/code)
[ -f $ST/token ] && [ "$hdr" != "Authorization: Bearer $(cat $ST/token)" ] && code=401
printf '%s' "$code"`,
  );
  const set = (values: Record<string, string>) => {
    for (const [k, v] of Object.entries(values)) fs.writeFileSync(path.join(st, k), `${v}\n`);
  };
  set({ ActiveState: "active", MainPID: "4242", InvocationID: "inv-old", code: "200" });
  const run = (script: string, input = "") =>
    spawnAsRoot("bash", ["-c", script], { input, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  const log = (what: "systemctl" | "curl") => (fs.existsSync(path.join(st, `${what}.log`)) ? fs.readFileSync(path.join(st, `${what}.log`), "utf8") : "");
  return { dir, set, run, log, st };
}

describe("gate under a real shell", () => {
  const probe = { url: "http://127.0.0.1:3051/health", withToken: true };
  const args: GateArgs = { unit: "quantlab-a.service", how: "restart", probe, timeoutSeconds: 1, settleSeconds: 1 };

  it("passes once the new invocation answers 200 to the token, which reaches curl on stdin only", () => {
    const h = fakeHost("pass");
    h.set({ token: TOKEN });
    const r = h.run(gateScript(args), `Authorization: Bearer ${TOKEN}\n`);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(parseGate(r.stdout).passed).toBe(true);
    expect(h.log("systemctl").split("\n").slice(0, 3)).toEqual([
      "show -p ActiveState -p InvocationID -p MainPID quantlab-a.service",
      "enable --quiet quantlab-a.service",
      "restart --no-block quantlab-a.service",
    ]);
    expect(h.log("curl")).toContain("-H @- http://127.0.0.1:3051/health");
    expect(h.log("curl")).not.toContain(TOKEN);
  });

  it("fails at the deadline when the endpoint keeps answering 500 (or 401 to a wrong token), with the journal", () => {
    const h = fakeHost("500");
    h.set({ code: "500" });
    expect(parseGate(h.run(gateScript({ ...args, probe: { ...probe, withToken: false } })).stdout)).toEqual({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit active, last answer 500)",
      journal: ["journal line 1 -u quantlab-a.service -n 30 --no-pager -o short-iso", `journal line 2 (secret ${TOKEN})`],
    });
    const wrong = fakeHost("401");
    wrong.set({ token: TOKEN });
    expect(parseGate(wrong.run(gateScript(args), "Authorization: Bearer nope\n").stdout)).toMatchObject({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit active, last answer 401)",
    });
  });

  it("does not take the old process's 200 for the new version's: no health call before a new invocation is active", () => {
    const h = fakeHost("stuck");
    h.set({ stuck: "" });
    expect(parseGate(h.run(gateScript({ ...args, probe: { ...probe, withToken: false } })).stdout)).toMatchObject({
      passed: false,
      reason: "no 200 from http://127.0.0.1:3051/health within 1 s (unit active, last answer 000)",
    });
    expect(h.log("curl")).toBe("");
  });

  it("a refused restart fails at once with systemd's message", () => {
    const h = fakeHost("refuse");
    h.set({ refuse: "" });
    expect(parseGate(h.run(gateScript({ ...args, timeoutSeconds: 30 })).stdout)).toMatchObject({
      passed: false,
      reason: "systemctl restart quantlab-a.service: Failed to restart quantlab-a.service: Unit quantlab-a.service not found.",
    });
  });

  it("without a probe: passes after the settle time on one process; a crash loop (a new PID each look) never does", () => {
    const stable = fakeHost("settle");
    const r = stable.run(gateScript({ unit: "quantlab-w.service", how: "restart", timeoutSeconds: 5, settleSeconds: 1 }));
    const result = parseGate(r.stdout);
    expect(result.passed).toBe(true);
    expect(result.passed && result.ms).toBeGreaterThanOrEqual(1000);
    const loop = fakeHost("loop");
    loop.set({ MainPID: "loop" });
    expect(parseGate(loop.run(gateScript({ unit: "quantlab-w.service", how: "restart", timeoutSeconds: 2, settleSeconds: 1 })).stdout)).toMatchObject({
      passed: false,
      reason: "not active with the same process for 1 s within 2 s (unit active)",
    });
    const failed = fakeHost("failed");
    failed.set({ ActiveState: "failed", MainPID: "0" });
    expect(parseGate(failed.run(gateScript({ unit: "quantlab-w.service", how: "start", timeoutSeconds: 1, settleSeconds: 1 })).stdout)).toMatchObject({
      passed: false,
      reason: "not active with the same process for 1 s within 1 s (unit failed)",
    });
  });

  it("a file that is not the expected version stops everything before the restart", () => {
    const h = fakeHost("stale");
    const file = path.join(h.dir, "a.env");
    fs.writeFileSync(file, "OLD=1\n");
    const r = h.run(gateScript({ ...args, expect: { [file]: sha("NEW=1\n") } }), `Authorization: Bearer ${TOKEN}\n`);
    expect([r.status, r.stdout, r.stderr]).toEqual([1, "", `${file} on the host is not the version this run expects (nothing restarted; the next up refreshes first and rewrites it)\n`]);
    expect(h.log("systemctl")).toBe("");
  });
});

describe("last good copies under a real shell", () => {
  const unit = "quantlab-a.service";

  function files() {
    const h = fakeHost("good");
    const root = path.join(h.dir, "lib", "good");
    const unitFile = path.join(h.dir, "etc", "systemd", unit);
    const envFile = path.join(h.dir, "etc", "quantlab", "a.env");
    fs.mkdirSync(path.dirname(unitFile), { recursive: true });
    fs.mkdirSync(path.dirname(envFile), { recursive: true });
    const write = (unitText: string, envText: string) => {
      fs.writeFileSync(unitFile, unitText, { mode: 0o644 });
      fs.writeFileSync(envFile, envText, { mode: 0o600 });
      fs.chmodSync(unitFile, 0o644);
      fs.chmodSync(envFile, 0o600);
    };
    return { h, root, unitFile, envFile, write };
  }
  const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

  it("records what passed, restores exactly the files that differ (mode kept, nothing left behind), forgets", () => {
    const { h, root, unitFile, envFile, write } = files();
    write("[Service]\nExecStart=/old\n", "TOKEN=old\n");
    const rec = h.run(recordGoodScript(unit, { [unitFile]: sha("[Service]\nExecStart=/old\n"), [envFile]: sha("TOKEN=old\n") }, root));
    expect([rec.status, rec.stderr]).toEqual([0, ""]);
    expect(modeOf(root)).toBe("700");
    const snapshot = fs.readlinkSync(path.join(root, unit));
    expect(fs.readdirSync(root).sort()).toEqual([snapshot, unit].sort());
    expect(modeOf(path.join(root, snapshot))).toBe("700");
    expect(modeOf(path.join(root, unit, envFile))).toBe("600");

    // A new version fails: the env file changed and lost its mode, the unit is the same.
    fs.writeFileSync(envFile, "TOKEN=new\n");
    fs.chmodSync(envFile, 0o644);
    const res = h.run(restoreGoodScript(unit, [unitFile, envFile], root));
    expect([res.status, res.stdout, res.stderr]).toEqual([0, `restored ${envFile}\n`, ""]);
    expect(fs.readFileSync(envFile, "utf8")).toBe("TOKEN=old\n");
    expect(modeOf(envFile)).toBe("600");
    expect(fs.readFileSync(unitFile, "utf8")).toBe("[Service]\nExecStart=/old\n");
    expect(fs.readdirSync(path.dirname(envFile))).toEqual(["a.env"]);
    expect(h.log("systemctl")).toBe("daemon-reload\n");

    // The next pass replaces the snapshot; the old one goes.
    write("[Service]\nExecStart=/new\n", "TOKEN=new\n");
    expect(h.run(recordGoodScript(unit, { [unitFile]: sha("[Service]\nExecStart=/new\n"), [envFile]: sha("TOKEN=new\n") }, root)).status).toBe(0);
    const next = fs.readlinkSync(path.join(root, unit));
    expect(next).not.toBe(snapshot);
    expect(fs.readdirSync(root).sort()).toEqual([next, unit].sort());
    expect(fs.readFileSync(path.join(root, unit, unitFile), "utf8")).toBe("[Service]\nExecStart=/new\n");

    expect(h.run(forgetGoodScript(unit, root)).status).toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("a file that changed since it passed is not recorded: the previous snapshot stays, nothing left behind", () => {
    const { h, root, unitFile, envFile, write } = files();
    write("u1\n", "e1\n");
    expect(h.run(recordGoodScript(unit, { [unitFile]: sha("u1\n"), [envFile]: sha("e1\n") }, root)).status).toBe(0);
    const snapshot = fs.readlinkSync(path.join(root, unit));
    write("u2\n", "e2-edited\n");
    const r = h.run(recordGoodScript(unit, { [unitFile]: sha("u2\n"), [envFile]: sha("e2\n") }, root));
    expect([r.status, r.stderr]).toEqual([1, `${envFile} changed after ${unit} passed its health gate; not recorded as good\n`]);
    expect(fs.readdirSync(root).sort()).toEqual([snapshot, unit].sort());
    expect(fs.readFileSync(path.join(root, unit, envFile), "utf8")).toBe("e1\n");
  });

  it("nothing to roll back to: fails naming the unit, touching nothing", () => {
    const { h, root, unitFile, write } = files();
    write("u\n", "e\n");
    const r = h.run(restoreGoodScript(unit, [unitFile], root));
    expect([r.status, r.stdout, r.stderr]).toEqual([1, "", `no version of ${unit} has passed its health gate on this host yet: nothing to roll back to\n`]);
    expect(h.log("systemctl")).toBe("");
  });
});
