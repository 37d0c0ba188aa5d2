/**
 * The operations commands' arguments (the runbook's procedures, one command each):
 *
 *   status                          every enabled service: state, since, PID, memory, port, health
 *   logs SERVICE|JOB|all [-n N] [--since WHEN] [-f]
 *   restart SERVICE... | --all      along the startup DAG, level by level, health-gated
 *   deploy --ref REF                set quantlab:code.git.ref, then `up`
 *   run JOB [-- ARGS...]            a scheduler script now, as cron runs it
 *   doctor [SERVICE]                the troubleshooting recipes, with a verdict per service
 *   runs                            the observer API's runs
 *
 * all with --stack NAME [--sandbox] [--config-file FILE] [--json].
 */
import { gitRefProblem } from "../../model/git";
import { SAFE_WORD } from "../../model/values";

export const OPS_COMMANDS = ["status", "logs", "restart", "deploy", "run", "doctor", "runs"] as const;
export type OpsCommand = (typeof OPS_COMMANDS)[number];

export const isOpsCommand = (c: string | undefined): c is OpsCommand => (OPS_COMMANDS as readonly string[]).includes(c ?? "");

export interface OpsArgs {
  readonly command: OpsCommand;
  readonly stack: string;
  readonly sandbox: boolean;
  readonly configFile?: string;
  /** Machine-readable output. @default false */
  readonly json: boolean;
  /** Service names (logs, restart, doctor) or the job (run). */
  readonly names: readonly string[];
  /** restart --all. @default false */
  readonly all: boolean;
  /** logs -f. @default false */
  readonly follow: boolean;
  /** logs -n. @default 100 */
  readonly lines: number;
  /** logs --since (journalctl syntax: "today", "-1h", "2026-01-15 10:00"). @default none */
  readonly since?: string;
  /** deploy --ref. */
  readonly ref?: string;
  /** run: the arguments after `--`, each a plain word. @default [] */
  readonly jobArgs: readonly string[];
}

export const OPS_USAGE = [
  "usage: quantlab status --stack NAME [--sandbox] [--json]",
  "       quantlab logs SERVICE|JOB|all [-n N] [--since WHEN] [-f] --stack NAME",
  "       quantlab restart SERVICE... | --all --stack NAME",
  "       quantlab deploy --ref REF --stack NAME",
  "       quantlab run JOB [-- ARGS...] --stack NAME",
  "       quantlab doctor [SERVICE] --stack NAME",
  "       quantlab runs --stack NAME",
].join("\n");

/** A usage problem (exit 64); main.ts's UsageError is not imported here, so the caller wraps it. */
export class OpsUsageError extends Error {
  override readonly name = "UsageError";
}

const fail = (message: string): never => {
  throw new OpsUsageError(`${message}\n${OPS_USAGE}`);
};

const SINCE = /^[A-Za-z0-9 :+._-]{1,40}$/;

export function parseOpsArgs(argv: readonly string[]): OpsArgs {
  const [command, ...rest] = argv;
  if (!isOpsCommand(command)) return fail(`unknown command "${command}"`);
  const names: string[] = [];
  const jobArgs: string[] = [];
  let stack: string | undefined;
  let configFile: string | undefined;
  let sandbox = false;
  let json = false;
  let all = false;
  let follow = false;
  let lines = 100;
  let since: string | undefined;
  let ref: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      return v === undefined || v.startsWith("--") ? fail(`${a} needs a value`) : v;
    };
    if (a === "--") {
      if (command !== "run") fail(`${command}: "--" is only for run`);
      jobArgs.push(...rest.slice(i + 1));
      break;
    }
    if (a === "--sandbox") sandbox = true;
    else if (a === "--json") json = true;
    else if (a === "--stack") stack = value();
    else if (a === "--config-file") configFile = value();
    else if (a === "--all" && command === "restart") all = true;
    else if ((a === "-f" || a === "--follow") && command === "logs") follow = true;
    else if ((a === "-n" || a === "--lines") && command === "logs") {
      const v = value();
      if (!/^\d{1,6}$/.test(v) || Number(v) < 1) fail(`${a}: expected a number of lines 1-999999, got ${JSON.stringify(v)}`);
      lines = Number(v);
    } else if (a === "--since" && command === "logs") {
      since = value();
      if (!SINCE.test(since)) fail(`--since: expected a journalctl time such as today, -1h or "2026-01-15 10:00", got ${JSON.stringify(since)}`);
    } else if (a === "--ref" && command === "deploy") ref = value();
    else if (a.startsWith("-")) fail(`${command}: unknown option "${a}"`);
    else names.push(a);
  }
  if (!stack) return fail("--stack is required");
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) fail(`--stack: expected letters, digits, _ . -, got ${JSON.stringify(stack)}`);

  const count = (min: number, max: number, what: string) => {
    if (names.length < min || names.length > max) fail(`${command}: expected ${what}, got ${names.length === 0 ? "none" : names.join(" ")}`);
  };
  switch (command) {
    case "status":
    case "runs":
    case "deploy":
      count(0, 0, "no names");
      break;
    case "logs":
      count(1, 1, "one service, cron job or all");
      break;
    case "doctor":
      count(0, 1, "at most one service");
      break;
    case "run":
      count(1, 1, "one cron job");
      break;
    case "restart":
      if (all === (names.length > 0)) fail("restart: name the services or pass --all (not both)");
      break;
  }
  if (command === "deploy") {
    if (ref === undefined) fail("deploy: --ref is required");
    const problem = gitRefProblem(ref!);
    if (problem) fail(`deploy --ref: ${problem}, got ${JSON.stringify(ref)}`);
  }
  if (follow && json) fail("logs: -f and --json do not go together");
  for (const arg of jobArgs) {
    if (!SAFE_WORD.test(arg)) fail(`run: argument ${JSON.stringify(arg)} is not a plain word of [A-Za-z0-9_@+=:,./-]`);
  }
  return {
    command,
    stack,
    sandbox,
    ...(configFile ? { configFile } : {}),
    json,
    names,
    all,
    follow,
    lines,
    ...(since ? { since } : {}),
    ...(ref ? { ref } : {}),
    jobArgs,
  };
}
