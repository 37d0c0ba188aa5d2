/**
 * The one command-line parser (cli/args.ts) over the command table
 * (cli/commands): what each command accepts, each refusal by its exact
 * first line (the usage follows it), the commands' own checks that refuse
 * before anything is opened, and the whole usage text.
 */
import { describe, expect, it } from "vitest";
import { parseCommandLine, usage, usageError, UsageError, type Command } from "../../cli/args";
import { COMMANDS } from "../../cli/commands";

const parse = (argv: string[]) => {
  const { command, invocation } = parseCommandLine(argv, COMMANDS);
  const { commands, ...rest } = invocation;
  expect(commands).toBe(COMMANDS);
  return { name: command.name, ...rest };
};
const base = { sandbox: false, json: false, options: {}, positionals: [], passThrough: [] };

/** The first line of the usage error `fn` throws (the rest is the usage). */
const firstLine = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const [first, ...rest] = (e as Error).message.split("\n");
    expect(rest.join("\n")).toBe(usage(COMMANDS));
    return first!;
  }
  throw new Error("accepted");
};
const refused = (argv: string[]) => firstLine(() => parseCommandLine(argv, COMMANDS));
/** A command's own check, run before it opens any stack or host. */
const refusedByCommand = async (argv: string[]): Promise<string> => {
  const { command, invocation } = parseCommandLine(argv, COMMANDS);
  try {
    await command.run(invocation);
  } catch (e) {
    return firstLine(() => {
      throw e;
    });
  }
  throw new Error("accepted");
};

describe("what each command accepts", () => {
  it("the common options: --stack, --sandbox, --config-file, --host, --json where the command takes them", () => {
    expect(parse(["status", "--stack", "prod"])).toEqual({ ...base, name: "status", stack: "prod" });
    expect(
      parse(["health", "--stack", "prod", "--json", "--host", "research-a", "--sandbox", "--config-file", "Pulumi.prod.yaml"]),
    ).toEqual({
      ...base,
      name: "status",
      stack: "prod",
      json: true,
      host: "research-a",
      sandbox: true,
      configFile: "Pulumi.prod.yaml",
    });
    expect(parse(["up", "--stack", "sandbox", "--take-over"])).toEqual({
      ...base,
      name: "up",
      stack: "sandbox",
      options: { "take-over": true },
    });
    expect(parse(["up", "--stack", "sandbox"])).toEqual({ ...base, name: "up", stack: "sandbox", options: { "take-over": undefined } });
    expect(parse(["preview", "--stack", "prod"])).toEqual({ ...base, name: "preview", stack: "prod" });
  });

  it("each command's own options and names", () => {
    expect(parse(["logs", "replayd", "-n", "50", "--since", "today", "-f", "--stack", "prod"])).toEqual({
      ...base,
      name: "logs",
      stack: "prod",
      positionals: ["replayd"],
      options: { lines: "50", since: "today", follow: true },
    });
    expect(parse(["logs", "ml", "--lines=7", "--stack", "prod", "--json"])).toEqual({
      ...base,
      name: "logs",
      stack: "prod",
      json: true,
      positionals: ["ml"],
      options: { lines: "7", since: undefined, follow: undefined },
    });
    expect(parse(["restart", "--all", "--stack", "prod"])).toEqual({ ...base, name: "restart", stack: "prod", options: { all: true } });
    expect(parse(["restart", "featurexd", "replayd", "--stack", "prod"])).toEqual({
      ...base,
      name: "restart",
      stack: "prod",
      positionals: ["featurexd", "replayd"],
      options: { all: undefined },
    });
    expect(parse(["deploy", "--ref", "release/2026-01", "--stack", "prod"])).toEqual({
      ...base,
      name: "deploy",
      stack: "prod",
      options: { ref: "release/2026-01" },
    });
    expect(parse(["doctor", "collector", "--stack", "prod"])).toEqual({
      ...base,
      name: "doctor",
      stack: "prod",
      positionals: ["collector"],
    });
    expect(parse(["rollback", "--to", "3", "--stack", "prod", "--host", "research-b"])).toEqual({
      ...base,
      name: "rollback",
      stack: "prod",
      host: "research-b",
      options: { to: "3" },
    });
    expect(parse(["secret", "--key", "tokens.replayd", "--stack", "prod"])).toEqual({
      ...base,
      name: "secret",
      stack: "prod",
      options: { key: "tokens.replayd" },
    });
    for (const name of ["drift", "destroy", "runs", "generations", "validate", "unlock"])
      expect(parse([name, "--stack", "p"]).name).toBe(name);
  });

  it("run: everything after -- goes to the job as it is, options included", () => {
    expect(parse(["run", "ml", "--stack", "p", "--", "--dry-run"])).toEqual({
      ...base,
      name: "run",
      stack: "p",
      positionals: ["ml"],
      passThrough: ["--dry-run"],
    });
    expect(parse(["run", "ml", "--stack", "p", "--", "--symbol", "btcusdt", "--stack", "q", "--", "-x"])).toEqual({
      ...base,
      name: "run",
      stack: "p",
      positionals: ["ml"],
      passThrough: ["--symbol", "btcusdt", "--stack", "q", "--", "-x"],
    });
  });
});

