/**
 * The service tables, from a catalog given as a parameter (the real one, or
 * a test's fixture with an eleventh service): one row per service, the
 * startup levels from the one DAG module, the capabilities, the cron jobs.
 */
import { startupLevels, validateDag } from "../../model/dag";
import { cell, code, list, table } from "./markdown";

/** A catalog entry as the tables read it (model/catalog.ts ServiceDefinition, with names as plain strings). */
export interface ServiceEntry {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly envFile: string;
  readonly workingDir: string;
  readonly command: readonly string[];
  readonly port?: number;
  readonly health?: { readonly path: string; readonly auth: boolean };
  readonly token?: string;
  readonly caps: readonly string[];
  readonly logFile?: string;
  readonly after: readonly string[];
  readonly calls: readonly string[];
}

/** A cron job as the table reads it (model/cron.ts). */
export interface CronEntry {
  readonly name: string;
  readonly script: string;
  readonly purpose: string;
  readonly defaultSchedule?: string;
  readonly cronFile: string;
  readonly logFile: string;
}

const codes = (xs: readonly string[]) => list(xs.map(code));

function health(s: ServiceEntry): string {
  if (!s.health) return "-";
  return `${code(`GET ${s.health.path}`)}${s.health.auth ? `, bearer ${code(`tokens.${s.token ?? s.name}`)}` : ""}`;
}

/** One row per service, in catalog order. */
export function servicesTable(services: readonly ServiceEntry[]): string {
  return table(
    ["service", "unit", "port", "health", "start command (default)", "working dir (default)", "starts after", "calls", "capabilities"],
    services.map((s) => [
      code(s.name),
      code(s.unit),
      s.port === undefined ? "-" : String(s.port),
      health(s),
      code(s.command.join(" ")),
      code(s.workingDir),
      codes(s.after),
      codes(s.calls),
      codes(s.caps),
    ]),
  );
}

/** What else each service has: its description, env file, token and log file. */
export function serviceFilesTable(services: readonly ServiceEntry[], envDir: string): string {
  return table(
    ["service", "what it is", "env file", "token (it checks; its callers present)", "log file besides the journal"],
    services.map((s) => [
      code(s.name),
      cell(s.description),
      code(`${envDir}/${s.envFile}`),
      s.token ? code(`tokens.${s.token}`) : "-",
      s.logFile ? code(`${s.workingDir}/${s.logFile}`) : "-",
    ]),
  );
}

/** The startup levels (level 1 first), from the catalog's own edges. */
export function levelsTable(services: readonly ServiceEntry[]): string {
  const names = services.map((s) => s.name);
  const edges = Object.fromEntries(services.map((s) => [s.name, s.after]));
  validateDag(names, edges);
  const byName = new Map(services.map((s) => [s.name, s]));
  return table(
    ["level", "services", "each starts after"],
    startupLevels(names, edges).map((level, i) => [
      String(i + 1),
      codes(level),
      level.map((n) => `${n}: ${list(byName.get(n)!.after)}`).join("; "),
    ]),
  );
}

/** Each capability, its meaning (the catalog's comment) and the services that have it. */
export function capabilitiesTable(services: readonly ServiceEntry[], docs: ReadonlyMap<string, string>): string {
  const caps = [...new Set([...docs.keys(), ...services.flatMap((s) => s.caps)])];
  return table(
    ["capability", "meaning", "services"],
    caps.map((c) => [code(c), cell(docs.get(c) ?? ""), codes(services.filter((s) => s.caps.includes(c)).map((s) => s.name))]),
  );
}

export function cronTable(jobs: readonly CronEntry[]): string {
  return table(
    ["job", "script (in `core/scheduler/`)", "purpose", "default schedule", "cron file", "log file"],
    jobs.map((j) => [
      code(j.name),
      code(j.script),
      cell(j.purpose),
      j.defaultSchedule ? code(j.defaultSchedule) : "none (off until given one)",
      code(j.cronFile),
      code(j.logFile),
    ]),
  );
}
