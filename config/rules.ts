/**
 * What a careful operator would never want, beyond types: pure checks the
 * schema (config/schema.ts) and the cross-field pass (config/parse.ts) use.
 * Each returns the reason as the rest of an "expected ..." message, or
 * undefined when the value is fine.
 */
import { OWNER_DIR, STATE_ROOT } from "../model/paths";
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
  // Root's trees the package itself writes (model/paths.ts ROOT_TREES): host scripts run as root may name only paths there.
  "/var/log",
  OWNER_DIR,
  STATE_ROOT,
] as const;

/** Shared directories that are fine to live under, never to be. */
export const SHARED_DIRS = [
  "/",
  "/home",
  "/opt",
  "/srv",
  "/var",
  "/var/lib",
  "/var/log",
  "/var/spool",
  "/var/tmp",
  "/tmp",
  "/mnt",
  "/media",
] as const;

/** World-writable trees: anyone may make a path there first, and each service sees a private /tmp of its own. */
export const TEMP_TREES = ["/tmp", "/var/tmp", "/dev/shm"] as const;

/** Why `dir` (absolute, normalized) cannot be a runtime directory, or undefined. */
export function runtimeDirProblem(dir: string): string | undefined {
  const tree = SYSTEM_TREES.find((t) => dir === t || dir.startsWith(`${t}/`));
  if (tree) return `expected a directory outside ${tree} (the runtime user would be handed a system path)`;
  const temp = TEMP_TREES.find((t) => dir.startsWith(`${t}/`));
  if (temp)
    return `expected a directory outside ${temp} (any user may create a path there first, and the services see a private ${temp} of their own)`;
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

/** Why a path the services write (an env value) is a system path, or undefined. */
export function envPathProblem(path: string): string | undefined {
  const tree = SYSTEM_TREES.find((t) => path === t || path.startsWith(`${t}/`));
  return tree ? `expected a path outside ${tree} (the services would write into a system tree)` : undefined;
}

/** `path` is `dir` or inside it. */
export const within = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
const inside = (path: string, dir: string): boolean => path !== dir && within(path, dir);

export interface RuntimeDirs {
  readonly home: string;
  readonly backendRoot: string;
  readonly spoolDir: string;
}

/**
 * The runtime directories that overlap in a way that breaks a boundary, as
 * [field, reason] in field order. The home holds the runtime user's ssh and
 * git settings, the backend root is the code tree (code updates replace what
 * is there), and the spool is written by the collector alone. A backend root
 * inside the home is the default and fine; the spool inside the home is fine.
 */
export function runtimeDirOverlaps(d: RuntimeDirs): Array<[field: keyof RuntimeDirs, reason: string]> {
  const out: Array<[keyof RuntimeDirs, string]> = [];
  if (within(d.home, d.spoolDir)) {
    out.push([
      "home",
      "expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite the home's ssh and git settings)",
    ]);
  }
  if (inside(d.home, d.backendRoot)) {
    out.push([
      "home",
      "expected a directory outside runtime.backendRoot (the home's ssh and git settings would sit in the code tree, which code updates replace)",
    ]);
  }
  if (inside(d.backendRoot, d.spoolDir)) {
    out.push([
      "backendRoot",
      "expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite every service's code)",
    ]);
  }
  if (d.backendRoot === d.home) {
    out.push([
      "backendRoot",
      "expected a directory of its own inside or beside runtime.home, not the home itself (code updates would replace the home's ssh and git settings)",
    ]);
  }
  if (within(d.spoolDir, d.backendRoot)) {
    out.push([
      "spoolDir",
      "expected a directory outside runtime.backendRoot (the spool's data would sit in the code tree, which code updates replace)",
    ]);
  }
  return out;
}

/** Where the services that write the fills stream may write at all (PrivateTmp, ProtectSystem=strict, ReadWritePaths). */
export const WRITABLE_TEMP = ["/tmp", "/var/tmp"] as const;

/** Why the fills stream path is somewhere its writers cannot (or must not) write, or undefined. */
export function fillsPathProblem(path: string, runsDir: string): string | undefined {
  if ([...WRITABLE_TEMP, runsDir].some((dir) => inside(path, dir))) return undefined;
  return `expected a file under ${WRITABLE_TEMP.join(", ")} or the runs directory ${runsDir} (the services that write it can write nowhere else)`;
}
