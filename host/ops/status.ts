/** One service's live state for `quantlab status`: unit properties, memory, its port, its health. */
import { curlStatus, type HealthProbe } from "../units";
import { lines, root, ROOT_WHO, type Script } from "../script";
import { int, unit as unitValue } from "../values";

/**
 * Prints the unit's properties (timestamps as @epoch), `rss_kb <n>` summed
 * over the processes of its cgroup (where cgroup memory accounting is off),
 * `listening yes|no` for its port (lsof), `health <code>`.
 */
export function statusScript(unitName: string, port: number | undefined, probe: HealthProbe | undefined): Script {
  const u = unitValue(unitName);
  return lines(ROOT_WHO, [
    root`systemctl show --timestamp=unix -p LoadState,ActiveState,SubState,StateChangeTimestamp,MainPID,MemoryCurrent ${u}`,
    root`cg=$(systemctl show -p ControlGroup --value ${u})`,
    // cgroup v2, or the unified / systemd hierarchy of a hybrid (v1) host.
    root`procs=; for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do if [ -n "$cg" ] && [ -r "$d$cg/cgroup.procs" ]; then procs="$d$cg/cgroup.procs"; break; fi; done`,
    root`if [ -n "$procs" ]; then echo "rss_kb $(for p in $(cat "$procs"); do awk '/^VmRSS:/ {print $2}' /proc/$p/status 2>/dev/null; done | awk '{s += $1} END {print s + 0}')"; fi`,
    ...(port !== undefined
      ? [
          root`if [ -n "$(lsof -nP -t -iTCP:${int(port, 1, 65535)} -sTCP:LISTEN)" ]; then echo "listening yes"; else echo "listening no"; fi`,
        ]
      : []),
    ...(probe ? [root`echo "health $(${curlStatus(probe)})"`] : []),
  ]);
}
