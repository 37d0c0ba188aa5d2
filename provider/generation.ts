/**
 * HostGeneration: the last resource of a host. Once every service of the
 * run passed its gate, it checks that they all stayed up (the settle, one
 * wait for the whole run) and records what the host now runs as a new
 * generation (host/generations.ts). Its fingerprint (the files' hashes,
 * the code, the services' invocations) changes exactly when the host did,
 * so a no-op records nothing. When the settle fails, the host goes back to
 * its last generation and the run fails.
 */
import * as crypto from "crypto";
import * as path from "path";
import { stableJson } from "../config/hostconfig";
import { listGenerationsScript, parseGenerations, recordGenerationScript, type StoredFile } from "../host/generations";
import { failureText } from "../host/report";
import { generations, settle, type GenerationRecord } from "../host/rollout";
import { writtenByRoot } from "../host/files";
import { fileAttributes } from "../hostfiles/plan";
import type { HostContext } from "./context";
import { hostRun, rollbackHost, softFailures } from "./hostrun";
import { providerOf, type Kind } from "./kind";
import { planUnits } from "./units";
import { observed } from "./reads";
import { bundleIndex, readBundle } from "./code";

export interface HostGenerationInputs {
  readonly host: string;
  /** How many generations the host keeps. */
  readonly keep: number;
  /** What the host runs, as one hash: changes exactly when a file, the code or a service's invocation does. */
  readonly fingerprint: string;
  /** unit -> the invocation that passed its gate. */
  readonly started: Readonly<Record<string, string>>;
  /** The code: the commit checked out (git), or the bundle's hash. */
  readonly code: string;
  /** git only: code directory -> tree hash, for the record. */
  readonly trees: Readonly<Record<string, string>>;
}

export interface HostGenerationOutputs extends HostGenerationInputs {
  /** The generation recorded (the live one when this run recorded none). */
  readonly generation: number;
  /** Every service of this run passed its gates (false only in a fleet that tolerates failed hosts). */
  readonly ok: boolean;
  /** What failed, when not ok. */
  readonly failure?: string;
}

const LABEL = "HostGeneration";

/** The fingerprint of what the host runs. */
export function fingerprintOf(parts: {
  files: Readonly<Record<string, string>>;
  code: string;
  started: Readonly<Record<string, string>>;
}): string {
  return crypto.createHash("sha256").update(stableJson(parts)).digest("hex");
}

function record(c: HostContext, p: HostGenerationInputs, previous?: GenerationRecord): GenerationRecord & { fingerprint: string } {
  const sha = (t: string) => crypto.createHash("sha256").update(t).digest("hex");
  const files = Object.fromEntries(c.plan.files.map((f) => [f.path, { ...fileAttributes(f), sha256: sha(f.content) }]));
  const code = c.parsed.config.code;
  const rt = c.parsed.model.runtime;
  const codeRecord: GenerationRecord["code"] = code.git
    ? { kind: "git", root: rt.backendRoot, user: rt.user, commit: p.code, paths: Object.keys(p.trees).sort(), trees: p.trees }
    : code.localDir
      ? { kind: "bundle", root: rt.backendRoot, user: rt.user, files: bundleFiles(c, code.localDir) }
      : { kind: "none" };
  const units = planUnits(c.plan);
  const changed = previous
    ? [
        ...Object.keys(files).filter((f) => previous.files[f]?.sha256 !== files[f]!.sha256),
        ...Object.keys(previous.files).filter((f) => !(f in files)),
        ...(JSON.stringify(previous.code) !== JSON.stringify(codeRecord) ? ["code"] : []),
      ]
    : ["first generation"];
  return { time: new Date().toISOString(), stack: c.stack, files, code: codeRecord, units, changed, fingerprint: p.fingerprint };
}

function bundleFiles(c: HostContext, localDir: string): Record<string, { mode: string; sha256: string }> {
  return Object.fromEntries(
    Object.entries(bundleIndex(readBundle(path.join(c.projectDir, localDir)))).map(([rel, v]) => {
      const [mode, sha256] = v.split(" ") as [string, string];
      return [rel, { mode, sha256 }];
    }),
  );
}

