/**
 * The host resource kinds, as data: each kind's Pulumi type, what names its
 * target in a report, and the input properties a diff compares (a
 * difference in one of them means the host must change). The provider
 * (provider/kind.ts), the resource classes (provider/resources.ts) and the
 * operator command's reports (cli/report.ts) all read this one table.
 */

export const KIND_NAMES = ["owner", "tools", "buckets", "file", "bundle", "checkout", "service", "generation", "wave"] as const;
export type KindName = (typeof KIND_NAMES)[number];

export interface KindInfo {
  /** The resource type's last part: `pulumi-nodejs:dynamic/quantlab:<type>`. */
  readonly type: string;
  /** The input property that names the host object (a path, a unit, a root), for reports. */
  readonly target: string | undefined;
  /** Input properties compared by diff (as JSON with sorted keys). */
  readonly compare: readonly string[];
  /** Report order: what the host gets first. */
  readonly order: number;
}

export const KINDS: Readonly<Record<KindName, KindInfo>> = {
  owner: { type: "HostOwner", target: undefined, compare: ["owner"], order: 0 },
  tools: { type: "HostTools", target: undefined, compare: ["commands", "installed"], order: 1 },
  buckets: { type: "HostBuckets", target: "endpoint", compare: ["endpoint", "region", "signed", "buckets", "answers"], order: 1 },
  file: { type: "HostFile", target: "path", compare: ["sha256", "mode", "owner", "group", "onChange", "createParent", "verify"], order: 2 },
  bundle: { type: "HostBundle", target: "root", compare: ["user", "files"], order: 3 },
  checkout: { type: "HostCheckout", target: "root", compare: ["user", "remote", "ref", "paths", "current"], order: 3 },
  service: { type: "HostService", target: "unit", compare: ["reads", "extra", "probe", "enabled", "active", "healthy"], order: 4 },
  generation: { type: "HostGeneration", target: undefined, compare: ["fingerprint", "keep"], order: 5 },
  wave: { type: "HostWave", target: undefined, compare: ["outcomes", "maxFailedHosts"], order: 6 },
};

/** The full Pulumi type token of a kind. */
export const typeToken = (kind: KindName): string => `pulumi-nodejs:dynamic/quantlab:${KINDS[kind].type}`;

/** The kind of a Pulumi type token, if it is one of ours. */
export function kindOfType(type: string): KindName | undefined {
  return KIND_NAMES.find((k) => typeToken(k) === type);
}
