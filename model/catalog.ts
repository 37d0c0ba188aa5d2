/**
 * The QuantLab service catalog: one typed entry per service, as the
 * operations runbook describes it. Adding an eleventh service is one entry
 * here (and, if it has a token, one token name).
 *
 * Two relations, kept apart on purpose: `after` is startup order (systemd
 * `After=`, the deploy order); `calls` is who talks to whom over HTTP, and
 * only `calls` puts a callee's URL and token into an env file.
 *
 * Plain data: nothing in model/ imports anything outside model/.
 */

export const SERVICE_NAMES = [
  "replayd",
  "collector",
  "featurexd",
  "labeld",
  "strategyd",
  "backtestd",
  "job-worker",
  "observer",
  "observer-api",
  "console-ui",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Bearer tokens, one secret each (`quantlab:tokens.<name>`). */
export const TOKEN_NAMES = ["replayd", "featurexd", "labeld", "strategyd", "backtestd", "observer"] as const;
export type TokenName = (typeof TOKEN_NAMES)[number];

/** Which hardening relaxations a runtime needs (see units/hardening.ts). */
export type Runtime = "node" | "python";

/**
 * What a service does beyond listening, as closed data: everything that
 * depends on it (env variables, writable paths, the dotenv readers, doctor's
 * checks, log places, the runs command) reads these, never service names.
 */
export type Capability =
  /** Reads `<backend>/core/.env` itself (runbook: "Dotenv Files"). */
  | "reads-dotenv"
  /** Writes the collector spool directory. */
  | "writes-spool"
  /** Writes the strategyd runs directory. */
  | "writes-runs"
  /** Reads the runs directory (the observers). */
  | "reads-runs"
  /** Reads the compact data bucket. */
  | "s3-compact"
  /** Writes run archives to the archive bucket. */
  | "s3-archive"
  /** Runs the ExecutionEngine (its streaming flags reach it). */
  | "execution-engine"
  /** Serves the runs over HTTP (`GET /api/runs`, with its token): what `quantlab runs` asks. */
  | "runs-api";

export const has = (def: Pick<ServiceDefinition, "caps">, cap: Capability): boolean => def.caps.includes(cap);

export interface ServiceDefinition {
  readonly name: ServiceName;
  /** systemd unit name; the runbook's four names are kept as they are. */
  readonly unit: string;
  readonly description: string;
  /** Basename of the systemd env file under /etc/quantlab. */
  readonly envFile: string;
  /** Prefix of this service's variables: `<prefix>_PORT`, `<prefix>_URL`, `<prefix>_TOKEN`. */
  readonly envPrefix: string;
  readonly runtime: Runtime;
  /** Working directory, relative to the backend root. Overridable per stack. */
  readonly workingDir: string;
  /**
   * The directories (relative to the backend root) holding the code it runs:
   * with code from git, a change to their tree restarts it.
   * @default [workingDir]
   */
  readonly code?: readonly string[];
  /** argv; the executable is an absolute path. Overridable per stack. */
  readonly command: readonly string[];
  /** TCP port, when the service listens. Overridable per stack. */
  readonly port?: number;
  /** Health endpoint and whether it wants `Authorization: Bearer <token>`. */
  readonly health?: { readonly path: string; readonly auth: boolean };
  /** The token this service checks (and its clients present). */
  readonly token?: TokenName;
  /** What it does beyond listening (see Capability). */
  readonly caps: readonly Capability[];
  /** A log file it writes besides the journal, relative to its working directory. @default none */
  readonly logFile?: string;
  /**
   * Startup dependencies (runbook, "Service Dependency Startup Order"), each
   * with the runbook's reason. Their levels are the runbook's four
   * "safe parallel groups". Startup order only: it grants nothing.
   */
  readonly after: readonly ServiceName[];
  /**
   * The services whose HTTP API this one calls: its env file carries their
   * `<PREFIX>_URL` and `<PREFIX>_TOKEN`, and nothing of any other service.
   * Every callee is also in `after` (a client starts after what it calls).
   */
  readonly calls: readonly ServiceName[];
}

const NPM_START = ["/usr/bin/npm", "start"] as const;

export const CATALOG: Readonly<Record<ServiceName, ServiceDefinition>> = {
  replayd: {
    name: "replayd",
    unit: "quantlab-replayd.service",
    description: "QuantLab replay service (core data provider, SSE)",
    envFile: "replayd.env",
    envPrefix: "REPLAYD",
    runtime: "node",
    // The runbook gives no start command for systemd-managed services: default documented in README.
    workingDir: "services/replayd",
    command: NPM_START,
    port: 3030,
    health: { path: "/health", auth: false },
    token: "replayd",
    caps: ["s3-compact"],
    after: [], // no dependencies: core data provider
    calls: [],
  },
  collector: {
    name: "collector",
    unit: "quantlab-collector.service",
    description: "QuantLab market data collector (writes the spool)",
    envFile: "collector.env",
    envPrefix: "COLLECTOR",
    runtime: "python",
    workingDir: "collector",
    command: ["/usr/bin/python3", "collector.py"],
    port: 9100,
    health: { path: "/health", auth: false },
    caps: ["writes-spool"],
    after: [], // independent: writes to spool
    calls: [],
  },
  featurexd: {
    name: "featurexd",
    unit: "quantlab-featurexd.service",
    description: "QuantLab feature extraction service",
    envFile: "featurexd.env",
    envPrefix: "FEATUREXD",
    runtime: "node",
    workingDir: "services/featurexd",
    command: NPM_START,
    port: 3051,
    health: { path: "/health", auth: true },
    token: "featurexd",
    caps: ["s3-compact"],
    after: ["replayd"], // its data source first
    calls: ["replayd"], // consumes replayd's SSE
  },
  labeld: {
    name: "labeld",
    unit: "quantlab-labeld.service",
    description: "QuantLab labelling service",
    envFile: "labeld.env",
    envPrefix: "LABELD",
    runtime: "node",
    workingDir: "services/labeld",
    command: NPM_START,
    port: 3061,
    health: { path: "/health", auth: true },
    token: "labeld",
    caps: [],
    after: ["featurexd"], // its data source first
    calls: ["featurexd"], // reads featurexd's datasets
  },
  strategyd: {
    name: "strategyd",
    unit: "quantlab-strategyd.service",
    description: "QuantLab strategy service",
    envFile: "strategyd.env",
    envPrefix: "STRATEGYD",
    runtime: "node",
    workingDir: "services/strategyd",
    command: NPM_START,
    port: 3031,
    health: { path: "/health", auth: true },
    token: "strategyd",
    caps: ["writes-runs", "s3-archive", "execution-engine"],
    after: ["replayd"], // its data source first
    calls: ["replayd"], // consumes replayd's SSE
  },
  backtestd: {
    name: "backtestd",
    unit: "quantlab-backtestd.service",
    description: "QuantLab backtest service",
    envFile: "backtestd.env",
    envPrefix: "BACKTESTD",
    runtime: "node",
    workingDir: "services/backtestd",
    command: NPM_START,
    port: 3041,
    health: { path: "/health", auth: true },
    token: "backtestd",
    caps: ["writes-runs", "execution-engine"],
    after: ["replayd", "strategyd"], // spawns strategyd, reads replayd
    calls: ["replayd", "strategyd"], // the two APIs it drives
  },
  "job-worker": {
    name: "job-worker",
    unit: "quantlab-worker.service",
    description: "QuantLab job worker",
    envFile: "worker.env",
    envPrefix: "WORKER",
    runtime: "node",
    workingDir: "core",
    command: ["/usr/bin/node", "worker/job-worker.js"],
    caps: ["reads-dotenv", "writes-runs", "execution-engine"],
    after: ["strategyd"], // spawns strategyd scripts
    calls: [], // spawns strategyd scripts as processes: no HTTP call
  },
  observer: {
    name: "observer",
    unit: "quantlab-observer-core.service",
    description: "QuantLab run observer (core)",
    envFile: "observer.env",
    envPrefix: "OBSERVER",
    runtime: "node",
    workingDir: ".",
    code: ["core"], // runs core/observer/index.js from the root: its code is core, not the whole tree
    command: ["/usr/bin/node", "core/observer/index.js"],
    token: "observer",
    caps: ["reads-dotenv", "reads-runs"],
    after: ["strategyd", "backtestd", "job-worker"], // monitors the runs these three produce
    calls: [], // reads the runs directory: no HTTP call
  },
  "observer-api": {
    name: "observer-api",
    unit: "quantlab-observer.service",
    description: "QuantLab observer API (read-only over the runs directory)",
    envFile: "observer-api.env",
    envPrefix: "OBSERVER_API",
    runtime: "node",
    workingDir: "core/observer-api",
    command: NPM_START,
    port: 3000,
    health: { path: "/ping", auth: false },
    token: "observer",
    caps: ["reads-dotenv", "reads-runs", "runs-api"],
    logFile: "server.log",
    after: ["backtestd", "job-worker"], // serves the runs directory they write
    calls: [], // reads the runs directory: no HTTP call
  },
  "console-ui": {
    name: "console-ui",
    unit: "quantlab-console-ui.service",
    description: "QuantLab console UI",
    envFile: "console.env",
    envPrefix: "CONSOLE_UI",
    runtime: "node",
    workingDir: "console-ui",
    command: NPM_START,
    caps: [],
    after: ["featurexd", "labeld", "strategyd", "backtestd"], // frontend over these backend APIs
    calls: ["featurexd", "labeld", "strategyd", "backtestd"], // the same four APIs
  },
};

/** The catalog's own startup edges, as a plain adjacency map. */
export function catalogEdges(): Record<ServiceName, readonly ServiceName[]> {
  return Object.fromEntries(SERVICE_NAMES.map((n) => [n, CATALOG[n].after])) as Record<ServiceName, readonly ServiceName[]>;
}
