/**
 * `quantlab logs NAME [-n N] [--since WHEN] [-f]`: the runbook's log places.
 * A service's journal (observer-api's server.log too), a cron job's log file
 * (`ml`: /var/log/quantlab-ml.log), or `all` units' journals merged. With
 * -f it follows until Ctrl-C; the remote readers stop when the channel's
 * stdin closes (Ctrl-C, or a dropped connection), so nothing is left
 * running on the host.
 */
import { CRON_JOB_NAMES, type CronJobName } from "../../model/cron";
import { cronLogPath, join } from "../../model/paths";
import { checkPath, checkUnit } from "../../provider/scripts";
import { OpsUsageError } from "./args";
import type { Target } from "./target";

export type LogSource = { readonly kind: "journal"; readonly units: readonly string[] } | { readonly kind: "file"; readonly path: string };

/** Where NAME's logs are: services by name, cron jobs by name, `all` for every enabled unit. */
export function logSources(t: Pick<Target, "plan" | "model">, name: string): LogSource[] {
  if (name === "all") return [{ kind: "journal", units: t.plan.units.map((u) => u.unit) }];
  const unit = t.plan.units.find((u) => u.service === name);
  if (unit) {
    const files =
      name === "observer-api" ? [{ kind: "file" as const, path: join(t.model.services.find((s) => s.def.name === "observer-api")!.workingDir, "server.log") }] : [];
    return [{ kind: "journal", units: [unit.unit] }, ...files];
  }
  if ((CRON_JOB_NAMES as readonly string[]).includes(name)) return [{ kind: "file", path: cronLogPath(name as CronJobName) }];
  throw new OpsUsageError(
    `logs: "${name}" is neither an enabled service (${t.plan.units.map((u) => u.service).join(", ")}), a cron job (${CRON_JOB_NAMES.join(", ")}) nor all`,
  );
}

export interface LogOptions {
  readonly lines: number;
  readonly since?: string;
  readonly follow: boolean;
  /** journal entries as JSON (-o json), file lines prefixed with "<path>\t". */
  readonly json: boolean;
}

const SINCE = /^[A-Za-z0-9 :+._-]{1,40}$/;

function reader(s: LogSource, o: LogOptions): string {
  if (!Number.isInteger(o.lines) || o.lines < 1) throw new Error(`invalid line count ${o.lines}`);
  if (s.kind === "journal") {
    s.units.forEach(checkUnit);
    if (o.since !== undefined && !SINCE.test(o.since)) throw new Error(`invalid --since ${JSON.stringify(o.since)}`);
    return [
      "journalctl --no-pager",
      `-o ${o.json ? "json" : "short-iso"}`,
      `-n ${o.lines}`,
      ...(o.since !== undefined ? [`--since '${o.since}'`] : []),
      ...(o.follow ? ["-f"] : []),
      ...s.units.map((u) => `-u ${u}`),
    ].join(" ");
  }
  checkPath(s.path);
  const tail = `tail -n ${o.lines}${o.follow ? " -F" : ""} ${s.path}${o.json ? ` | sed -u 's|^|${s.path}\t|'` : ""}`;
  // -F waits for a file that does not exist yet; without -f a missing file is said once.
  return o.follow ? `${tail} 2>/dev/null` : `if [ -f ${s.path} ]; then ${tail}; else echo "(no file ${s.path})" >&2; fi`;
}

const heading = (s: LogSource): string => (s.kind === "journal" ? `journal of ${s.units.join(" ")}` : s.path);

/**
 * The script that prints (or follows) the sources. Following, each reader
 * runs in the background and the script waits on its own stdin: when that
 * closes, it stops the readers and exits.
 */
export function logsScript(sources: readonly LogSource[], o: LogOptions): string {
  if (sources.length === 0) throw new Error("no log source");
  if (!o.follow) {
    return sources.map((s) => (sources.length > 1 && !o.json ? `echo '==> ${heading(s)} <=='\n${reader(s, o)}` : reader(s, o))).join("\n");
  }
  return [
    "pids=",
    ...sources.flatMap((s) => [`${reader(s, o)} &`, 'pids="$pids $!"']),
    "cat >/dev/null",
    "kill $pids 2>/dev/null",
    "wait",
  ].join("\n");
}

export interface LogLine {
  readonly source: string;
  /** ISO time, from the journal. */
  readonly time?: string;
  readonly message: string;
}

/** One line of a --json run: a journal entry, or "<path>\t<line>" from a file. */
export function parseJsonLogLine(line: string): LogLine | undefined {
  if (line.startsWith("{")) {
    const e = JSON.parse(line) as { _SYSTEMD_UNIT?: string; UNIT?: string; __REALTIME_TIMESTAMP?: string; MESSAGE?: unknown };
    const message = Array.isArray(e.MESSAGE) ? Buffer.from(e.MESSAGE as number[]).toString("utf8") : String(e.MESSAGE ?? "");
    const time = e.__REALTIME_TIMESTAMP ? new Date(Number(e.__REALTIME_TIMESTAMP) / 1000).toISOString() : undefined;
    // UNIT: the unit systemd itself writes about ("Started ..."); _SYSTEMD_UNIT: the unit whose process wrote.
    return { source: e.UNIT ?? e._SYSTEMD_UNIT ?? "journal", ...(time ? { time } : {}), message };
  }
  const tab = line.indexOf("\t");
  if (line.startsWith("/") && tab > 0) return { source: line.slice(0, tab), message: line.slice(tab + 1) };
  return undefined;
}

/** Splits a stream into whole lines (the last partial line waits for the next chunk). */
export function lineSplitter(onLine: (line: string) => void): { push(d: Buffer | string): void; flush(): void } {
  let rest = "";
  return {
    push(d) {
      const parts = (rest + d.toString()).split("\n");
      rest = parts.pop()!;
      parts.forEach(onLine);
    },
    flush() {
      if (rest) onLine(rest);
      rest = "";
    },
  };
}

export interface LogsRequest {
  readonly name: string;
  readonly options: LogOptions;
}

/** Runs `logs`; following, resolves once `stopSignal` fires and the host side has ended. */
export async function logsCommand(t: Target, req: LogsRequest, out: (s: string) => void, err: (s: string) => void, stopSignal: Promise<void>): Promise<number> {
  const script = logsScript(logSources(t, req.name), req.options);
  const lines = req.options.json
    ? lineSplitter((l) => {
        const parsed = parseJsonLogLine(l);
        if (parsed) out(`${JSON.stringify(parsed)}\n`);
      })
    : undefined;
  if (!req.options.follow) {
    const r = await t.host.exec(script);
    if (lines) {
      lines.push(r.stdout);
      lines.flush();
    } else out(r.stdout);
    if (r.stderr) err(r.stderr);
    return r.code;
  }
  const s = await t.host.stream(script, (d) => out(d.toString()), (d) => err(d.toString()));
  await Promise.race([stopSignal, s.done]);
  s.stop();
  await s.done;
  return 0;
}
