/**
 * `doctor`'s script on the host (host/ops/doctor.ts): whole text, its
 * sections parser, and a real bash run of the env and spool sections with
 * runuser stubbed (the dotenv and the spool are the runtime user's).
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { doctorScript, MARK, parseSections } from "../../../host/ops/doctor";
import { runOnHost, runuserStub, scratchDir, stub, stubLog } from "../../fixtures/hostShell";

/** A literal `$` before `{` in a raw template. */
const D = "$";
const STATE = String.raw`echo '::doctor:: state'
systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,Result,NRestarts,StateChangeTimestamp`;
const ERRORS = String.raw`journalctl --no-pager -o short-iso --since -24h -n 500 -u`;
const GREP = String.raw`| grep -iE 'error|fail|refused|denied|exception|traceback|eaddrinuse|killed|cannot|missing' | tail -n 8`;

describe("doctorScript text", () => {
  it("the collector: state, errors, port holder, its env file (root's) and the dotenv (the runtime user's), health, spool as that user, metrics", () => {
    expect(
      doctorScript({
        unit: "quantlab-collector.service",
        port: 9100,
        probe: { url: "http://127.0.0.1:9100/health", withToken: false },
        envFiles: ["/etc/quantlab/collector.env", "/srv/b/core/.env"],
        spoolDir: "/data/spool",
        runtimeUser: "qlrun",
      }).text,
    ).toBe(String.raw`${STATE} 'quantlab-collector.service'
echo '::doctor:: errors'
${ERRORS} 'quantlab-collector.service' ${GREP}
echo '::doctor:: port'
lsof -nP -t -iTCP:9100 -sTCP:LISTEN | sort -u | while read -r pid; do echo "holder $pid $(cat /proc/$pid/comm 2>/dev/null) $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)"; done
printf '::doctor:: env %s\n' '/etc/quantlab/collector.env'
if [ -f '/etc/quantlab/collector.env' ]; then echo present; sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/key \1/p' '/etc/quantlab/collector.env'; else echo absent; fi
printf '::doctor:: env %s\n' '/srv/b/core/.env'
runuser -u 'qlrun' -- env -C / bash -c 'if [ -f '\''/srv/b/core/.env'\'' ]; then echo present; sed -n '\''s/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/key \1/p'\'' '\''/srv/b/core/.env'\''; else echo absent; fi'
echo '::doctor:: health'
curl -s -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:9100/health'; echo
echo '::doctor:: spool'
runuser -u 'qlrun' -- env -C / bash -c 'if [ -d '\''/data/spool'\'' ]; then stat -c '\''owner %U %G %a'\'' '\''/data/spool'\''; df -Pk '\''/data/spool'\'' | awk '\''NR == 2 {print "free_kb", $4}'\''; echo "newest $(find '\''/data/spool'\'' -maxdepth 1 -type f -printf '\''%T@ %f\n'\'' | sort -n | tail -n 1)"; echo "now $(date +%s)"; else echo absent; fi'
echo '::doctor:: metrics'
curl -s --max-time 5 http://127.0.0.1:9100/metrics | head -c 65536; echo`);
  });

  it("an S3 user with a token: the header read once from stdin, replayed to curl; its bucket asked with its own env file's keys", () => {
    expect(
      doctorScript({
        unit: "quantlab-replayd.service",
        port: 4030,
        probe: { url: "http://127.0.0.1:4030/health", withToken: true },
        envFiles: ["/etc/quantlab/replayd.env"],
        s3: {
          ask: { endpoint: "https://minio.fixture.test:9000", region: "eu-west-1", signed: true, buckets: ["qc-compact"] },
          envFile: "/etc/quantlab/replayd.env",
        },
        runtimeUser: "qlrun",
      }).text,
    ).toBe(String.raw`hdr=$(cat)
${STATE} 'quantlab-replayd.service'
echo '::doctor:: errors'
${ERRORS} 'quantlab-replayd.service' ${GREP}
echo '::doctor:: port'
lsof -nP -t -iTCP:4030 -sTCP:LISTEN | sort -u | while read -r pid; do echo "holder $pid $(cat /proc/$pid/comm 2>/dev/null) $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)"; done
printf '::doctor:: env %s\n' '/etc/quantlab/replayd.env'
if [ -f '/etc/quantlab/replayd.env' ]; then echo present; sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/key \1/p' '/etc/quantlab/replayd.env'; else echo absent; fi
echo '::doctor:: health'
printf '%s\n' "$hdr" | curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- 'http://127.0.0.1:4030/health'; echo
echo '::doctor:: s3'
creds="user = \"$(sed -n "s/^AWS_ACCESS_KEY_ID='\(.*\)'\$/\1/p" '/etc/quantlab/replayd.env' 2>/dev/null):$(sed -n "s/^AWS_SECRET_ACCESS_KEY='\(.*\)'\$/\1/p" '/etc/quantlab/replayd.env' 2>/dev/null)\""
out=$(printf '%s\n' "$creds" | curl -s --max-time 5 -w '\n%{http_code}' -K - --aws-sigv4 'aws:amz:eu-west-1:s3' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' 'https://minio.fixture.test:9000/qc-compact''?list-type=2&max-keys=0') || :; code=$(printf '%s' "$out" | sed -n 's/.*<Code>\([A-Za-z]*\)<\/Code>.*/\1/p' | head -n 1); printf 'bucket %s %s %s\n' 'qc-compact' "${D}{out##*$'\n'}" "${D}{code:--}"`);
  });

  it("refuses an endpoint that is not a plain URL, and keys from a file outside root's trees", () => {
    const ask = { endpoint: "http://minio/$(id)", region: "us-east-1", signed: true, buckets: ["b"] };
    expect(() =>
      doctorScript({
        unit: "quantlab-replayd.service",
        envFiles: [],
        s3: { ask, envFile: "/etc/quantlab/replayd.env" },
        runtimeUser: "qlrun",
      }),
    ).toThrow('host script: invalid URL "http://minio/$(id)/b"');
    expect(() =>
      doctorScript({
        unit: "quantlab-replayd.service",
        envFiles: [],
        s3: { ask: { ...ask, endpoint: "http://minio:9000" }, envFile: "/home/qlrun/core/.env" },
        runtimeUser: "qlrun",
      }),
    ).toThrow("the S3 keys are read from a file of root's trees, not /home/qlrun/core/.env");
  });
});

