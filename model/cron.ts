/**
 * The scheduler jobs (runbook, "Cron Jobs") and the rule a schedule must
 * follow: cron ignores a whole file, silently, when a field is bad, so a
 * schedule is checked here, before it reaches config or a file.
 */

export const CRON_JOB_NAMES = [
  "ml",
  "daily-prod",
  "daily-prod-dry",
  "ops-report",
  "compact-ready",
  "cleanup-retention",
  "daily-health",
] as const;
export type CronJobName = (typeof CRON_JOB_NAMES)[number];

export interface CronJobDefinition {
  /** Script under `<backend>/core/scheduler/`. */
  readonly script: string;
  readonly purpose: string;
  /** Schedule used when the stack sets none; only the runbook's ML job has one. */
  readonly defaultSchedule?: string;
}

export const CRON_JOBS: Readonly<Record<CronJobName, CronJobDefinition>> = {
  ml: { script: "run_daily_ml.js", purpose: "Daily ML training", defaultSchedule: "15 0 * * *" },
  "daily-prod": { script: "run_daily_prod.js", purpose: "Daily production run" },
  "daily-prod-dry": { script: "run_daily_prod_dry.js", purpose: "Dry run (no GPU)" },
  "ops-report": { script: "run_ops_report.js", purpose: "Generate ops report" },
  "compact-ready": { script: "check_compact_ready.js", purpose: "Check S3 data readiness" },
  "cleanup-retention": { script: "cleanup_retention.js", purpose: "Clean old data" },
  "daily-health": { script: "generate_daily_health.js", purpose: "Generate health report" },
};

const FIELDS = [
  { name: "minute", min: 0, max: 59, names: [] as string[] },
  { name: "hour", min: 0, max: 23, names: [] },
  { name: "day of month", min: 1, max: 31, names: [] },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

const NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

function fieldProblem(text: string, field: (typeof FIELDS)[number]): string | undefined {
  const value = (v: string): number | undefined => {
    if (/^\d+$/.test(v)) return Number(v);
    const i = (field.names as readonly string[]).indexOf(v.toLowerCase());
    return i >= 0 ? i + field.min : undefined;
  };
  for (const item of text.split(",")) {
    const m = /^(\*|([^-/]+)(?:-([^-/]+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `${field.name} "${text}" is not a cron field`;
    const [, star, lo, hi, step] = m;
    if (step !== undefined && Number(step) < 1) return `${field.name} "${text}": step must be at least 1`;
    // cron reads "5/10" as a bad field and then ignores the whole file.
    if (step !== undefined && star !== "*" && hi === undefined) {
      return `${field.name} "${text}": a step follows * or a range (such as ${lo}-${field.max}/${step}), not a single value`;
    }
    if (star === "*") continue;
    for (const bound of [lo, hi]) {
      if (bound === undefined) continue;
      const n = value(bound);
      if (n === undefined)
        return `${field.name} "${text}": ${JSON.stringify(bound)} is not a number${field.names.length ? " or name" : ""}`;
      if (n < field.min || n > field.max) {
        return `${field.name} "${text}": ${JSON.stringify(bound)} is outside ${field.min}-${field.max}`;
      }
    }
    if (hi !== undefined && value(hi)! < value(lo!)!) return `${field.name} "${text}": range runs backwards`;
  }
  return undefined;
}

/** Why a schedule is not a valid five-field cron schedule (or @nickname), or undefined. */
export function scheduleProblem(schedule: string): string | undefined {
  if (NICKNAMES.includes(schedule)) return undefined;
  if (schedule.startsWith("@")) return `unknown schedule nickname "${schedule}" (expected one of ${NICKNAMES.join(", ")})`;
  const parts = schedule.split(" ");
  if (parts.length !== 5 || parts.some((p) => p === "")) {
    return "expected five space-separated fields (minute hour day-of-month month day-of-week)";
  }
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, FIELDS[i]!);
    if (problem) return problem;
  }
  const [, , dom, month, dow] = parts as [string, string, string, string, string];
  if (!dayEverComes(dom, month, dow)) return `day of month "${dom}" never comes in month "${month}" (the job would never run)`;
  return undefined;
}

/** Days of each month, February in a leap year (a job on the 29th runs every four years). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** The values a valid field selects. */
function values(text: string, field: (typeof FIELDS)[number]): Set<number> {
  const value = (v: string): number =>
    /^\d+$/.test(v) ? Number(v) : (field.names as readonly string[]).indexOf(v.toLowerCase()) + field.min;
  const out = new Set<number>();
  for (const item of text.split(",")) {
    const [range, step] = item.split("/") as [string, string | undefined];
    const [lo, hi] = range === "*" ? [field.min, field.max] : ((r) => [value(r[0]!), value(r[1] ?? r[0]!)])(range.split("-"));
    for (let v = lo; v <= hi; v += Number(step ?? 1)) out.add(v);
  }
  return out;
}

/**
 * Whether some day matches, as cron decides it: when either day field starts
 * with "*", a day must match both; otherwise either (so "0 0 31 2 1" runs on
 * Mondays). Every valid date falls on every weekday in some year, so only a
 * day of month that no selected month has can make a job never run.
 */
function dayEverComes(dom: string, month: string, dow: string): boolean {
  if (!dom.startsWith("*") && !dow.startsWith("*")) return true;
  const days = values(dom, FIELDS[2]);
  return [...values(month, FIELDS[3])].some((m) => [...days].some((d) => d <= MONTH_DAYS[m - 1]!));
}