describe("what the parser refuses, naming it", () => {
  it("no command, an unknown one", () => {
    expect(refused([])).toBe("no command");
    expect(refused(["frobnicate", "--stack", "p"])).toBe('unknown command "frobnicate"');
  });

  it("--stack: required, before --, a plain name, with a value", () => {
    expect(refused(["status"])).toBe("--stack is required");
    expect(refused(["run", "ml", "--", "--dry-run", "--stack", "p"])).toBe(
      "--stack is required before -- (everything after -- goes to the command)",
    );
    expect(refused(["status", "--stack", "a b"])).toBe('--stack: expected letters, digits, _ . -, got "a b"');
    expect(refused(["status", "--stack"])).toBe("--stack needs a value");
    expect(refused(["status", "--stack", "--json"])).toBe("--stack needs a value");
    expect(refused(["status", "--stack=--json"])).toBe("--stack needs a value");
    expect(refused(["logs", "x", "-n", "--stack", "p"])).toBe("-n needs a value");
    expect(refused(["logs", "x", "--stack", "p", "-n"])).toBe("--lines needs a value");
  });

  it("options a command does not take; for run, a hint that the job's go after --", () => {
    expect(refused(["status", "--all", "--stack", "p"])).toBe('status: unknown option "--all"');
    expect(refused(["up", "--stack", "p", "--host", "research-a"])).toBe('up: unknown option "--host"');
    expect(refused(["up", "--stack", "p", "--json"])).toBe('up: unknown option "--json"');
    expect(refused(["run", "ml", "--stack", "p", "--dry-run"])).toBe('run: unknown option "--dry-run" (arguments for the job go after --)');
    expect(refused(["doctor", "--stack", "p", "--", "x"])).toBe("doctor: takes nothing after --");
    expect(refused(["status", "--stack", "p", "--sandbox=yes"])).toBe("status: Option '--sandbox' does not take an argument");
  });

  it("--host: a host name of the stack's kind", () => {
    expect(refused(["status", "--stack", "p", "--host", "Research_A"])).toBe('--host: expected a host name of [a-z0-9-], got "Research_A"');
  });

  it("the number of names a command takes", () => {
    expect(refused(["status", "replayd", "--stack", "p"])).toBe("status: expected no names, got replayd");
    expect(refused(["logs", "--stack", "p"])).toBe("logs: expected one service, cron job or all, got none");
    expect(refused(["logs", "a", "b", "--stack", "p"])).toBe("logs: expected one service, cron job or all, got a b");
    expect(refused(["doctor", "a", "b", "--stack", "p"])).toBe("doctor: expected at most one service, got a b");
    expect(refused(["run", "--stack", "p"])).toBe("run: expected one cron job, got none");
    expect(refused(["restart", ...Array.from({ length: 11 }, (_, i) => `s${i}`), "--stack", "p"])).toBe(
      "restart: expected service names, got s0 s1 s2 s3 s4 s5 s6 s7 s8 s9 s10",
    );
  });
});

