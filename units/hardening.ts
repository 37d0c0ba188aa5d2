/**
 * One named hardening baseline for every QuantLab unit, and the documented
 * relaxations a service may take from it. Each relaxation carries the reason
 * that is rendered as a comment above the directive it changes.
 */
import type { Runtime } from "../model/catalog";

/** The [Service] directives the baseline sets. A closed set: no free-form keys. */
export type HardeningKey =
  | "NoNewPrivileges"
  | "CapabilityBoundingSet"
  | "AmbientCapabilities"
  | "ProtectSystem"
  | "ProtectHome"
  | "PrivateTmp"
  | "PrivateDevices"
  | "PrivateUsers"
  | "PrivateIPC"
  | "DevicePolicy"
  | "ProtectKernelTunables"
  | "ProtectKernelModules"
  | "ProtectKernelLogs"
  | "ProtectControlGroups"
  | "ProtectClock"
  | "ProtectHostname"
  | "ProtectProc"
  | "ProcSubset"
  | "RestrictAddressFamilies"
  | "RestrictNamespaces"
  | "RestrictRealtime"
  | "RestrictSUIDSGID"
  | "LockPersonality"
  | "MemoryDenyWriteExecute"
  | "RemoveIPC"
  | "SystemCallArchitectures"
  | "SystemCallFilter"
  | "SystemCallErrorNumber"
  | "UMask";

export type Directive = readonly [HardeningKey, string];

/** quantlab-baseline: the strictest settings a networked QuantLab service runs under. */
export const BASELINE: readonly Directive[] = [
  ["NoNewPrivileges", "yes"],
  ["CapabilityBoundingSet", ""],
  ["AmbientCapabilities", ""],
  ["ProtectSystem", "strict"],
  ["ProtectHome", "read-only"],
  ["PrivateTmp", "yes"],
  ["PrivateDevices", "yes"],
  ["PrivateUsers", "yes"],
  ["PrivateIPC", "yes"],
  ["DevicePolicy", "closed"],
  ["ProtectKernelTunables", "yes"],
  ["ProtectKernelModules", "yes"],
  ["ProtectKernelLogs", "yes"],
  ["ProtectControlGroups", "yes"],
  ["ProtectClock", "yes"],
  ["ProtectHostname", "yes"],
  ["ProtectProc", "invisible"],
  ["ProcSubset", "pid"],
  ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"],
  ["RestrictNamespaces", "yes"],
  ["RestrictRealtime", "yes"],
  ["RestrictSUIDSGID", "yes"],
  ["LockPersonality", "yes"],
  ["MemoryDenyWriteExecute", "yes"],
  ["RemoveIPC", "yes"],
  ["SystemCallArchitectures", "native"],
  ["SystemCallFilter", "@system-service"],
  ["SystemCallFilter", "~@privileged @resources"],
  ["SystemCallErrorNumber", "EPERM"],
  ["UMask", "0027"],
];

export interface Relaxation {
  readonly key: HardeningKey;
  /** The new value, or undefined to drop the directive (systemd default). */
  readonly value: string | undefined;
  readonly reason: string;
}

/** Relaxations every service of a runtime takes. */
export const RUNTIME_RELAXATIONS: Readonly<Record<Runtime, readonly Relaxation[]>> = {
  node: [
    { key: "MemoryDenyWriteExecute", value: undefined, reason: "V8's JIT needs writable+executable memory" },
    { key: "ProcSubset", value: "all", reason: "os.cpus() reads /proc/cpuinfo and /proc/stat" },
    {
      key: "RestrictAddressFamilies",
      value: "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
      reason: "os.networkInterfaces() throws without AF_NETLINK",
    },
  ],
  python: [],
};

export interface HardeningLine {
  readonly key: HardeningKey;
  readonly value: string;
  readonly comment?: string;
}

/**
 * The baseline with relaxations applied, in baseline order. A relaxed
 * directive keeps its place and gains a comment; a dropped one becomes a
 * comment line only (key undefined is not allowed, so it is reported apart).
 */
export function applyRelaxations(relaxations: readonly Relaxation[]): {
  lines: HardeningLine[];
  dropped: Relaxation[];
} {
  const byKey = new Map(relaxations.map((r) => [r.key, r]));
  const lines: HardeningLine[] = [];
  const dropped: Relaxation[] = [];
  for (const [key, value] of BASELINE) {
    const relax = byKey.get(key);
    if (!relax) {
      lines.push({ key, value });
    } else if (relax.value === undefined) {
      if (!dropped.includes(relax)) dropped.push(relax);
    } else {
      lines.push({ key, value: relax.value, comment: `relaxed: ${relax.reason}` });
    }
  }
  return { lines, dropped };
}
