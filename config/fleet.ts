/**
 * The hosts of a stack, resolved: `quantlab:host` is a fleet of one named
 * "host"; each entry of `quantlab:hosts` gets the stack's services with its
 * own fields merged over them, its SSH target and its place in the rollout
 * waves. Pure functions over the parsed schema.
 */
import { SERVICE_NAMES, type ServiceName } from "../model/catalog";
import type { HostTarget, RolloutSettings } from "../model/input";
import type { HostScope } from "./cross";
import { describe, key } from "./problems";
import type { HostServicesConfig, HostSettings, SchemaConfig, ServicesConfig } from "./schema";

/** One host of the stack, before its model is resolved. */
export interface FleetHost extends HostScope {
  readonly name: string;
}

/** The single-host form's name. */
export const SINGLE_HOST_NAME = "host";

/** The name a single-host stack (`quantlab:host`) gives its host's resources. */
export const SINGLE_HOST_LABEL = "quantlab";

/** The stack's services with a host's fields merged over them, service by service: a field the host sets wins. */
export function mergeServices(stack: ServicesConfig, host: HostServicesConfig | undefined): ServicesConfig {
  if (!host) return stack;
  const merged: Record<string, unknown> = { ...stack };
  for (const name of SERVICE_NAMES) {
    const own = host[name];
    if (!own) continue;
    const set = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
    merged[name] = { enabled: true, after: [], ...stack[name], ...set };
  }
  return merged as ServicesConfig;
}

/** The SSH target of a host's settings. */
export function targetOf(h: HostSettings): HostTarget {
  return {
    address: h.address,
    port: h.port,
    user: h.user,
    ...(h.hostKey !== undefined ? { hostKey: h.hostKey } : {}),
    insecureSkipHostKeyCheck: h.insecureSkipHostKeyCheck,
    useAgent: h.useAgent,
    ...(h.bastion ? { bastion: { ...h.bastion } } : {}),
  };
}

/** The hosts of a config the schema accepted with exactly one of host and hosts set, with their key paths. */
export function fleetHosts(config: SchemaConfig): FleetHost[] {
  if (config.host) {
    return [
      {
        name: SINGLE_HOST_NAME,
        host: config.host,
        services: config.services,
        hostPath: (f) => ["host", f],
        servicePath: (n, f) => ["services", n, f],
      },
    ];
  }
  return (config.hosts ?? []).map((entry, i) => {
    const { name, services, ...host } = entry;
    const own = (n: ServiceName, f: string): boolean => (services?.[n] as Record<string, unknown> | undefined)?.[f] !== undefined;
    return {
      name,
      host,
      services: mergeServices(config.services, services),
      hostPath: (f) => ["hosts", i, f],
      servicePath: (n, f) => (own(n, f) ? ["hosts", i, "services", n, f] : ["services", n, f]),
    };
  });
}

/** Checks across the hosts: unique names, one entry per host, a canary within the fleet. */
export function fleetProblems(config: SchemaConfig, hosts: readonly FleetHost[]): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  hosts.forEach((h, i) => {
    const first = names.get(h.name);
    if (first !== undefined) problems.push(`${key(["hosts", i, "name"])}: ${describe(h.name)} is already the name of hosts.${first}`);
    else names.set(h.name, i);
    const endpoint = `${h.host.address.toLowerCase()} port ${h.host.port}`;
    const same = endpoints.get(endpoint);
    if (same !== undefined) {
      problems.push(
        `${key(["hosts", i, "address"])}: ${h.host.address} port ${h.host.port} is already hosts.${same} (${hosts[same]!.name}); two entries would manage one host`,
      );
    } else endpoints.set(endpoint, i);
  });
  const canary = config.rollout.canary;
  if (canary !== undefined && canary > hosts.length) {
    problems.push(`${key(["rollout", "canary"])}: expected at most the number of hosts (${hosts.length}), got ${canary}`);
  }
  return problems;
}

/**
 * The rollout's waves, host names in list order: the canary wave first (when
 * canary > 0), then batches of batchSize ("N%" is of all hosts, rounded down
 * and at least 1, as Ansible's `serial`).
 */
export function rolloutWaves(names: readonly string[], rollout: RolloutSettings): string[][] {
  const canary = rollout.canary ?? (names.length > 1 ? 1 : 0);
  const rest = names.slice(canary);
  const b = rollout.batchSize;
  const size =
    b === undefined ? rest.length : typeof b === "number" ? b : Math.max(1, Math.floor((names.length * Number(b.slice(0, -1))) / 100));
  const waves = canary > 0 ? [names.slice(0, canary)] : [];
  for (let i = 0; i < rest.length; i += size) waves.push(rest.slice(i, i + size));
  return waves;
}

/** A host's SSH target by name, from the parsed config (the provider's one way to learn where a host is). */
export function hostTarget(
  parsed: { readonly hosts: readonly { readonly name: string; readonly target: HostTarget }[] },
  name: string,
): HostTarget {
  const host = parsed.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host ${JSON.stringify(name)} in the stack config (hosts: ${parsed.hosts.map((h) => h.name).join(", ")})`);
  return host.target;
}
