/**
 * `quantlab logs NAME [-n N] [--since WHEN] [-f]`: the runbook's log places.
 * A service's journal (and the log file its catalog entry names, as
 * observer-api's server.log), a cron job's log file (`ml`:
 * /var/log/quantlab-ml.log), or `all` units' journals merged. With -f it
 * follows until Ctrl-C; the readers on the host stop when the channel's
 * stdin closes (Ctrl-C, or a dropped connection).
 */
import { CRON_JOB_NAMES, type CronJobName } from "../../model/cron";
import { cronLogPath, join } from "../../model/paths";
import { logsScript, type LogOptions, type LogSource } from "../../host/ops/logs";
import { usageError, type Command, type Invocation } from "../args";
import { stackContext, type Target } from "../context";

/** Where NAME's logs are: services by name, cron jobs by name, `all` for every enabled unit. */
export function logSources(t: Pick<Target, "plan" | "host">, name: string, commands: Invocation["commands"]): LogSource[] {
  if (name === "all") return [{ kind: "journal", units: t.plan.units.map((u) => u.unit) }];
  const unit = t.plan.units.find((u) => u.service === name);
  if (unit) {
    const svc = t.host.model.services.find((s) => s.def.name === name)!;
    return [
      { kind: "journal", units: [unit.unit] },
      ...(svc.def.logFile ? [{ kind: "file" as const, path: join(svc.workingDir, svc.def.logFile) }] : []),
    ];
  }
  if ((CRON_JOB_NAMES as readonly string[]).includes(name)) return [{ kind: "file", path: cronLogPath(name as CronJobName) }];
  throw usageError(
    `logs: "${name}" is neither an enabled service (${t.plan.units.map((u) => u.service).join(", ")}), a cron job (${CRON_JOB_NAMES.join(", ")}) nor all`,
    commands,
  );
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
export function lineSplitter(onLine: (line: string) => void): { push(d: string): void; flush(): void } {
  let rest = "";
  return {
    push(d) {
      const parts = (rest + d).split("\n");
      rest = parts.pop()!;
      parts.forEach(onLine);
    },
    flush() {
      if (rest) onLine(rest);
      rest = "";
    },
  };
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Prints (or follows, until `stopSignal`) NAME's logs on one host. */
export async function showLogs(
  t: Target,
  name: string,
  o: LogOptions,
  commands: Invocation["commands"],
  out: (s: string) => void,
  err: (s: string) => void,
  stopSignal: Promise<void>,
): Promise<number> {
  const script = logsScript(logSources(t, name, commands), o, t.host.model.runtime.user);
  const lines = o.json
    ? lineSplitter((l) => {
        const parsed = parseJsonLogLine(l);
        if (parsed) out(`${JSON.stringify(parsed)}\n`);
      })
    : undefined;
  if (!o.follow) {
    const r = await t.session.run(script, { deadline: 120 });
    if (lines) {
      lines.push(r.stdout);
      lines.flush();
    } else out(r.stdout);
    if (r.stderr) err(r.stderr);
    return r.code;
  }
  const s = await t.session.stream(script, out, err);
  await Promise.race([stopSignal, s.done]);
  s.stop();
  await s.done;
  return 0;
}

export const logs: Command = {
  name: "logs",
  summary: "a service's journal (and its log file), a cron job's log, or all units; -f follows",
  synopsis: "SERVICE|JOB|all",
  json: true,
  positionals: { min: 1, max: 1, what: "one service, cron job or all" },
  options: {
    lines: { type: "string", short: "n", value: "N", help: "lines (default 100)" },
    since: { type: "string", value: "WHEN", help: "journalctl time: today, -1h, 2026-01-15 10:00" },
    follow: { type: "boolean", short: "f", help: "follow until Ctrl-C" },
  },
  async run(inv: Invocation) {
    const n = inv.options.lines === undefined ? "100" : String(inv.options.lines);
    if (!/^\d{1,6}$/.test(n) || Number(n) < 1)
      throw usageError(`-n: expected a number of lines 1-999999, got ${JSON.stringify(n)}`, inv.commands);
    const since = inv.options.since as string | undefined;
    if (since !== undefined && !/^[A-Za-z0-9 :+._-]{1,40}$/.test(since))
      throw usageError(
        `--since: expected a journalctl time such as today, -1h or "2026-01-15 10:00", got ${JSON.stringify(since)}`,
        inv.commands,
      );
    const follow = inv.options.follow === true;
    if (follow && inv.json) throw usageError("logs: -f and --json do not go together", inv.commands);
    const ctx = await stackContext(inv, { needsOneHost: "logs" });
    const o: LogOptions = { lines: Number(n), follow, json: inv.json, ...(since ? { since } : {}) };
    return showLogs(
      ctx.targets[0]!,
      inv.positionals[0]!,
      o,
      inv.commands,
      (s) => process.stdout.write(s),
      (s) => process.stderr.write(s),
      follow ? interrupted() : new Promise<void>(() => {}),
    );
  },
};