describe("parseSections", () => {
  it("each section's lines under its name, blank lines dropped", () => {
    expect(parseSections(`noise\n${MARK} a\nx\n\ny\n${MARK} env /etc/quantlab/a.env\n`)).toEqual(
      new Map([
        ["a", ["x", "y"]],
        ["env /etc/quantlab/a.env", []],
      ]),
    );
  });
});

describe("under a real shell", () => {
  const scratch = scratchDir("doctor");
  afterAll(scratch.cleanup);
  const bin = path.join(scratch.dir, "bin");
  runuserStub(bin);
  for (const cmd of ["systemctl", "journalctl"]) stub(bin, cmd, 'echo "$*" >> "$LOG"');
  const dotenv = path.join(scratch.dir, "core.env");
  const spool = path.join(scratch.dir, "spool");
  fs.writeFileSync(dotenv, "# header\nQL_A='1'\nQL_B='x=y'\n");
  fs.mkdirSync(spool);
  fs.chmodSync(spool, 0o750);
  fs.writeFileSync(path.join(spool, "collector-alive.json"), "{}");

  it("the runtime user's env file (key names only) and spool, read as that user; a missing file absent", () => {
    const r = runOnHost(
      doctorScript({
        unit: "quantlab-collector.service",
        envFiles: [dotenv, path.join(scratch.dir, "none.env")],
        spoolDir: spool,
        runtimeUser: "qlrun",
      }),
      { bin },
    );
    expect(r.stderr).toBe("");
    const s = parseSections(r.stdout);
    expect(s.get(`env ${dotenv}`)).toEqual(["present", "key QL_A", "key QL_B"]);
    expect(s.get(`env ${path.join(scratch.dir, "none.env")}`)).toEqual(["absent"]);
    const sp = s.get("spool")!;
    expect(sp[0]).toBe("owner root root 750");
    expect(sp.map((l) => l.split(" ")[0])).toEqual(["owner", "free_kb", "newest", "now"]);
    expect(sp[2]!.endsWith(" collector-alive.json")).toBe(true);
    expect(r.stdout).not.toContain("'1'");
    expect(stubLog(bin, "runuser")).toBe("qlrun\nqlrun\nqlrun\n");
  });
});
