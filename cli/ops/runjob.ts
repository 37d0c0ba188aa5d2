/**
 * `quantlab run JOB [-- ARGS...]`: a scheduler script now, the way its cron
 * entry runs it (the runbook's "Force ML Training Run"): as the runtime
 * user, in the core directory, appending to the job's log file. Prints what
 * the run appended to the log and exits with the script's status.
 */
import { CRON_JOBS, CRON_JOB_NAMES, type CronJobName } from "../../model/cron";
import { cronLogPath } from "../../model/paths";
import { SAFE_WORD } from "../../model/values";
import { checkPath } from "../../provider/scripts";
import { OpsUsageError } from "./args";
import type { Target } from "./target";

const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** cron's PATH in the job files (hostfiles/cron.ts). */
const CRON_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface JobRun {
  readonly job: CronJobName;
  /** `<backend>/core` */
  readonly coreDir: string;
  readonly user: string;
  readonly group: string;
  /** Plain words, passed as they are. */
  readonly args: readonly string[];
}

/**
 * The script: makes the log file if the job never ran (owned as tmpfiles
 * would), notes its size, runs `node scheduler/<script> ARGS` as the user
 * with output appended to the log, then prints what was appended and exits
 * with the job's status. The arguments reach node as "$@" of a fixed
 * `sh -c` text: no shell parses them.
 */
export function runJobScript(r: JobRun): string {
  checkPath(r.coreDir);
  if (!NAME.test(r.user) || !NAME.test(r.group)) throw new Error(`invalid user or group ${JSON.stringify(`${r.user}:${r.group}`)}`);
  for (const a of r.args) if (!SAFE_WORD.test(a)) throw new Error(`invalid job argument ${JSON.stringify(a)}`);
  const log = cronLogPath(r.job);
  const inner = `exec node scheduler/${CRON_JOBS[r.job].script} "$@" >> ${log} 2>&1`;
  return [
    "set -u",
    `cd ${r.coreDir} || exit 1`,
    `[ -f ${log} ] || install -m 0640 -o ${r.user} -g ${r.group} /dev/null ${log}`,
    `start=$(stat -c %s ${log})`,
    `runuser -u ${r.user} -- env PATH=${CRON_PATH} /bin/sh -c '${inner}' quantlab-run${r.args.map((a) => ` '${a}'`).join("")}`,
    "code=$?",
    `tail -c +$((start + 1)) ${log}`,
    'exit "$code"',
  ].join("\n");
}

export async function runJobCommand(t: Target, job: string, args: readonly string[], json: boolean, print: (s: string) => void): Promise<number> {
  if (!(CRON_JOB_NAMES as readonly string[]).includes(job)) throw new OpsUsageError(`run: "${job}" is not a scheduler job (known: ${CRON_JOB_NAMES.join(", ")})`);
  const { user, group } = t.model.runtime;
  const r = await t.host.exec(runJobScript({ job: job as CronJobName, coreDir: t.model.coreDir, user, group, args }));
  if (json) print(JSON.stringify({ job, log: cronLogPath(job as CronJobName), exitCode: r.code, output: r.stdout, ...(r.stderr ? { stderr: r.stderr } : {}) }, null, 2));
  else {
    if (r.stdout) print(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    print(`${job}: ${CRON_JOBS[job as CronJobName].script} exited ${r.code} (log: ${cronLogPath(job as CronJobName)})`);
  }
  return r.code === 0 ? 0 : 1;
}
