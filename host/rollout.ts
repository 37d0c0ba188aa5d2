/**
 * Rolling services out on one host over its session, for `up` (the host
 * provider), `restart` and `rollback` (the operator command) alike: one
 * gate per (re)start, one settle per run, and putting the whole host back
 * on a generation (files, code, units) when a run fails.
 */
import type { ReloadAction } from "../model/actions";
import { blobScript, listGenerationsScript, markCurrentScript, parseGenerations, type Listed } from "./generations";
import { checkoutCommitScript, checkoutStateScript, parseCheckoutState } from "./checkout";
import { deleteFileScript, parseFileState, reloadCommands, statFileScript, writeFileScript, type FileTarget } from "./files";
import { gateScript, parseGate, parseSettle, settleScript, type GateResult, type SettleResult, type Started } from "./gate";
import { activeStatesScript, bearer, deactivateScript, notActive } from "./units";
import { parseBundleHashes, statBundleScript, writeCodeFileScript } from "./bundle";
import { lines, root, ROOT_WHO, type Script } from "./script";
import type { HostSession } from "./session";

/** A unit as a rollout needs it: where its health answers (and with which token), and its deadline. */
export interface RolloutUnit {
  readonly unit: string;
  readonly service: string;
  /** Startup level (0 first). */
  readonly level: number;
  readonly probe?: { readonly url: string; readonly token?: string };
  readonly timeoutSeconds: number;
  /** The files it reads (unit file, env file, dotenv): a change to one restarts it. */
  readonly reads: readonly string[];
}

/** What a generation holds (host/generations.ts keeps it as JSON). */
export interface GenerationRecord {
  readonly time: string;
  readonly stack: string;
  readonly files: Readonly<Record<string, FileTarget & { readonly sha256: string }>>;
  readonly code:
    | {
        readonly kind: "git";
        readonly root: string;
        readonly user: string;
        readonly commit: string;
        readonly paths: readonly string[];
        /** Code directory -> tree hash at `commit`. */
        readonly trees: Readonly<Record<string, string>>;
      }
    | {
        readonly kind: "bundle";
        readonly root: string;
        readonly user: string;
        readonly files: Readonly<Record<string, { readonly mode: string; readonly sha256: string }>>;
      }
    | { readonly kind: "none" };
  readonly units: readonly RolloutUnit[];
  /** What differs from the generation before it. */
  readonly changed: readonly string[];
}

export type Tokens = (name: string) => string;

const withToken = (u: Pick<RolloutUnit, "probe">, tokens: Tokens) => {
  const token = u.probe?.token ? tokens(u.probe.token) : undefined;
  return { probe: u.probe ? { url: u.probe.url, withToken: token !== undefined } : undefined, token };
};

/** (Re)starts one unit behind its gate. `expect`: root files that must hold these hashes first. */
export async function gate(
  s: HostSession,
  u: RolloutUnit,
  how: "restart" | "start",
  tokens: Tokens,
  expect?: { readonly files: Readonly<Record<string, string>>; readonly reader: string },
): Promise<GateResult> {
  const { probe, token } = withToken(u, tokens);
  const script = gateScript({
    unit: u.unit,
    how,
    ...(probe ? { probe } : {}),
    timeoutSeconds: u.timeoutSeconds,
    ...(expect ? { expect: expect.files, reader: expect.reader } : {}),
  });
  return parseGate(await s.must(`health gate of ${u.unit}`, script, { stdin: bearer(token), deadline: u.timeoutSeconds + 30 }));
}

/** Every started unit still up in the invocation that passed, after the settle time. */
export async function settle(
  s: HostSession,
  started: readonly (Started & { readonly token?: string })[],
  tokens: Tokens,
): Promise<SettleResult[]> {
  if (started.length === 0) return [];
  const headers = started.flatMap((u) => (u.probe?.withToken && u.token ? [bearer(tokens(u.token))] : [])).join("");
  return parseSettle(await s.must("settle check", settleScript(started), { stdin: headers, deadline: 120 }));
}

/** The host's generations. */
export async function generations(s: HostSession): Promise<Listed<GenerationRecord>> {
  return parseGenerations<GenerationRecord>(await s.must("generations", listGenerationsScript()));
}

/** Puts one stored file version back where it lives, atomically, as its writer: the content never leaves the host. */
function restoreFileScript(t: FileTarget & { readonly sha256: string }): Script {
  return root`${blobScript(t.sha256)} | (
${writeFileScript({ ...t, onChange: "none" }, t.sha256)}
)`;
}

export interface RestoreOutcome {
  /** Paths put back (files and code). */
  readonly restored: readonly string[];
  /** Files removed (new in the failed run). */
  readonly removed: readonly string[];
  /** Units stopped (new in the failed run). */
  readonly stopped: readonly string[];
  /** Each restarted unit's gate, in startup order, then the settle. */
  readonly gates: readonly { readonly unit: string; readonly result: GateResult }[];
  readonly settled: readonly SettleResult[];
  /** Milliseconds from the start of the restore to its last gate (or settle). */
  readonly ms: number;
}

/** A whole-host rollback after a failure in a run. */
export interface Rollback {
  /** The generation the host is back on (with what it took), or why it could not be put back. */
  readonly outcome: { readonly generation: number; readonly restore: RestoreOutcome } | { readonly impossible: string };
  /** The unit whose failure caused it. */
  readonly cause: string;
}

