/**
 * npx quantlab <up|preview|drift|destroy|health> --stack NAME [--sandbox] [--config-file FILE]
 * npx quantlab secret --stack NAME --key KEY < VALUE
 * npx quantlab validate|unlock --stack NAME [--sandbox] [--config-file FILE]
 *
 *   up       refresh, converge the host, then print the health table
 *   preview  what `up` would change, and which services it would restart and why
 *   drift    refresh + preview: exit 0 when the host matches the stack, 2 when
 *            it differs (listing what), 1 on error
 *   destroy  remove what the stack put on the host (never the spool, runs or buckets)
 *   health   every enabled unit's state and health endpoint, checked on the host
 *   secret   stores stdin as the encrypted secret quantlab:KEY (e.g. tokens.replayd, sshPrivateKey)
 *   validate checks the stack file (secrets decrypted) with no host and no engine run, listing every problem
 *   unlock   releases the stack lock a killed run left behind (refused while that run is still alive)
 *
 * up and destroy first claim the host for the stack (/var/lib/quantlab/owner);
 * --take-over lets a stack claim a host another stack holds. SIGINT cancels
 * the engine run cleanly and exits 130.
 *
 * and the runbook's operations (cli/ops/): status, logs, restart, deploy, run, doctor, runs.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { parseStackConfig } from "../config/parse";
import { planHost } from "../hostfiles/plan";
import { connectionFromConfig } from "../provider/context";
import { connect, type SshConnection } from "../provider/ssh";
import * as fs from "fs";
import { PROJECT, decryptedStackConfig, openStack, setSecret, type OpenStack } from "./engine";
import { checkHealth, healthRow, healthTable, type HealthRow } from "./health";
import { serviceOutputs } from "./outcome";
import { changesText, hostChanges, restartsText } from "./report";
import { OPS_USAGE, isOpsCommand, runOps } from "./ops";
import { Cancellation, EXIT_INTERRUPTED, interruptedText, liveHolder, lockedText, stackLocks } from "./interrupt";
import { claimHost, releaseHost } from "./owner";
import { validate, validationText } from "./validate";

const COMMANDS = ["up", "preview", "drift", "destroy", "health", "secret", "validate", "unlock"] as const;
type Command = (typeof COMMANDS)[number];

export interface Args {
  readonly command: Command;
  readonly stack: string;
  readonly sandbox: boolean;
  readonly configFile?: string;
  /** For `secret`: the key under quantlab:, e.g. tokens.replayd. */
  readonly key?: string;
  /** For up/destroy: claim the host even when another stack owns it. @default false */
  readonly takeOver?: boolean;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseArgs(argv: readonly string[]): Args {
  const usage =
    "usage: quantlab <up|preview|drift|destroy|health|validate|unlock> --stack NAME [--sandbox] [--config-file FILE] [--take-over]\n       quantlab secret --stack NAME --key KEY < VALUE\n" +
    OPS_USAGE.replace(/^usage: /, "       ");
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) throw new UsageError(`${command ? `unknown command "${command}"\n` : ""}${usage}`);
  let stack: string | undefined;
  let sandbox = false;
  let configFile: string | undefined;
  let key: string | undefined;
  let takeOver = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--sandbox") sandbox = true;
    else if (a === "--take-over" && (command === "up" || command === "destroy")) takeOver = true;
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
  return { command: command as Command, stack, sandbox, ...(configFile ? { configFile } : {}), ...(key ? { key } : {}), ...(takeOver ? { takeOver } : {}) };
}

