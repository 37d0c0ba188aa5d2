/**
 * A scheduler script run now the way its cron entry runs it (the runbook's
 * "Force ML Training Run"): as the runtime user, in the core directory,
 * appending to the job's log file; then what it appended, and its status.
 */
import { CRON_JOBS, type CronJobName } from "../../model/cron";
import { cronLogPath } from "../../model/paths";
import { asUser, lines, root, ROOT_WHO, type Script } from "../script";
import { path, user, word } from "../values";

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
 * Makes the log file if the job never ran (owned as tmpfiles would), notes
 * its size, runs `node scheduler/<script> ARGS` as the user (cd included)
 * with its output appended to the log, prints what was appended and exits
 * with the job's status. The arguments reach node as "$@": no shell parses them.
 */
export function runJobScript(r: JobRun): Script {
  const u = user(r.user);
  const log = path(cronLogPath(r.job));
  const script = word(`scheduler/${CRON_JOBS[r.job].script}`);
  const job = asUser(u)`cd ${path(r.coreDir)} && exec env PATH=${word(CRON_PATH)} node ${script} "$@" >> ${log} 2>&1`;
  return lines(ROOT_WHO, [
    root`set -u`,
    root`[ -f ${log} ] || install -m 0640 -o ${u} -g ${user(r.group)} /dev/null ${log}`,
    root`start=$(stat -c %s ${log})`,
    root`${job} quantlab-run ${r.args.map(word)}`,
    root`code=$?`,
    root`tail -c +$((start + 1)) ${log}`,
    root`exit "$code"`,
  ]);
}
