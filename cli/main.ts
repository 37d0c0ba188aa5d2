/**
 * npx quantlab COMMAND ... --stack NAME [--sandbox] [--config-file FILE] [--host NAME] [--json] [-- ARGS...]
 *
 * The commands are the table in cli/commands/index.ts; `npx quantlab` with
 * no command prints the usage. Exit codes: 0 done, 1 failed (or a check
 * found a problem), 2 `drift` found differences, 64 a usage error, 130
 * interrupted.
 */
import { parseCommandLine, UsageError } from "./args";
import { COMMANDS } from "./commands/index";
import { explain } from "./messages";

export { UsageError };

export async function main(argv: readonly string[]): Promise<number> {
  const { command, invocation } = parseCommandLine(argv, COMMANDS);
  try {
    return await command.run(invocation);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new Error(explain(e, invocation.stack));
  }
}
