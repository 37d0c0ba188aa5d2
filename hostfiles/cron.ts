/**
 * /etc/cron.d entries for the QuantLab scheduler scripts (runbook, "Cron Jobs").
 * cron ignores a whole file, silently, when its name has a dot, it lacks the
 * final newline, a field is bad or the user is unknown; `%` means newline
 * unless escaped. The renderer enforces this.
 */
import { CRON_JOBS, scheduleProblem, type CronJobName } from "../model/cron";
import { cronLogPath } from "../model/paths";
import { MANAGED_HEADER } from "../model/values";

export interface CronJobSpec {
  readonly job: CronJobName;
  readonly schedule: string;
  /** The user the job runs as. */
  readonly user: string;
  /** `<backend>/core` */
  readonly coreDir: string;
}

const escapePercent = (s: string): string => s.replace(/%/g, "\\%");

/** The whole /etc/cron.d file for one job, final newline included. */
export function renderCronFile(spec: CronJobSpec): string {
  const problem = scheduleProblem(spec.schedule);
  if (problem) throw new Error(`cron job ${spec.job}: ${problem}`);
  const def = CRON_JOBS[spec.job];
  const command = `cd ${spec.coreDir} && node scheduler/${def.script} >> ${cronLogPath(spec.job)} 2>&1`;
  return [
    MANAGED_HEADER,
    `# ${def.purpose}`,
    "SHELL=/bin/sh",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `${spec.schedule} ${spec.user} ${escapePercent(command)}`,
    "",
  ].join("\n");
}
