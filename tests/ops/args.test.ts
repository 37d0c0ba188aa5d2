/** The operations commands' arguments: what each accepts, and each refusal by its exact first line. */
import { describe, expect, it } from "vitest";
import { parseOpsArgs } from "../../cli/ops/args";

const base = { stack: "prod", sandbox: false, json: false, names: [], all: false, follow: false, lines: 100, jobArgs: [] };
const firstLine = (argv: string[]): string => {
  try {
    parseOpsArgs(argv);
  } catch (e) {
    expect((e as Error).name).toBe("UsageError");
    return (e as Error).message.split("\n")[0]!;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
};

describe("parseOpsArgs", () => {
  it("reads each command's own arguments", () => {
    expect(parseOpsArgs(["status", "--stack", "prod", "--json"])).toEqual({ ...base, command: "status", json: true });
    expect(parseOpsArgs(["logs", "replayd", "-n", "50", "--since", "today", "-f", "--stack", "prod", "--sandbox"])).toEqual({
      ...base,
      command: "logs",
      names: ["replayd"],
      lines: 50,
      since: "today",
      follow: true,
      sandbox: true,
    });
    expect(parseOpsArgs(["restart", "--all", "--stack", "prod"])).toEqual({ ...base, command: "restart", all: true });
    expect(parseOpsArgs(["restart", "featurexd", "replayd", "--stack", "prod"])).toEqual({ ...base, command: "restart", names: ["featurexd", "replayd"] });
    expect(parseOpsArgs(["deploy", "--ref", "release/2026-01", "--stack", "prod", "--config-file", "x.yaml"])).toEqual({ ...base, command: "deploy", ref: "release/2026-01", configFile: "x.yaml" });
    expect(parseOpsArgs(["run", "ml", "--stack", "prod", "--", "--symbol", "btcusdt", "--date", "20260115", "--dry-run"])).toEqual({
      ...base,
      command: "run",
      names: ["ml"],
      jobArgs: ["--symbol", "btcusdt", "--date", "20260115", "--dry-run"],
    });
    expect(parseOpsArgs(["doctor", "collector", "--stack", "prod"])).toEqual({ ...base, command: "doctor", names: ["collector"] });
    expect(parseOpsArgs(["runs", "--stack", "prod"])).toEqual({ ...base, command: "runs" });
  });

  it("refuses what a command does not take, naming it", () => {
    expect(firstLine(["status"])).toBe("--stack is required");
    expect(firstLine(["status", "--stack", "a b"])).toBe('--stack: expected letters, digits, _ . -, got "a b"');
    expect(firstLine(["status", "replayd", "--stack", "p"])).toBe("status: expected no names, got replayd");
    expect(firstLine(["logs", "--stack", "p"])).toBe("logs: expected one service, cron job or all, got none");
    expect(firstLine(["logs", "replayd", "-n", "0", "--stack", "p"])).toBe('-n: expected a number of lines 1-999999, got "0"');
    expect(firstLine(["logs", "replayd", "--since", "today; reboot", "--stack", "p"])).toBe(
      '--since: expected a journalctl time such as today, -1h or "2026-01-15 10:00", got "today; reboot"',
    );
    expect(firstLine(["logs", "replayd", "-f", "--json", "--stack", "p"])).toBe("logs: -f and --json do not go together");
    expect(firstLine(["restart", "--stack", "p"])).toBe("restart: name the services or pass --all (not both)");
    expect(firstLine(["restart", "replayd", "--all", "--stack", "p"])).toBe("restart: name the services or pass --all (not both)");
    expect(firstLine(["status", "--all", "--stack", "p"])).toBe('status: unknown option "--all"');
    expect(firstLine(["deploy", "--stack", "p"])).toBe("deploy: --ref is required");
    expect(firstLine(["deploy", "--ref", "-x", "--stack", "p"])).toBe(
      'deploy --ref: expected a branch, tag or full commit id: 1-200 of [A-Za-z0-9._/-], starting with a letter or digit, got "-x"',
    );
    expect(firstLine(["deploy", "--ref", "a/../b", "--stack", "p"])).toBe(
      'deploy --ref: expected a valid git ref name (no .., //, trailing / or ., .lock suffix, or component starting with .), got "a/../b"',
    );
    expect(firstLine(["run", "ml", "--stack", "p", "--", "a b"])).toBe('run: argument "a b" is not a plain word of [A-Za-z0-9_@+=:,./-]');
    expect(firstLine(["run", "ml", "--stack", "p", "--", "$(id)"])).toBe('run: argument "$(id)" is not a plain word of [A-Za-z0-9_@+=:,./-]');
    expect(firstLine(["doctor", "--stack", "p", "--", "x"])).toBe('doctor: "--" is only for run');
    expect(firstLine(["doctor", "a", "b", "--stack", "p"])).toBe("doctor: expected at most one service, got a b");
  });
});
