/**
 * What the e2e scenarios read off the sandbox host, and the expected plan for
 * the sandbox stack (the same pure plan the program ships).
 */
import * as fs from "fs";
import * as YAML from "yaml";
import { parseStackConfig, type ParsedStack } from "../../config/parse";
import type { EnvValues } from "../../envfiles/compose";
import type { Sandbox, SandboxStack } from "./sandbox";

/** The sandbox stack's config as allConfig() would see it (secrets from the stack's own record). */
export function parsedSandboxStack(stack: SandboxStack, sandbox: Sandbox, configFile = stack.configFile): ParsedStack {
  const doc = YAML.parse(fs.readFileSync(configFile, "utf8")) as { config: Record<string, unknown> };
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config)) {
    if (k === "quantlab:tokens" || k === "quantlab:sshPrivateKey") continue;
    all[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  all["quantlab:tokens"] = JSON.stringify(stack.tokens);
  all["quantlab:sshPrivateKey"] = fs.readFileSync(sandbox.host.privateKeyPath, "utf8");
  return parseStackConfig(all);
}

export function envValues(parsed: ParsedStack): EnvValues {
  const s3 = parsed.config.s3;
  return { tokens: parsed.secrets.tokens, compactBucket: s3.compactBucket, archiveBucket: s3.archiveBucket, endpoint: s3.endpoint ?? "" };
}

export interface UnitState {
  ActiveState: string;
  UnitFileState: string;
  ActiveEnterTimestampMonotonic: number;
  ExecMainStartTimestampMonotonic: number;
  MainPID: number;
}

export async function unitStates(sandbox: Sandbox, units: readonly string[]): Promise<Record<string, UnitState>> {
  const props = "Id,ActiveState,UnitFileState,ActiveEnterTimestampMonotonic,ExecMainStartTimestampMonotonic,MainPID";
  const out = await sandbox.sh(`systemctl show -p ${props} ${units.join(" ")}`);
  const states: Record<string, UnitState> = {};
  for (const block of out.trim().split(/\n\s*\n/)) {
    const kv = Object.fromEntries(block.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    states[kv.Id!] = {
      ActiveState: kv.ActiveState!,
      UnitFileState: kv.UnitFileState!,
      ActiveEnterTimestampMonotonic: Number(kv.ActiveEnterTimestampMonotonic),
      ExecMainStartTimestampMonotonic: Number(kv.ExecMainStartTimestampMonotonic),
      MainPID: Number(kv.MainPID),
    };
  }
  return states;
}

/** The stand-ins' own start records in this boot's journal: service -> last at_ms. */
export async function standinStarts(sandbox: Sandbox): Promise<Record<string, number>> {
  const out = await sandbox.sh("journalctl -b -o cat --no-pager | grep '^quantlab-standin started ' || true");
  const starts: Record<string, number> = {};
  for (const m of out.matchAll(/^quantlab-standin started service=(\S+) at_ms=(\d+)/gm)) starts[m[1]!] = Number(m[2]);
  return starts;
}

export interface FileStat {
  mode: string;
  owner: string;
  group: string;
}

export async function stat(sandbox: Sandbox, paths: readonly string[]): Promise<Record<string, FileStat | undefined>> {
  const r = await sandbox.ssh(`stat -c '%n|%a|%U|%G' ${paths.join(" ")} 2>/dev/null`);
  const found: Record<string, FileStat | undefined> = Object.fromEntries(paths.map((p) => [p, undefined]));
  for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
    const [p, mode, owner, group] = line.split("|");
    found[p!] = { mode: mode!.padStart(4, "0"), owner: owner!, group: group! };
  }
  return found;
}

/** Health over the sandbox's network; the token goes in a header, never in argv. */
export async function health(address: string, url: string, token?: string): Promise<number> {
  const u = new URL(url);
  const target = `http://${address}:${u.port}${u.pathname}`;
  const res = await fetch(target, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  return res.status;
}

/** Labelled wall-clock timings (seconds) of the steps a scenario takes. */
export function stopwatch() {
  const timings: Record<string, number> = {};
  async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      timings[label] = (Date.now() - start) / 1000;
    }
  }
  return { timings, timed };
}
