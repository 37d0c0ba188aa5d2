/**
 * The operations commands' scripts, whole text (what runs on the host), and
 * the parsers of what the host prints back.
 */
import { describe, expect, it } from "vitest";
import { doctorScript } from "../../cli/ops/doctor";
import { logsScript } from "../../cli/ops/logs";
import { restartScript } from "../../cli/ops/restart";
import { runJobScript } from "../../cli/ops/runjob";
import { runsScript } from "../../cli/ops/runs";
import { statusScript } from "../../cli/ops/status";

describe("script text", () => {
  it("status: unit properties, memory over its cgroup, port, health with the token from stdin", () => {
    expect(statusScript("quantlab-strategyd.service", 3031, { url: "http://127.0.0.1:3031/health", withToken: true })).toBe(String.raw`systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,StateChangeTimestamp,MainPID,MemoryCurrent quantlab-strategyd.service
cg=$(systemctl show -p ControlGroup --value quantlab-strategyd.service)
procs=; for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do if [ -n "$cg" ] && [ -r "$d$cg/cgroup.procs" ]; then procs="$d$cg/cgroup.procs"; break; fi; done
if [ -n "$procs" ]; then echo "rss_kb $(for p in $(cat "$procs"); do awk '/^VmRSS:/ {print $2}' /proc/$p/status 2>/dev/null; done | awk '{s += $1} END {print s + 0}')"; fi
if [ -n "$(lsof -nP -t -iTCP:3031 -sTCP:LISTEN)" ]; then echo "listening yes"; else echo "listening no"; fi
echo "health $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- http://127.0.0.1:3031/health)"`);
  });

  it("logs: journal and file, each under a heading", () => {
    expect(logsScript([{ kind: "journal", units: ["quantlab-observer.service"] }, { kind: "file", path: "/srv/b/core/observer-api/server.log" }], { lines: 20, since: "-1h", follow: false, json: false })).toBe(String.raw`echo '==> journal of quantlab-observer.service <=='
journalctl --no-pager -o short-iso -n 20 --since '-1h' -u quantlab-observer.service
echo '==> /srv/b/core/observer-api/server.log <=='
if [ -f /srv/b/core/observer-api/server.log ]; then tail -n 20 /srv/b/core/observer-api/server.log; else echo "(no file /srv/b/core/observer-api/server.log)" >&2; fi`);
  });

  it("logs -f: readers in the background, stopped when stdin closes", () => {
    expect(logsScript([{ kind: "journal", units: ["quantlab-observer.service"] }, { kind: "file", path: "/srv/b/core/observer-api/server.log" }], { lines: 20, follow: true, json: false })).toBe(String.raw`pids=
journalctl --no-pager -o short-iso -n 20 -f -u quantlab-observer.service &
pids="$pids $!"
tail -n 20 -F /srv/b/core/observer-api/server.log 2>/dev/null &
pids="$pids $!"
cat >/dev/null
kill $pids 2>/dev/null
wait`);
  });

  it("logs --json of a file: each line tagged with its path", () => {
    expect(logsScript([{ kind: "file", path: "/var/log/quantlab-ml.log" }], { lines: 5, follow: false, json: true })).toBe(String.raw`if [ -f /var/log/quantlab-ml.log ]; then tail -n 5 /var/log/quantlab-ml.log | sed -u 's|^|/var/log/quantlab-ml.log	|'; else echo "(no file /var/log/quantlab-ml.log)" >&2; fi`);
  });

  it("restart: health-gated, the token replayed from a variable, the journal on failure", () => {
    expect(restartScript("quantlab-labeld.service", { url: "http://127.0.0.1:3061/health", withToken: true })).toBe(String.raw`set -u
hdr=$(cat)
systemctl restart quantlab-labeld.service || { echo failed; journalctl --no-pager -o short-iso -n 30 -u quantlab-labeld.service; exit 1; }
end=$(( $(date +%s) + 30 ))
while :; do
  state=$(systemctl show -p ActiveState --value quantlab-labeld.service)
  code=$(printf '%s\n' "$hdr" | curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H @- http://127.0.0.1:3061/health)
  if [ "$state" = active ] && { [ "$code" = - ] || [ "$code" = 200 ]; }; then echo ready; exit 0; fi
  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout $state $code"; journalctl --no-pager -o short-iso -n 30 -u quantlab-labeld.service; exit 1; fi
  sleep 0.5
done`);
  });

  it("restart of a unit without a health endpoint: active is enough", () => {
    expect(restartScript("quantlab-worker.service", undefined)).toBe(String.raw`set -u
systemctl restart quantlab-worker.service || { echo failed; journalctl --no-pager -o short-iso -n 30 -u quantlab-worker.service; exit 1; }
end=$(( $(date +%s) + 30 ))
while :; do
  state=$(systemctl show -p ActiveState --value quantlab-worker.service)
  code=$(echo -)
  if [ "$state" = active ] && { [ "$code" = - ] || [ "$code" = 200 ]; }; then echo ready; exit 0; fi
  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout $state $code"; journalctl --no-pager -o short-iso -n 30 -u quantlab-worker.service; exit 1; fi
  sleep 0.5
done`);
  });

  it("run: as the user, in core, appending to the cron log; arguments as \"$@\" of a fixed text", () => {
    expect(runJobScript({ job: "ml", coreDir: "/srv/b/core", user: "qlrun", group: "qlgrp", args: ["--symbol", "btcusdt"] })).toBe(String.raw`set -u
cd /srv/b/core || exit 1
[ -f /var/log/quantlab-ml.log ] || install -m 0640 -o qlrun -g qlgrp /dev/null /var/log/quantlab-ml.log
start=$(stat -c %s /var/log/quantlab-ml.log)
runuser -u qlrun -- env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c 'exec node scheduler/run_daily_ml.js "$@" >> /var/log/quantlab-ml.log 2>&1' quantlab-run '--symbol' 'btcusdt'
code=$?
tail -c +$((start + 1)) /var/log/quantlab-ml.log
exit "$code"`);
  });

  it("runs: body and HTTP status", () => {
    expect(runsScript(3000, true)).toBe(String.raw`curl -s --max-time 10 -w '\n%{http_code}' -H @- http://127.0.0.1:3000/api/runs`);
  });

  it("doctor collector: spool, metrics", () => {
    expect(doctorScript({ unit: "quantlab-collector.service", port: 9100, probe: { url: "http://127.0.0.1:9100/health", withToken: false }, envFiles: ["/etc/quantlab/collector.env"], spoolDir: "/data/spool" })).toBe(String.raw`echo '::doctor:: state'
systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,Result,NRestarts,StateChangeTimestamp quantlab-collector.service
echo '::doctor:: errors'
journalctl --no-pager -o short-iso --since -24h -n 500 -u quantlab-collector.service | grep -iE 'error|fail|refused|denied|exception|traceback|eaddrinuse|killed|cannot|missing' | tail -n 8
echo '::doctor:: port'
lsof -nP -t -iTCP:9100 -sTCP:LISTEN | sort -u | while read -r pid; do echo "holder $pid $(cat /proc/$pid/comm 2>/dev/null) $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)"; done
echo '::doctor:: env /etc/quantlab/collector.env'
if [ -f /etc/quantlab/collector.env ]; then echo present; sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/key \1/p' /etc/quantlab/collector.env; else echo absent; fi
echo '::doctor:: health'
curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:9100/health; echo
echo '::doctor:: spool'
if [ -d /data/spool ]; then stat -c 'owner %U %G %a' /data/spool; df -Pk /data/spool | awk 'NR == 2 {print "free_kb", $4}'; echo "newest $(find /data/spool -maxdepth 1 -type f -printf '%T@ %f\n' | sort -n | tail -n 1)"; echo "now $(date +%s)"; else echo absent; fi
echo '::doctor:: metrics'
curl -s --max-time 5 http://127.0.0.1:9100/metrics | head -c 65536; echo`);
  });

  it("doctor of an S3 user with a token", () => {
    expect(doctorScript({ unit: "quantlab-replayd.service", port: 4030, probe: { url: "http://127.0.0.1:4030/health", withToken: true }, envFiles: ["/etc/quantlab/replayd.env"], s3Endpoint: "https://minio.fixture.test:9000" })).toBe(String.raw`hdr=$(cat)
echo '::doctor:: state'
systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,Result,NRestarts,StateChangeTimestamp quantlab-replayd.service
echo '::doctor:: errors'
journalctl --no-pager -o short-iso --since -24h -n 500 -u quantlab-replayd.service | grep -iE 'error|fail|refused|denied|exception|traceback|eaddrinuse|killed|cannot|missing' | tail -n 8
echo '::doctor:: port'
lsof -nP -t -iTCP:4030 -sTCP:LISTEN | sort -u | while read -r pid; do echo "holder $pid $(cat /proc/$pid/comm 2>/dev/null) $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)"; done
echo '::doctor:: env /etc/quantlab/replayd.env'
if [ -f /etc/quantlab/replayd.env ]; then echo present; sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/key \1/p' /etc/quantlab/replayd.env; else echo absent; fi
echo '::doctor:: health'
printf '%s\n' "$hdr" | curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- http://127.0.0.1:4030/health; echo
echo '::doctor:: s3'
curl -s -o /dev/null -w '%{http_code}' --max-time 5 https://minio.fixture.test:9000; echo`);
  });
});