describe("the commands' own checks, before anything is opened", () => {
  it("logs: a line count, a journalctl time, -f without --json", async () => {
    expect(await refusedByCommand(["logs", "replayd", "-n", "0", "--stack", "p"])).toBe('-n: expected a number of lines 1-999999, got "0"');
    expect(await refusedByCommand(["logs", "replayd", "-n", "1000000", "--stack", "p"])).toBe(
      '-n: expected a number of lines 1-999999, got "1000000"',
    );
    expect(await refusedByCommand(["logs", "replayd", "--since", "today; reboot", "--stack", "p"])).toBe(
      '--since: expected a journalctl time such as today, -1h or "2026-01-15 10:00", got "today; reboot"',
    );
    expect(await refusedByCommand(["logs", "replayd", "-f", "--json", "--stack", "p"])).toBe("logs: -f and --json do not go together");
  });

  it("restart: names or --all, not both, not neither", async () => {
    expect(await refusedByCommand(["restart", "--stack", "p"])).toBe("restart: name the services or pass --all (not both)");
    expect(await refusedByCommand(["restart", "replayd", "--all", "--stack", "p"])).toBe(
      "restart: name the services or pass --all (not both)",
    );
  });

  it("deploy: a ref, of git's form", async () => {
    expect(await refusedByCommand(["deploy", "--stack", "p"])).toBe("deploy: --ref is required");
    expect(await refusedByCommand(["deploy", "--ref=-x", "--stack", "p"])).toBe(
      'deploy --ref: expected a branch, tag or full commit id: 1-200 of [A-Za-z0-9._/-], starting with a letter or digit, got "-x"',
    );
    expect(await refusedByCommand(["deploy", "--ref", "a/../b", "--stack", "p"])).toBe(
      'deploy --ref: expected a valid git ref name (no .., //, trailing / or ., .lock suffix, or component starting with .), got "a/../b"',
    );
  });

  it("run: a known job; each argument a plain word", async () => {
    expect(await refusedByCommand(["run", "mysql", "--stack", "p"])).toBe(
      'run: "mysql" is not a scheduler job (known: ml, daily-prod, daily-prod-dry, ops-report, compact-ready, cleanup-retention, daily-health)',
    );
    expect(await refusedByCommand(["run", "ml", "--stack", "p", "--", "a b"])).toBe(
      'run: argument "a b" is not a plain word of [A-Za-z0-9_@+=:,./-]',
    );
    expect(await refusedByCommand(["run", "ml", "--stack", "p", "--", "--dry-run", "$(id)"])).toBe(
      'run: argument "$(id)" is not a plain word of [A-Za-z0-9_@+=:,./-]',
    );
  });

  it("rollback: a generation number; secret: a key it knows", async () => {
    expect(await refusedByCommand(["rollback", "--to", "0", "--stack", "p"])).toBe('rollback --to: expected a generation number, got "0"');
    expect(await refusedByCommand(["rollback", "--to", "two", "--stack", "p"])).toBe(
      'rollback --to: expected a generation number, got "two"',
    );
    expect(await refusedByCommand(["secret", "--key", "tokens", "--stack", "p"])).toBe(
      "secret: --key must be tokens.<name>, sshPrivateKey, sshKeyPassphrase, s3.accessKeyId or s3.secretAccessKey",
    );
    expect(await refusedByCommand(["secret", "--stack", "p"])).toBe(
      "secret: --key must be tokens.<name>, sshPrivateKey, sshKeyPassphrase, s3.accessKeyId or s3.secretAccessKey",
    );
  });
});

describe("usage", () => {
  it("one line per command, from the table, each option once", () => {
    expect(usage(COMMANDS)).toBe(`usage:
  quantlab up [--take-over] --stack NAME [--sandbox]
  quantlab preview --stack NAME [--sandbox]
  quantlab drift --stack NAME [--sandbox]
  quantlab destroy [--take-over] --stack NAME [--sandbox]
  quantlab status|health --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab logs SERVICE|JOB|all [--lines N] [--since WHEN] [--follow] --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab restart SERVICE... | --all --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab deploy --ref REF --stack NAME [--sandbox]
  quantlab run JOB --stack NAME [--sandbox] [--host NAME] [--json] [-- ARGS...]
  quantlab doctor [SERVICE] --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab runs --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab generations --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab rollback [--to K] --stack NAME [--sandbox] [--host NAME] [--json]
  quantlab validate --stack NAME [--sandbox]
  quantlab secret --key KEY < VALUE --stack NAME [--sandbox]
  quantlab unlock --stack NAME [--sandbox]

Everything after -- goes to the command as it is: put --stack and the other options before it.`);
  });

  it("a table of one's own: aliases, options, pass-through", () => {
    const cmd: Command = {
      name: "probe",
      aliases: ["p"],
      summary: "test",
      synopsis: "NAME",
      options: { level: { type: "string", value: "L", help: "" }, quiet: { type: "boolean", short: "q", help: "" } },
      json: true,
      host: false,
      positionals: { min: 1, max: 1, what: "one name" },
      passThrough: "REST...",
      run: async () => 0,
    };
    expect(usage([cmd])).toBe(
      "usage:\n  quantlab probe|p NAME [--level L] [--quiet] --stack NAME [--sandbox] [--json] [-- REST...]\n\nEverything after -- goes to the command as it is: put --stack and the other options before it.",
    );
    expect(parseCommandLine(["p", "x", "-q", "--stack", "s", "--", "y"], [cmd]).invocation).toMatchObject({
      options: { level: undefined, quiet: true },
      positionals: ["x"],
      passThrough: ["y"],
    });
    expect(usageError("probe: nope", [cmd]).message).toBe(`probe: nope\n${usage([cmd])}`);
  });
});
