/**
 * What a careful operator would never want, beyond types: pure checks the
 * schema (config/schema.ts) and the cross-field pass (config/parse.ts) use.
 * Each returns the reason as the rest of an "expected ..." message, or
 * undefined when the value is fine.
 */
import { PRIVILEGED_GROUPS, SYSTEM_PREFIXES, SYSTEM_USERS } from "./accounts";

/**
 * Trees that belong to the system: a runtime directory inside one would be
 * created and chowned to the runtime user by tmpfiles/sysusers.
 */
export const SYSTEM_TREES = [
  "/etc",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/boot",
  "/proc",
  "/sys",
  "/dev",
  "/run",
  "/root",
  "/var/lib/dpkg",
  "/var/lib/apt",
  "/var/lib/systemd",
  "/var/cache/apt",
] as const;

/** Shared directories that are fine to live under, never to be. */
export const SHARED_DIRS = ["/", "/home", "/opt", "/srv", "/var", "/var/lib", "/var/log", "/var/spool", "/var/tmp", "/tmp", "/mnt", "/media"] as const;

/** Why `dir` (absolute, normalized) cannot be a runtime directory, or undefined. */
export function runtimeDirProblem(dir: string): string | undefined {
  const tree = SYSTEM_TREES.find((t) => dir === t || dir.startsWith(`${t}/`));
  if (tree) return `expected a directory outside ${tree} (the runtime user would be handed a system path)`;
  if ((SHARED_DIRS as readonly string[]).includes(dir)) {
    return `expected a directory of its own, not the shared ${dir} (the runtime user would be handed all of it)`;
  }
  return undefined;
}

/** The lowest port an unprivileged service can bind (the units drop every capability, CAP_NET_BIND_SERVICE included). */
export const FIRST_UNPRIVILEGED_PORT = 1024;

/** Why a service port is unusable on its own, or undefined (range and type are the schema's). */
export function servicePortProblem(port: number): string | undefined {
  return Number.isInteger(port) && port >= 1 && port < FIRST_UNPRIVILEGED_PORT
    ? `expected ${FIRST_UNPRIVILEGED_PORT}-65535 (the services run unprivileged with every capability dropped and cannot bind a port below ${FIRST_UNPRIVILEGED_PORT})`
    : undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The port of an endpoint URL that points at the target host itself (loopback), or undefined. */
export function loopbackPort(url: string): number | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!LOOPBACK.has(u.hostname)) return undefined;
  return u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
}

const reservedBy = (name: string, table: Readonly<Record<string, string>>): string | undefined => {
  if (Object.hasOwn(table, name)) return `${name}: ${table[name]}`;
  const prefix = SYSTEM_PREFIXES.find(([p]) => name.startsWith(p));
  return prefix ? `${prefix[0]}*: ${prefix[1]}` : undefined;
};

/** Why `name` cannot be the runtime user (root, a system or service account), or undefined. */
export function runtimeUserProblem(name: string): string | undefined {
  if (name === "root") return "expected an unprivileged user";
  const reason = reservedBy(name, SYSTEM_USERS);
  return reason ? `expected an account of its own, not a system account (${reason})` : undefined;
}

/** Why `name` cannot be the runtime group (privileged, or shared with other accounts), or undefined. */
export function runtimeGroupProblem(name: string): string | undefined {
  const reason = reservedBy(name, PRIVILEGED_GROUPS);
  return reason ? `expected a group of its own, not a privileged or shared one (${reason})` : undefined;
}
