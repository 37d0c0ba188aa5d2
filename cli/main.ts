/**
 * npx quantlab <up|preview|drift|destroy|health> --stack NAME [--sandbox] [--config-file FILE]
 * npx quantlab secret --stack NAME --key KEY < VALUE
 *
 *   up       refresh, converge the host, then print the health table
 *   preview  what `up` would change, and which services it would restart and why
 *   drift    refresh + preview: exit 0 when the host matches the stack, 2 when
 *            it differs (listing what), 1 on error
 *   destroy  remove what the stack put on the host (never the spool, runs or buckets)
 *   health   every enabled unit's state and health endpoint, checked on the host
 *   secret   stores stdin as the encrypted secret quantlab:KEY (e.g. tokens.replayd, sshPrivateKey)
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { parseStackConfig } from "../config/parse";
import { planHost } from "../hostfiles/plan";
import { connectionFromConfig } from "../provider/context";
import { connect } from "../provider/ssh";
import * as fs from "fs";
import { decryptedConfig, openStack, setSecret, type OpenStack } from "./engine";
import { checkHealth, healthRow, healthTable, type HealthRow } from "./health";
import { serviceOutputs } from "./outcome";
import { changesText, hostChanges, restartsText } from "./report";

const COMMANDS = ["up", "preview", "drift", "destroy", "health", "secret"] as const;
type Command = (typeof COMMANDS)[number];

export interface Args {
  readonly command: Command;
  readonly stack: string;
  readonly sandbox: boolean;
  readonly configFile?: string;
  /** For `secret`: the key under quantlab:, e.g. tokens.replayd. */
  readonly key?: string;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseArgs(argv: readonly string[]): Args {
  const usage = "usage: quantlab <up|preview|drift|destroy|health> --stack NAME [--sandbox] [--config-file FILE]\n       quantlab secret --stack NAME --key KEY < VALUE";
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) throw new UsageError(`${command ? `unknown command "${command}"\n` : ""}${usage}`);
  let stack: string | undefined;
  let sandbox = false;
  let configFile: string | undefined;
  let key: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--sandbox") sandbox = true;
    else if (a === "--stack" || a === "--config-file" || a === "--key") {
      const v = rest[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`${a} needs a value\n${usage}`);
      if (a === "--stack") stack = v;
      else if (a === "--key") key = v;
      else configFile = v;
    } else throw new UsageError(`unknown argument "${a}"\n${usage}`);
  }
  if (!stack) throw new UsageError(`--stack is required\n${usage}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: expected letters, digits, _ . -, got ${JSON.stringify(stack)}`);
  if (command === "secret" && !(key && /^(tokens\.[a-z-]+|sshPrivateKey|sshKeyPassphrase)$/.test(key))) {
    throw new UsageError(`secret: --key must be tokens.<name>, sshPrivateKey or sshKeyPassphrase\n${usage}`);
  }
  return { command: command as Command, stack, sandbox, ...(configFile ? { configFile } : {}), ...(key ? { key } : {}) };
}

const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** The stack config, decrypted and validated: the package's own error before the engine or the host is touched. */
async function parsed(o: OpenStack) {
  const all = await decryptedConfig(o);
  return { all, ...parseStackConfig(all) };
}

/** Live health, over the CLI's own connection. */
async function liveHealth(o: OpenStack): Promise<HealthRow[]> {
  const { all, model, secrets } = await parsed(o);
  const conn = connectionFromConfig((k) => all[k]);
  const host = await connect(conn.target, conn.credentials);
  return checkHealth(host, planHost(model, secrets.tokens), secrets.tokens);
}

/** Health as the run that just ended saw it: the service resources' outputs from its events (or, if any is missing, the state). */
async function healthFromState(o: OpenStack, events: readonly EngineEvent[]): Promise<HealthRow[]> {
  const { model, secrets } = await parsed(o);
  const units = planHost(model, secrets.tokens).units;
  let byUnit = serviceOutputs(events);
  if (!units.every((u) => byUnit.has(u.unit))) {
    const deployment = (await o.stack.exportStack()).deployment as { resources?: { type: string; outputs?: Record<string, unknown> }[] };
    byUnit = new Map(
      (deployment.resources ?? [])
        .filter((r) => r.type === "pulumi-nodejs:dynamic/quantlab:HostService")
        .map((r) => [r.outputs?.unit as string, r.outputs ?? {}]),
    );
  }
  return units.map((u) => {
    const out = byUnit.get(u.unit) ?? {};
    return healthRow(u, { active: out.active === true, ...(typeof out.health === "string" ? { health: out.health } : {}) });
  });
}

/** An engine failure as the operator needs it: the error diagnostics, not the CLI's whole transcript. */
function engineFailure(what: string, events: readonly EngineEvent[], e: unknown): Error {
  const errors = [...new Set(events.flatMap((ev) => (ev.diagnosticEvent?.severity === "error" ? [ev.diagnosticEvent.message.trim()] : [])))];
  const generic = /^(update|preview|destroy|refresh) failed$/;
  const specific = errors.filter((m) => !generic.test(m));
  return new Error(`${what} failed:\n${(specific.length ? specific : errors.length ? errors : [(e as Error).message]).join("\n")}`);
}

async function engine<T>(what: string, events: readonly EngineEvent[], op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw engineFailure(what, events, e);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const o = await openStack(args);
  if (args.command === "secret") {
    const input = fs.readFileSync(0, "utf8");
    // A key file keeps its final newline; a token piped from `openssl rand` loses it.
    const value = args.key === "sshPrivateKey" ? input : input.replace(/\n$/, "");
    if (value === "") throw new UsageError("secret: nothing on stdin");
    await setSecret(o, `quantlab:${args.key}`, value);
    print(`quantlab:${args.key} set (encrypted) in ${o.configFile}`);
    return 0;
  }
  await parsed(o);
  const events: EngineEvent[] = [];
  const common = { configFile: o.configFile, color: "never" as const, onEvent: (e: EngineEvent) => events.push(e) };
  const stream = { onOutput: (s: string) => process.stdout.write(s) };
  switch (args.command) {
    case "up": {
      await engine("up", events, () => o.stack.up({ ...common, ...stream, refresh: true }));
      const rows = await healthFromState(o, events);
      print(`\n${healthTable(rows)}`);
      return rows.every((r) => r.ok) ? 0 : 1;
    }
    case "preview": {
      await engine("preview", events, () => o.stack.preview({ ...common, ...stream, refresh: true, diff: true }));
      const changes = hostChanges(events);
      print(`\n${changesText(changes)}\n${restartsText(changes)}`);
      return 0;
    }
    case "drift": {
      await engine("drift check", events, () => o.stack.preview({ ...common, refresh: true }));
      const changes = hostChanges(events);
      print(changesText(changes));
      return changes.length === 0 ? 0 : 2;
    }
    case "destroy": {
      await engine("destroy", events, () => o.stack.destroy({ ...common, ...stream }));
      return 0;
    }
    case "health": {
      const rows = await liveHealth(o);
      print(healthTable(rows));
      return rows.every((r) => r.ok) ? 0 : 1;
    }
  }
}
