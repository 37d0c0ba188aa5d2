/**
 * The one command-line parser: every command is a module in cli/commands/
 * (its name, its options, its positional arguments, its run), and argv is
 * read against that table with Node's util.parseArgs (strict: an unknown
 * option is an error). Everything after `--` passes through to the command
 * untouched, so the stack's own options go before it.
 */
import { parseArgs, type ParseArgsConfig } from "util";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type OptionSpec =
  | { readonly type: "string"; readonly short?: string; readonly value: string; readonly help: string }
  | { readonly type: "boolean"; readonly short?: string; readonly help: string };

export interface Invocation {
  readonly stack: string;
  readonly sandbox: boolean;
  readonly configFile?: string;
  /** --host NAME: one host of a fleet. */
  readonly host?: string;
  readonly json: boolean;
  /** The command's own options. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  /** What followed `--`. */
  readonly passThrough: readonly string[];
  /** The command table (for a usage error of the command's own checks). */
  readonly commands: readonly Command[];
}

export interface Command {
  readonly name: string;
  /** Other words for it (`health` for `status`). */
  readonly aliases?: readonly string[];
  /** One line for the usage. */
  readonly summary: string;
  /** What follows the name in the usage, before the common options. */
  readonly synopsis: string;
  /** Options of its own. @default none */
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Takes --json. @default false */
  readonly json?: boolean;
  /** Takes --host (one host of a fleet). @default true */
  readonly host?: boolean;
  /** Positional arguments: how many, and what they are (for the error). @default none */
  readonly positionals?: { readonly min: number; readonly max: number; readonly what: string };
  /** What the words after `--` are for, when it takes them. @default none */
  readonly passThrough?: string;
  run(inv: Invocation): Promise<number>;
}

const STACK = /^[A-Za-z0-9_.-]+$/;
const HOST = /^[a-z0-9-]{1,40}$/;

const COMMON = {
  stack: { type: "string", value: "NAME", help: "the stack (Pulumi.<NAME>.yaml)" },
  sandbox: { type: "boolean", help: "target the local sandbox host(s) of the stack" },
  "config-file": { type: "string", value: "FILE", help: "the base stack config (with --sandbox)" },
} as const satisfies Record<string, OptionSpec>;

/** The usage of every command, from the table. */
export function usage(commands: readonly Command[]): string {
  const lines = commands.map((c) => {
    // An option the synopsis names already (deploy's --ref) is not listed twice.
    const own = Object.entries(c.options ?? {})
      .filter(([k]) => !c.synopsis.includes(`--${k}`))
      .map(([k, o]) => `[--${k}${o.type === "string" ? ` ${o.value}` : ""}]`)
      .join(" ");
    const tail = [
      c.synopsis,
      own,
      "--stack NAME [--sandbox]",
      c.host === false ? "" : "[--host NAME]",
      c.json ? "[--json]" : "",
      c.passThrough ? `[-- ${c.passThrough}]` : "",
    ]
      .filter(Boolean)
      .join(" ");
    return `  ${`quantlab ${c.name}${c.aliases?.length ? `|${c.aliases.join("|")}` : ""} ${tail}`.replace(/ +/g, " ").trimEnd()}`;
  });
  return ["usage:", ...lines, "", "Everything after -- goes to the command as it is: put --stack and the other options before it."].join(
    "\n",
  );
}

function fail(message: string, commands: readonly Command[]): never {
  throw new UsageError(`${message}\n${usage(commands)}`);
}

/** The command argv names and its invocation; a usage error names what is wrong, then the usage. */
export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): { command: Command; invocation: Invocation } {
  const [name, ...rest] = argv;
  const command = commands.find((c) => c.name === name || c.aliases?.includes(name ?? ""));
  if (!command) fail(name ? `unknown command "${name}"` : "no command", commands);
  const dash = rest.indexOf("--");
  const mine = dash < 0 ? rest : rest.slice(0, dash);
  const passThrough = dash < 0 ? [] : rest.slice(dash + 1);
  if (dash >= 0 && !command.passThrough) fail(`${command.name}: takes nothing after --`, commands);

  const options: Record<string, OptionSpec> = {
    ...COMMON,
    ...(command.host === false ? {} : { host: { type: "string", value: "NAME", help: "one host of the stack" } }),
    ...(command.json ? { json: { type: "boolean", help: "machine-readable output" } } : {}),
    ...command.options,
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...mine],
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
      ) as ParseArgsConfig["options"],
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const m = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(m);
    const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(m);
    // `--stack --json`: the next word is an option, not the value.
    const ambiguous = /Option '(--?[\w-]+)' argument is ambiguous/.exec(m);
    if (unknown)
      fail(
        `${command.name}: unknown option "${unknown[1]}"${dash < 0 && passThrough.length === 0 && command.passThrough ? " (arguments for the job go after --)" : ""}`,
        commands,
      );
    if (missing) fail(`${missing[1]} needs a value`, commands);
    if (ambiguous) fail(`${ambiguous[1]} needs a value`, commands);
    fail(`${command.name}: ${m}`, commands);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === "string" && v.startsWith("--")) fail(`--${k} needs a value`, commands);
  }
  const stack = values.stack as string | undefined;
  if (!stack)
    fail(
      passThrough.includes("--stack") ? "--stack is required before -- (everything after -- goes to the command)" : "--stack is required",
      commands,
    );
  if (!STACK.test(stack)) fail(`--stack: expected letters, digits, _ . -, got ${JSON.stringify(stack)}`, commands);
  const host = values.host as string | undefined;
  if (host !== undefined && !HOST.test(host)) fail(`--host: expected a host name of [a-z0-9-], got ${JSON.stringify(host)}`, commands);
  const positionals = parsed.positionals;
  const p = command.positionals ?? { min: 0, max: 0, what: "no names" };
  if (positionals.length < p.min || positionals.length > p.max)
    fail(`${command.name}: expected ${p.what}, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`, commands);
  const own = Object.fromEntries(Object.keys(command.options ?? {}).map((k) => [k, values[k]]));
  return {
    command,
    invocation: {
      stack,
      sandbox: values.sandbox === true,
      ...(typeof values["config-file"] === "string" ? { configFile: values["config-file"] } : {}),
      ...(host ? { host } : {}),
      json: values.json === true,
      options: own,
      positionals,
      passThrough,
      commands,
    },
  };
}

/** A usage error of one command (its own checks), with the usage of every command. */
export const usageError = (message: string, commands: readonly Command[]): UsageError => new UsageError(`${message}\n${usage(commands)}`);
