/**
 * The operations commands (cli/ops/args.ts lists them), dispatched from
 * cli/main.ts: each opens the stack's host over the provider's connection
 * (pinned host key) and runs its own file's scripts.
 */
import { openStack } from "../engine";
import { OPS_USAGE, isOpsCommand, parseOpsArgs, type OpsArgs } from "./args";
import { setCodeRef } from "./deploy";
import { doctorCommand } from "./doctor";
import { logsCommand } from "./logs";
import { restartCommand } from "./restart";
import { runJobCommand } from "./runjob";
import { runsCommand } from "./runs";
import { statusCommand } from "./status";
import { openTarget } from "./target";

export { OPS_USAGE, isOpsCommand };

const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

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

/** The flags that reopen the same stack (for deploy's `up`). */
const stackFlags = (a: OpsArgs): string[] => ["--stack", a.stack, ...(a.sandbox ? ["--sandbox"] : []), ...(a.configFile ? ["--config-file", a.configFile] : [])];

/** Runs an operations command; `up` runs the operator command's `up` with these arguments. */
export async function runOps(argv: readonly string[], up: (args: string[]) => Promise<number>): Promise<number> {
  const a = parseOpsArgs(argv);
  const o = await openStack(a);
  if (a.command === "deploy") {
    const was = await setCodeRef(o, a.ref!);
    print(`deploy: quantlab:code.git.ref ${was} -> ${a.ref}`);
    return up(stackFlags(a));
  }
  const t = await openTarget(o);
  switch (a.command) {
    case "status":
      return statusCommand(t, a.json, print);
    case "logs":
      return logsCommand(
        t,
        { name: a.names[0]!, options: { lines: a.lines, follow: a.follow, json: a.json, ...(a.since ? { since: a.since } : {}) } },
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
        a.follow ? interrupted() : new Promise<void>(() => {}),
      );
    case "restart":
      return restartCommand(t, a.all ? [] : a.names, a.json, print);
    case "run":
      return runJobCommand(t, a.names[0]!, a.jobArgs, a.json, print);
    case "doctor":
      return doctorCommand(t, a.names, a.json, print);
    case "runs":
      return runsCommand(t, a.json, print);
  }
}
