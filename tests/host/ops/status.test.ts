/** `status`'s script on the host (host/ops/status.ts), whole text. */
import { describe, expect, it } from "vitest";
import { statusScript } from "../../../host/ops/status";

describe("statusScript", () => {
  it("unit properties, memory summed over its cgroup, port, health with the token from stdin", () => {
    expect(statusScript("quantlab-strategyd.service", 3031, { url: "http://127.0.0.1:3031/health", withToken: true }).text)
      .toBe(String.raw`systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,StateChangeTimestamp,MainPID,MemoryCurrent 'quantlab-strategyd.service'
cg=$(systemctl show -p ControlGroup --value 'quantlab-strategyd.service')
procs=; for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do if [ -n "$cg" ] && [ -r "$d$cg/cgroup.procs" ]; then procs="$d$cg/cgroup.procs"; break; fi; done
if [ -n "$procs" ]; then echo "rss_kb $(for p in $(cat "$procs"); do awk '/^VmRSS:/ {print $2}' /proc/$p/status 2>/dev/null; done | awk '{s += $1} END {print s + 0}')"; fi
if [ -n "$(lsof -nP -t -iTCP:3031 -sTCP:LISTEN)" ]; then echo "listening yes"; else echo "listening no"; fi
echo "health $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- 'http://127.0.0.1:3031/health')"`);
  });

  it("without a port or a probe: no port or health line", () => {
    expect(statusScript("quantlab-worker.service", undefined, undefined).text.split("\n")).toHaveLength(4);
    expect(() => statusScript("quantlab-worker.service", 70000, undefined)).toThrow("host script: invalid integer 1-65535 70000");
  });
});