function stored(c: HostContext, gen: GenerationRecord): StoredFile[] {
  const user = c.parsed.model.runtime.user;
  const files = Object.values(gen.files).map((f) => ({
    path: f.path,
    sha256: f.sha256,
    ...(writtenByRoot(f.path) ? {} : { reader: user }),
  }));
  const code =
    gen.code.kind === "bundle"
      ? Object.entries(gen.code.files).map(([rel, f]) => ({
          path: `${(gen.code as { root: string }).root}/${rel}`,
          sha256: f.sha256,
          reader: user,
        }))
      : [];
  return [...files, ...code];
}

export const generationKind: Kind<HostGenerationInputs, HostGenerationOutputs> = {
  name: "generation",
  label: () => LABEL,

  async apply(c, p) {
    const run = hostRun();
    // A tolerated failure: nothing recorded, the host reported as failed (the wave's barrier counts it).
    const failed = async (): Promise<HostGenerationOutputs> => {
      const listed = await generations(c.session);
      return { ...p, generation: listed.current ?? 0, ok: false, failure: run.failure ?? "a service failed in this run" };
    };
    if (softFailures(c) && run.failure) return failed();
    return run.op(
      LABEL,
      async (awaitRollback) => {
        const units = planUnits(c.plan);
        // The units this run (re)started must have stayed up in the invocation that passed their gate; the others
        // were not touched (after a reboot their invocations are systemd's own, not the ones recorded).
        const started = [...run.started.entries()].map(([unit, invocation]) => {
          const u = units.find((x) => x.unit === unit);
          return {
            unit,
            invocation,
            ...(u?.probe
              ? { probe: { url: u.probe.url, withToken: u.probe.token !== undefined }, ...(u.probe.token ? { token: u.probe.token } : {}) }
              : {}),
          };
        });
        // The history is read during the settle's wait: nothing else records on this host while this run holds it.
        const listing = generations(c.session);
        listing.catch(() => undefined); // a failed settle never reads it
        const settled = await settle(c.session, started, (t) => c.token(t));
        const bad = settled.find((s) => !s.settled);
        if (bad && !bad.settled) {
          const rollback = await awaitRollback(() => rollbackHost(c, bad.unit, [...run.started.keys()]));
          const text = failureText({
            resource: `HostService ${bad.unit}`,
            host: c.label,
            reason: `did not stay up after passing its gate: ${bad.reason}`,
            changed: [],
            journal: bad.journal,
            rollback,
          });
          if (!softFailures(c)) throw new Error(text);
          run.failure ??= text;
          return failed();
        }
        const listed = await listing;
        const previous = listed.generations.find((g) => g.n === listed.current)?.record;
        const gen = record(c, p, previous);
        const out = await c.session.must(LABEL, recordGenerationScript(stored(c, gen), p.keep), {
          stdin: JSON.stringify(gen),
          deadline: 120,
        });
        const n = /^generation (\d+)$/m.exec(out)?.[1];
        if (!n) throw new Error(`${LABEL} on ${c.label}: unexpected answer ${JSON.stringify(out.slice(0, 200))}`);
        return { ...p, generation: Number(n), ok: true };
      },
      softFailures(c) ? failed : undefined,
    );
  },

  async observe(c, stored) {
    const listed = parseGenerations<GenerationRecord>(await observed(c, LABEL, "generations", () => ({ script: listGenerationsScript() })));
    const current = listed.generations.find((g) => g.n === listed.current);
    if (!current) return undefined;
    const { generation: _g, ok: _ok, failure: _f, ...inputs } = stored;
    const seen = { ...inputs, fingerprint: (current.record as GenerationRecord & { fingerprint?: string }).fingerprint ?? "" };
    return { inputs: seen, outputs: { ...seen, generation: current.n, ok: true } };
  },

  // Generations are the host's history, kept with its data: removing the stack leaves them.
  async remove() {},
};

export const generation = providerOf(generationKind);
