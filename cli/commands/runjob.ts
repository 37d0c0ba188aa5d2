/**
 * `quantlab run JOB --stack NAME [-- ARGS...]`: a scheduler script now, the
 * way its cron entry runs it (the runbook's "Force ML Training Run"): as
 * the runtime user, in the core directory, appending to the job's log file.
 * Prints what the run appended and exits with the script's status.
 */
import { CRON_JOBS, CRON_JOB_NAMES, type CronJobName } from "../../model/cron";
import { cronLogPath } from "../../model/paths";
import { SAFE_WORD } from "../../model/values";
import { runJobScript } from "../../host/ops/runjob";
import { usageError, type Command, type Invocation } from "../args";
import { stackContext } from "../context";
import { print } from "../table";

/** A job may run this long. */
const JOB_DEADLINE_S = 6 * 3600;

export const run: Command = {
  name: "run",
  summary: "runs a scheduler job now as its cron entry does; ARGS reach the script as they are",
  synopsis: "JOB",
  json: true,
  positionals: { min: 1, max: 1, what: "one cron job" },
  passThrough: "ARGS...",
  async run(inv: Invocation) {
    const job = inv.positionals[0]!;
    if (!(CRON_JOB_NAMES as readonly string[]).includes(job))
      throw usageError(`run: "${job}" is not a scheduler job (known: ${CRON_JOB_NAMES.join(", ")})`, inv.commands);
    for (const arg of inv.passThrough) {
      if (!SAFE_WORD.test(arg))
        throw usageError(`run: argument ${JSON.stringify(arg)} is not a plain word of [A-Za-z0-9_@+=:,./-]`, inv.commands);
    }
    const ctx = await stackContext(inv, { needsOneHost: "run" });
    const t = ctx.targets[0]!;
    const { user, group } = t.host.model.runtime;
    const name = job as CronJobName;
    const r = await t.session.run(runJobScript({ job: name, coreDir: t.host.model.coreDir, user, group, args: inv.passThrough }), {
      deadline: JOB_DEADLINE_S,
    });
    if (inv.json)
      print(
        JSON.stringify(
          { job, log: cronLogPath(name), exitCode: r.code, output: r.stdout, ...(r.stderr ? { stderr: r.stderr } : {}) },
          null,
          2,
        ),
      );
    else {
      if (r.stdout) print(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      print(`${job}: ${CRON_JOBS[name].script} exited ${r.code} (log: ${cronLogPath(name)})`);
    }
    return r.code === 0 ? 0 : 1;
  },
};
