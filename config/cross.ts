/**
 * Checks zod cannot express field by field: collisions, overlaps, the DAG,
 * services that call a disabled one, conditional requirements. Stack-wide
 * checks run once; host checks run once per host, with that host's key
 * paths (`quantlab:host.*` or `quantlab:hosts.<i>.*`) and its services.
 */
import { CATALOG, SERVICE_NAMES, type ServiceName } from "../model/catalog";
import { CRON_JOB_NAMES, CRON_JOBS } from "../model/cron";
import { DagError, validateDag } from "../model/dag";
import { allEdges, cronJobEnabled, enabledServiceNames, servicePort } from "../model/model";
import { RUNS_DIR, join } from "../model/paths";
import { describe, key } from "./problems";
import { fillsPathProblem, loopbackPort, runtimeDirOverlaps } from "./rules";
import type { HostSettings, SchemaConfig, ServicesConfig } from "./schema";

/** One host as the checks see it: its settings, its services (stack-level merged with its own), and where each was set. */
export interface HostScope {
  readonly host: HostSettings;
  readonly services: ServicesConfig;
  /** Key path of one of the host's fields: ["host", f] or ["hosts", i, f]. */
  readonly hostPath: (field: string) => readonly PropertyKey[];
  /** Key path where a service's field was set for this host (its own override, else the stack's). */
  readonly servicePath: (service: ServiceName, field: string) => readonly PropertyKey[];
}

/** "a", "a and b", "a, b and c" */
const list = (names: readonly string[]): string =>
  names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;

/** The checks that concern the stack as a whole (runtime, S3, cron, code): the same on every host. */
export function stackProblems(config: SchemaConfig): string[] {
  const problems: string[] = [];
  for (const job of CRON_JOB_NAMES) {
    if (cronJobEnabled(config, job) && !config.cron[job]?.schedule && !CRON_JOBS[job].defaultSchedule) {
      problems.push(`${key(["cron", job, "schedule"])}: required when the job is enabled (a cron schedule such as "30 1 * * *")`);
    }
  }
  if (config.code.localDir !== undefined && config.code.git !== undefined) {
    problems.push(`${key(["code"])}: set either localDir (ship a local directory) or git (check a ref out on the host), not both`);
  }
  if (config.s3.archiveBucket === config.s3.compactBucket) {
    problems.push(
      `${key(["s3", "archiveBucket"])}: expected a bucket other than s3.compactBucket (the run archive and the compact data would share one bucket), got ${describe(config.s3.archiveBucket)}`,
    );
  }
  for (const [field, reason] of runtimeDirOverlaps(config.runtime)) {
    problems.push(`${key(["runtime", field])}: ${reason}, got ${describe(config.runtime[field])}`);
  }
  const fills = config.env.executionFillsStreamPath;
  const fillsProblem = fillsPathProblem(fills, join(config.runtime.backendRoot, RUNS_DIR));
  if (fillsProblem) problems.push(`${key(["env", "executionFillsStreamPath"])}: ${fillsProblem}, got ${describe(fills)}`);
  return problems;
}

/** The checks of one host: ports, startup order, calls, host key, login user. */
export function hostProblems(config: SchemaConfig, scope: HostScope): string[] {
  const problems: string[] = [];
  const input = { ...config, services: scope.services };
  const enabled = enabledServiceNames(input);
  const { host, hostPath, servicePath } = scope;

  const ports = new Map<number, ServiceName>();
  const s3Port = config.s3.endpoint === undefined ? undefined : loopbackPort(config.s3.endpoint);
  const perHost = (path: readonly PropertyKey[]): boolean => path[0] === "hosts";
  for (const name of enabled) {
    const port = servicePort(input, name);
    if (port === undefined) continue;
    const at = key(servicePath(name, "port"));
    const other = ports.get(port);
    if (other && perHost(servicePath(other, "port")) && !perHost(servicePath(name, "port"))) {
      // The host's own override collides with a stack-level port: the override is the one to change.
      problems.push(`${key(servicePath(other, "port"))}: port ${port} is already used by ${name}`);
    } else if (other) problems.push(`${at}: port ${port} is already used by ${other}`);
    else if (port === host.port) problems.push(`${at}: port ${port} is the host's SSH port (${key(hostPath("port"))})`);
    else if (port === s3Port) problems.push(`${at}: port ${port} is the S3 endpoint's port on this host (quantlab:s3.endpoint)`);
    else ports.set(port, name);
  }

  try {
    validateDag(SERVICE_NAMES, allEdges(input));
  } catch (e) {
    if (!(e instanceof DagError)) throw e;
    problems.push(`${key(servicePath(e.node as ServiceName, "after"))}: ${e.message}`);
  }

  for (const callee of SERVICE_NAMES.filter((n) => !enabled.includes(n))) {
    const callers = enabled.filter((c) => CATALOG[c].calls.includes(callee));
    if (callers.length === 0) continue;
    const them = callers.length === 1 ? callers[0]! : "them";
    problems.push(
      `${key(servicePath(callee, "enabled"))}: ${list(callers)} call${callers.length === 1 ? "s" : ""} ${callee}; disable ${them} too or keep ${callee} enabled`,
    );
  }

  const path = (field: string) => hostPath(field).join(".");
  if (!host.hostKey && !host.insecureSkipHostKeyCheck) {
    problems.push(
      `${key(hostPath("hostKey"))}: required to pin the host's SSH key (e.g. the ssh-ed25519 line of \`ssh-keyscan -t ed25519 ${host.address}\`), or set ${path("insecureSkipHostKeyCheck")}: true`,
    );
  }
  if (host.hostKey && host.insecureSkipHostKeyCheck) {
    problems.push(
      `${key(hostPath("insecureSkipHostKeyCheck"))}: set one of ${path("hostKey")} and ${path("insecureSkipHostKeyCheck")}: true, not both (the pinned key would be ignored)`,
    );
  }
  if (config.runtime.user === host.user) {
    problems.push(
      `${key(["runtime", "user"])}: expected an account other than the SSH login user of ${key(hostPath("user"))} (the package acts as root through it), got ${describe(config.runtime.user)}`,
    );
  }
  return problems;
}