const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** The stack config, decrypted and validated: the package's own error before the engine or the host is touched. */
async function parsed(o: OpenStack) {
  const { values: all, secretKeys } = await decryptedStackConfig(o);
  return { all, ...parseStackConfig(all, { secretKeys }) };
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

async function engine<T>(what: string, events: readonly EngineEvent[], op: () => Promise<T>, stack = ""): Promise<T> {
  try {
    return await op();
  } catch (e) {
    const failure = engineFailure(what, events, e);
    const locked = lockedText(stack, `${failure.message}\n${(e as Error).message}`);
    throw locked ? new Error(locked) : failure;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  if (isOpsCommand(argv[0])) return runOps(argv, (flags) => main(["up", ...flags]));
  const args = parseArgs(argv);
  if (args.command === "validate") {
    const v = await validate(args);
    print(validationText(v));
    return v.ok ? 0 : 1;
  }
  const o = await openStack(args);
  if (args.command === "unlock") return unlock(o, args.stack);
  if (args.command === "secret") {
    const input = fs.readFileSync(0, "utf8");
    // A key file keeps its final newline; a token piped from `openssl rand` loses it.
    const value = args.key === "sshPrivateKey" ? input : input.replace(/\n$/, "");
    if (value === "") throw new UsageError("secret: nothing on stdin");
    await setSecret(o, `quantlab:${args.key}`, value);
    print(`quantlab:${args.key} set (encrypted) in ${o.configFile}`);
    return 0;
  }
  const { all } = await parsed(o);
  // up claims the host in the engine run (the HostOwner resource, first of all, over the run's one
  // connection); destroy claims it here first, so a stack never removes what another stack put there.
  const host = args.command === "destroy" ? await claim(all, args) : undefined;
  if (args.command === "up" && args.takeOver) o.stack.workspace.envVars.QUANTLAB_TAKE_OVER = "1";
  const events: EngineEvent[] = [];
  const cancel = new Cancellation(args.command);
  const common = { configFile: o.configFile, color: "never" as const, onEvent: (e: EngineEvent) => events.push(e), signal: cancel.signal, onError: (s: string) => cancel.saw(s) };
  const stream = {
    onOutput: (s: string) => {
      cancel.saw(s);
      process.stdout.write(s);
    },
  };
  try {
    return await dispatch(args, o, events, common, stream, host);
  } catch (e) {
    if (!cancel.interrupted) throw e;
    process.stderr.write(`quantlab: ${interruptedText(args.command, args.stack)}\n`);
    return EXIT_INTERRUPTED;
  } finally {
    cancel.dispose();
  }
}

/** Claims the stack's host before the engine runs (see cli/owner.ts). */
async function claim(all: Record<string, string>, args: Args) {
  const conn = connectionFromConfig((k) => all[k]);
  const host = await connect(conn.target, conn.credentials);
  const previous = await claimHost(host, conn.target.address, args.stack, args.command, args.takeOver === true);
  if (previous) print(`quantlab: took host ${conn.target.address} over from stack ${previous}`);
  return host;
}

/** Releases a stale stack lock (file backend), never one whose run is still alive on this machine. */
async function unlock(o: OpenStack, stack: string): Promise<number> {
  const backend = o.env.PULUMI_BACKEND_URL ?? "";
  if (!backend.startsWith("file://")) throw new Error(`unlock: only for a file backend (PULUMI_BACKEND_URL is ${backend})`);
  const locks = stackLocks(backend.slice("file://".length), PROJECT, stack);
  if (locks.length === 0) {
    print(`stack ${stack} is not locked`);
    return 0;
  }
  const live = liveHolder(locks);
  if (live) throw new Error(`unlock: stack ${stack} is locked by a run that is still active (pid ${live.pid}, started ${live.timestamp}); stop that run instead (Ctrl-C)`);
  await o.stack.cancel();
  print(`released ${locks.length} stale lock(s) of stack ${stack}`);
  return 0;
}

type Common = { configFile: string; color: "never"; onEvent: (e: EngineEvent) => void; signal: AbortSignal; onError: (s: string) => void };

async function dispatch(args: Args, o: OpenStack, events: EngineEvent[], common: Common, stream: { onOutput: (s: string) => void }, host?: SshConnection): Promise<number> {
  switch (args.command) {
    case "up": {
      await engine("up", events, () => o.stack.up({ ...common, ...stream, refresh: true }), args.stack);
      const previous = events.flatMap((e) => {
        const m = e.resOutputsEvent?.metadata;
        return m?.type === "pulumi-nodejs:dynamic/quantlab:HostOwner" && typeof m.new?.outputs?.previous === "string" ? [m.new.outputs.previous as string] : [];
      })[0];
      if (previous) print(`quantlab: took host ${(await parsed(o)).config.host.address} over from stack ${previous}`);
      const rows = await healthFromState(o, events);
      print(`\n${healthTable(rows)}`);
      return rows.every((r) => r.ok) ? 0 : 1;
    }
    case "preview": {
      await engine("preview", events, () => o.stack.preview({ ...common, ...stream, refresh: true, diff: true }), args.stack);
      const changes = hostChanges(events);
      print(`\n${changesText(changes)}\n${restartsText(changes)}`);
      return 0;
    }
    case "drift": {
      await engine("drift check", events, () => o.stack.preview({ ...common, refresh: true }), args.stack);
      const changes = hostChanges(events);
      print(changesText(changes));
      return changes.length === 0 ? 0 : 2;
    }
    case "destroy": {
      await engine("destroy", events, () => o.stack.destroy({ ...common, ...stream }), args.stack);
      // The engine released the host (HostOwner's delete); a stack destroyed before it had one releases here.
      if (host) await releaseHost(host, args.stack);
      return 0;
    }
    case "health": {
      const rows = await liveHealth(o);
      print(healthTable(rows));
      return rows.every((r) => r.ok) ? 0 : 1;
    }
    default:
      throw new UsageError(`${args.command}: not an engine command`);
  }
}