export interface RestoreArgs {
  readonly gen: GenerationRecord;
  readonly n: number;
  /** Units to restart whatever else differs: those the failed run touched, and those whose code the restore changes. */
  readonly touched: ReadonlySet<string>;
  /** Files the host may hold that the generation lacks (the current plan's), with who removes them. */
  readonly extraFiles: readonly { readonly path: string; readonly onChange: ReloadAction; readonly owner: string }[];
  /** Units the host may run that the generation lacks. */
  readonly extraUnits: readonly string[];
  /** The runtime user, who reads the files of its tree. */
  readonly runtimeUser: string;
}

/**
 * Puts the host on generation `n`: every file whose content differs, the
 * code, then the units that changed, that the failed run touched or that are not active,
 * restarted in startup order, each behind its gate, then one settle; new
 * files and units of the failed run are removed. Marks `n` current when
 * every gate and the settle pass.
 */
export async function restoreGeneration(s: HostSession, a: RestoreArgs, tokens: Tokens): Promise<RestoreOutcome> {
  const t0 = Date.now();
  const restored: string[] = [];
  const removed: string[] = [];
  const changedPaths = new Set<string>();
  const reloads: Script[] = [];
  await Promise.all(
    Object.values(a.gen.files).map(async (f) => {
      const now = parseFileState(await s.must(`stat ${f.path}`, statFileScript(f.path, a.runtimeUser)));
      if (now?.sha256 === f.sha256 && now.mode === f.mode && now.owner === f.owner && now.group === f.group) return;
      await s.must(`restore ${f.path}`, restoreFileScript(f));
      restored.push(f.path);
      changedPaths.add(f.path);
      reloads.push(...reloadCommands(f.onChange, f.path, "write"));
    }),
  );
  for (const f of a.extraFiles.filter((x) => !(x.path in a.gen.files))) {
    const now = parseFileState(await s.must(`stat ${f.path}`, statFileScript(f.path, a.runtimeUser)));
    if (!now) continue;
    await s.must(`remove ${f.path}`, deleteFileScript(f.path, "none", f.owner));
    removed.push(f.path);
    reloads.push(...reloadCommands(f.onChange, f.path, "delete"));
  }
  const stopped: string[] = [];
  for (const unit of a.extraUnits.filter((u) => !a.gen.units.some((g) => g.unit === u))) {
    await s.must(`stop ${unit}`, deactivateScript(unit));
    stopped.push(unit);
  }
  const reload = [...new Map(reloads.map((r) => [r.text, r])).values()];
  if (reload.length) await s.must("reload", lines(ROOT_WHO, reload));

  await restoreCode(s, a.gen.code, restored);
  // A unit the generation runs that is not active now (a run cut after the code went back, before its restart) is
  // restarted too: the host ends on the generation only with every one of its units up behind its gate.
  const down = a.gen.units.length
    ? notActive(await s.must("unit states", activeStatesScript(a.gen.units.map((u) => u.unit))))
    : new Set<string>();
  const restart = a.gen.units.filter((u) => a.touched.has(u.unit) || down.has(u.unit) || u.reads.some((p) => changedPaths.has(p)));
  const gates: { unit: string; result: GateResult }[] = [];
  const levels = [...new Set(restart.map((u) => u.level))].sort((x, y) => x - y);
  for (const level of levels) {
    const results = await Promise.all(
      restart.filter((u) => u.level === level).map(async (u) => ({ unit: u.unit, result: await gate(s, u, "restart", tokens) })),
    );
    gates.push(...results);
    if (results.some((r) => !r.result.passed)) return { restored, removed, stopped, gates, settled: [], ms: Date.now() - t0 };
  }
  const started = gates.map(({ unit, result }) => {
    const u = restart.find((x) => x.unit === unit)!;
    const { probe } = withToken(u, tokens);
    return {
      unit,
      invocation: result.passed ? result.invocation : "",
      ...(probe ? { probe } : {}),
      ...(u.probe?.token ? { token: u.probe.token } : {}),
    };
  });
  const settled = await settle(s, started, tokens);
  if (settled.every((r) => r.settled)) await s.must("mark generation", markCurrentScript(a.n));
  return { restored, removed, stopped, gates, settled, ms: Date.now() - t0 };
}

/** Puts the generation's code back; true when anything changed. */
async function restoreCode(s: HostSession, code: GenerationRecord["code"], restored: string[]): Promise<boolean> {
  if (code.kind === "none") return false;
  if (code.kind === "git") {
    const now = parseCheckoutState(await s.must("checkout state", checkoutStateScript(code)));
    if (now?.commit === code.commit && now.clean) return false;
    await s.must("checkout", checkoutCommitScript(code, code.commit), { deadline: 300 });
    restored.push(`${code.root} (commit ${code.commit.slice(0, 12)})`);
    return true;
  }
  const files = Object.entries(code.files);
  const out = await s.must("code state", statBundleScript(code.root, code.user), { stdin: files.map(([rel]) => `${rel}\n`).join("") });
  const hashes = parseBundleHashes(out);
  const differ = files.filter(([rel, f]) => hashes.get(rel) !== f.sha256);
  await Promise.all(
    differ.map(([rel, f]) =>
      s.must(
        `restore ${code.root}/${rel}`,
        root`${blobScript(f.sha256)} | ${writeCodeFileScript(code.root, rel, f.mode, code.user, f.sha256)}`,
      ),
    ),
  );
  if (differ.length) restored.push(`${code.root} (${differ.length} code file${differ.length === 1 ? "" : "s"})`);
  return differ.length > 0;
}
