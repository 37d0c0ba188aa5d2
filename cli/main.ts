/**
 * npx quantlab <up|preview|drift|destroy|health> --stack NAME [--sandbox] [--config-file FILE]
 *
 *   up       refresh, converge the host, then print the health table
 *   preview  what `up` would change, and which services it would restart and why
 *   drift    refresh + preview: exit 0 when the host matches the stack, 2 when
 *            it differs (listing what), 1 on error
 *   destroy  remove what the stack put on the host (never the spool, runs or buckets)
 *   health   every enabled unit's state and health endpoint, checked on the host
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ConfigError, parseStackConfig } from "../config/parse";
import { planHost } from "../hostfiles/plan";
import { connectionFromConfig } from "../provider/context";
import { closeAll, connect } from "../provider/ssh";
import { decryptedConfig, openStack, type OpenStack } from "./engine";
import { checkHealth, healthTable } from "./health";
import { changesText, hostChanges, restartsText } from "./report";

const COMMANDS = ["up", "preview", "drift", "destroy", "health"] as const;
type Command = (typeof COMMANDS)[number];

export interface Args {
  readonly command: Command;
  readonly stack: string;
  readonly sandbox: boolean;
  readonly configFile?: string;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Args {
  const usage = "usage: quantlab <up|preview|drift|destroy|health> --stack NAME [--sandbox] [--config-file FILE]";
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) throw new UsageError(`${command ? `unknown command "${command}"\n` : ""}${usage}`);
  let stack: string | undefined;
  let sandbox = false;
  let configFile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--sandbox") sandbox = true;
    else if (a === "--stack" || a === "--config-file") {
      const v = rest[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`${a} needs a value\n${usage}`);
      if (a === "--stack") stack = v;
      else configFile = v;
    } else throw new UsageError(`unknown argument "${a}"\n${usage}`);
  }
  if (!stack) throw new UsageError(`--stack is required\n${usage}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: expected letters, digits, _ . -, got ${JSON.stringify(stack)}`);
  return { command: command as Command, stack, sandbox, ...(configFile ? { configFile } : {}) };
}

const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** Validates the stack config before the engine or the host is touched. */
async function parsed(o: OpenStack) {
  return parseStackConfig(await decryptedConfig(o));
}

async function health(o: OpenStack): Promise<boolean> {
  const { model, secrets } = await parsed(o);
  const all = await decryptedConfig(o);
  const conn = connectionFromConfig((k) => all[k]);
  const host = await connect(conn.target, conn.credentials);
  const rows = await checkHealth(host, planHost(model, secrets.tokens), secrets.tokens);
  print(healthTable(rows));
  return rows.every((r) => r.ok);
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const o = await openStack(args);
  await parsed(o); // bad config: the package's error, nothing touched
  const events: EngineEvent[] = [];
  const common = { configFile: o.configFile, color: "never" as const, onEvent: (e: EngineEvent) => events.push(e) };
  switch (args.command) {
    case "up": {
      await o.stack.up({ ...common, refresh: true, onOutput: (s) => process.stdout.write(s) });
      print("");
      return (await health(o)) ? 0 : 1;
    }
    case "preview": {
      await o.stack.preview({ ...common, refresh: true, diff: true, onOutput: (s) => process.stdout.write(s) });
      const changes = hostChanges(events);
      print(`\n${changesText(changes)}\n${restartsText(changes)}`);
      return 0;
    }
    case "drift": {
      await o.stack.preview({ ...common, refresh: true });
      const changes = hostChanges(events);
      print(changesText(changes));
      return changes.length === 0 ? 0 : 2;
    }
    case "destroy": {
      await o.stack.destroy({ ...common, onOutput: (s) => process.stdout.write(s) });
      return 0;
    }
    case "health":
      return (await health(o)) ? 0 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2))
    .then(async (code) => {
      await closeAll();
      process.exit(code);
    })
    .catch(async (e: Error) => {
      await closeAll();
      const message = e instanceof UsageError || e instanceof ConfigError ? e.message : (e.message ?? String(e));
      console.error(`quantlab: ${message}`);
      process.exit(e instanceof UsageError ? 64 : 1);
    });
}
