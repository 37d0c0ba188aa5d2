/**
 * The one place that turns what the Pulumi CLI, the engine or a host said
 * into the package's own message: the engine's error diagnostics (each
 * prefixed with the host it happened on, in a fleet), a locked stack, a wrong
 * passphrase, a missing backend, instead of a command line and its transcript.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { lockedText } from "./interrupt";

const GENERIC = /^(update|preview|destroy|refresh) failed$/;

/** The host a resource URN belongs to: the part of its name before the first `:` (`research-a:/etc/...`). */
export function hostOfUrn(urn: string): string | undefined {
  const name = urn.slice(urn.lastIndexOf("::") + 2);
  const i = name.indexOf(":");
  return i > 0 ? name.slice(0, i) : undefined;
}

/** The error diagnostics of a run, each once; in a fleet, prefixed with its host. */
export function engineErrors(events: readonly EngineEvent[], fleet: boolean): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const ev of events) {
    const d = ev.diagnosticEvent;
    if (d?.severity !== "error") continue;
    const message = d.message.trim();
    if (GENERIC.test(message) || seen.has(message)) continue;
    seen.add(message);
    const host = fleet && d.urn ? hostOfUrn(d.urn) : undefined;
    out.push(host && !message.startsWith(`${host}:`) ? `host ${host}: ${message}` : message);
  }
  return out;
}

const PATTERNS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray, stack: string) => string]> = [
  [
    /incorrect passphrase/,
    (_m, stack) =>
      `cannot decrypt the secrets of stack ${stack}: incorrect passphrase (check PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)`,
  ],
  [
    /passphrase must be set with PULUMI_CONFIG_PASSPHRASE/,
    (_m, stack) =>
      `stack ${stack} has encrypted secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to its passphrase`,
  ],
  [
    /no stack named '([^']+)' found/,
    (m) => `stack ${m[1]} does not exist in this backend (PULUMI_BACKEND_URL); run \`npx quantlab up --stack ${m[1]}\` to create it`,
  ],
  [/could not (?:open|access|read).*(?:bucket|blob|backend)[^\n]*/i, (m) => `cannot reach the state backend: ${m[0]}`],
];

/** What the operator reads for an error of a command: the package's message, never a command line. */
export function explain(e: unknown, stack: string): string {
  const text = e instanceof Error ? e.message : String(e);
  const locked = lockedText(stack, text);
  if (locked) return locked;
  for (const [re, say] of PATTERNS) {
    const m = re.exec(text);
    if (m) return say(m, stack);
  }
  // A CLI failure the patterns do not know: its `error:` lines, without the command line.
  const failed = /^Command failed with exit code \d+: (?:\S*\/)?pulumi [^\n]*\n?([\s\S]*)$/.exec(text);
  if (failed) {
    const errors = failed[1]!.split("\n").filter((l) => /^\s*error: /.test(l));
    return `pulumi: ${errors.length ? errors.map((l) => l.trim().replace(/^error: /, "")).join("\n") : failed[1]!.trim().split("\n").slice(-5).join("\n")}`;
  }
  return text;
}

/** An engine run's failure: its diagnostics, else the explained error. */
export function engineFailure(what: string, events: readonly EngineEvent[], e: unknown, stack: string, fleet: boolean): Error {
  const errors = engineErrors(events, fleet);
  const locked = lockedText(stack, `${errors.join("\n")}\n${e instanceof Error ? e.message : String(e)}`);
  if (locked) return new Error(locked);
  return new Error(`${what} failed:\n${errors.length ? errors.join("\n") : explain(e, stack)}`);
}
