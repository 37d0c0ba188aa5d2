/**
 * renderUnit(): a resolved service spec to the text of its systemd unit file.
 * Directive keys come from closed types, so a typo cannot be written.
 */
import { RUNTIME_RELAXATIONS, applyRelaxations, type HardeningKey } from "./hardening";
import type { Runtime } from "../model/catalog";
import { MANAGED_HEADER, SAFE_CHARS, SAFE_WORD } from "../model/values";

/** Everything renderUnit needs, as plain resolved values. */
export interface UnitSpec {
  /** e.g. `quantlab-replayd.service` */
  readonly unit: string;
  readonly description: string;
  readonly user: string;
  readonly group: string;
  /** Absolute working directory. */
  readonly workingDirectory: string;
  /** argv; argv[0] is absolute. */
  readonly execStart: readonly string[];
  /** Absolute path of the systemd env file. */
  readonly environmentFile: string;
  /** Units this one starts after (and wants). */
  readonly after: readonly string[];
  /** When set, the unit is active only once this TCP port accepts connections. */
  readonly port?: number;
  /** Directories the service may write (everything else is read-only). */
  readonly readWritePaths: readonly string[];
  readonly runtime: Runtime;
}

type UnitKey = "Description" | "Documentation" | "After" | "Wants";
type ServiceKey =
  | "Type"
  | "User"
  | "Group"
  | "WorkingDirectory"
  | "EnvironmentFile"
  | "Environment"
  | "ExecStart"
  | "ExecStartPost"
  | "Restart"
  | "RestartSec"
  | "TimeoutStartSec"
  | "ReadWritePaths"
  | HardeningKey;
type InstallKey = "WantedBy";

interface Line<K extends string> {
  readonly key: K;
  readonly value: string;
  readonly comment?: string;
}

/** Quotes nothing: every argument must be a plain word (checked again here, not only in config). */
function execLine(argv: readonly string[]): string {
  for (const arg of argv) {
    if (!SAFE_WORD.test(arg)) throw new Error(`unit command argument ${JSON.stringify(arg)} has characters outside ${SAFE_CHARS}`);
  }
  if (!argv[0]?.startsWith("/")) throw new Error(`unit command must start with an absolute path, got ${JSON.stringify(argv[0])}`);
  return argv.join(" ");
}

/**
 * A readiness probe: the start job completes once the port accepts TCP
 * connections, so a unit ordered After= this one (on boot) and the next
 * `systemctl restart` (under `pulumi up`) both find it listening.
 * Written without `$` and `%` so systemd expands nothing in it.
 */
export function waitForPort(unit: string, port: number): string {
  return (
    `/bin/bash -c 'for attempt in {1..600}; do (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && exit 0; sleep 0.1; done; ` +
    `echo "${unit}: port ${port} not accepting connections after 60 s" >&2; exit 1'`
  );
}

function section<K extends string>(name: string, lines: readonly Line<K>[]): string {
  const body = lines.flatMap((l) => (l.comment ? [`# ${l.comment}`, `${l.key}=${l.value}`] : [`${l.key}=${l.value}`]));
  return [`[${name}]`, ...body].join("\n");
}

export function renderUnit(spec: UnitSpec): string {
  const after = ["network-online.target", ...spec.after].join(" ");
  const unit: Line<UnitKey>[] = [
    { key: "Description", value: spec.description },
    { key: "After", value: after },
    { key: "Wants", value: after },
  ];

  const isNpm = spec.execStart[0]?.endsWith("/npm") ?? false;
  const { lines: hardening, dropped } = applyRelaxations(RUNTIME_RELAXATIONS[spec.runtime]);
  const service: Line<ServiceKey>[] = [
    { key: "Type", value: "exec" },
    { key: "User", value: spec.user },
    { key: "Group", value: spec.group },
    { key: "WorkingDirectory", value: spec.workingDirectory },
    { key: "EnvironmentFile", value: spec.environmentFile },
    ...(isNpm
      ? [
          {
            key: "Environment" as const,
            value: "npm_config_cache=/tmp/npm-cache npm_config_update_notifier=false",
            comment: "npm writes its cache and logs under the private /tmp (the home directory is read-only)",
          },
        ]
      : []),
    { key: "ExecStart", value: execLine(spec.execStart) },
    ...(spec.port === undefined
      ? []
      : [
          {
            key: "ExecStartPost" as const,
            value: waitForPort(spec.unit, spec.port),
            comment: "active only once listening: units after this one start against a ready port",
          },
        ]),
    { key: "Restart", value: "on-failure" },
    { key: "RestartSec", value: "2s" },
    { key: "TimeoutStartSec", value: "90s" },
    ...hardening.map((h, i) => ({
      ...h,
      comment:
        [i === 0 ? "hardening: quantlab-baseline (units/hardening.ts)" : undefined, h.comment].filter(Boolean).join("; ") || undefined,
    })),
    ...spec.readWritePaths.map((p, i) => ({
      key: "ReadWritePaths" as const,
      value: p,
      comment: i === 0 ? "relaxed: the only paths this service writes" : undefined,
    })),
  ];
  const droppedComments = dropped.map((d) => `# relaxed: ${d.key} not set: ${d.reason}`);
  const install: Line<InstallKey>[] = [{ key: "WantedBy", value: "multi-user.target" }];

  const serviceText = section("Service", service) + (droppedComments.length ? "\n" + droppedComments.join("\n") : "");
  return [MANAGED_HEADER, section("Unit", unit), "", serviceText, "", section("Install", install), ""].join("\n");
}
