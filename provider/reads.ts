/**
 * The refresh of a host in one script: the first resource a run reads asks
 * for everything the plan's resources will read (host/snapshot.ts), and each
 * read after takes its part of that answer. So a refresh costs one exec
 * instead of one per resource, and every resource sees the host as it was
 * before this run wrote anything (a service, read after its files were
 * written, still sees the files its running process read). A read the
 * snapshot has no part for (a resource leaving the plan), or whose part
 * failed, runs alone.
 */
import * as crypto from "crypto";
import * as path from "path";
import { statBundleFilesScript } from "../host/bundle";
import { checkoutStateScript, lsRemoteScript } from "../host/checkout";
import { statFileScript, statRootFilesGroup } from "../host/files";
import { listGenerationsScript } from "../host/generations";
import { ownerStateScript } from "../host/owner";
import type { RunOptions } from "../host/session";
import { parseSnapshot, snapshotScript, type SnapshotGroup, type SnapshotPart } from "../host/snapshot";
import type { Script } from "../host/script";
import { toolsStateScript } from "../host/tools";
import { bucketCheckScript } from "../host/s3";
import { bearer, unitStatesGroup } from "../host/units";
import { inRootTree } from "../host/values";
import { askOf, bucketsInputs, credentialsLine } from "./buckets";
import { bundleIndex, readBundle } from "./code";
import type { HostContext } from "./context";

/** The key of a bundle's part: its file list, so a stored bundle with another list reads alone. */
export const bundleKey = (files: readonly string[]): string => `bundle:${digest([...files].sort())}`;
/** The key of a unit's part: the unit, the files it reads and its endpoint. */
export const unitKey = (unit: string, reads: readonly string[], url: string | undefined): string =>
  `unit:${unit}:${digest([...reads].sort(), url ?? "-")}`;

/** The keys of a checkout's parts: where, as whom, which trees; which remote and ref. */
export const checkoutKey = (t: { root: string; user: string; paths: readonly string[] }): string =>
  `checkout:${digest(t.root, t.user, [...t.paths].sort())}`;
export const remoteKey = (t: { remote: string; ref: string }): string => `remote:${digest(t.remote, t.ref)}`;

const digest = (...parts: unknown[]): string => crypto.createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);

/** Every read the host's plan implies, and the token header lines they take. */
function parts(c: HostContext): { parts: (SnapshotPart | SnapshotGroup)[]; headers: string } {
  const model = c.parsed.model;
  const user = model.runtime.user;
  const out: (SnapshotPart | SnapshotGroup)[] = [
    { key: "owner", script: ownerStateScript() },
    { key: "tools", script: toolsStateScript(c.plan.tools.map((t) => ({ package: t.package, command: t.command }))) },
    // root's files in one group (two processes for all); a file of the runtime user's tree by its reader, alone.
    statRootFilesGroup(c.plan.files.filter((f) => inRootTree(f.path)).map((f) => f.path)),
    ...c.plan.files.filter((f) => !inRootTree(f.path)).map((f) => ({ key: `file:${f.path}`, script: statFileScript(f.path, user) })),
    { key: "generations", script: listGenerationsScript() },
  ];
  const code = c.parsed.config.code;
  if (code.localDir) {
    const files = Object.keys(bundleIndex(readBundle(path.join(c.projectDir, code.localDir))));
    out.push({ key: bundleKey(files), script: statBundleFilesScript(model.runtime.backendRoot, user, files) });
  }
  if (code.git) {
    const paths = [...new Set(c.plan.units.flatMap((u) => u.codeDirs))].sort();
    const t = { root: model.runtime.backendRoot, user, paths, ...code.git };
    out.push({ key: checkoutKey(t), script: checkoutStateScript(t) });
    if (!/^[0-9a-f]{40}$/.test(code.git.ref)) out.push({ key: remoteKey(t), script: lsRemoteScript(t) });
  }
  const headers: string[] = [];
  const b = c.plan.buckets;
  if (b) {
    const p = bucketsInputs("", b);
    // The keys' line is a header line like a token's: on stdin, never in the script.
    const index = b.signed ? headers.push(credentialsLine(c, true)) - 1 : undefined;
    out.push({ key: "buckets", script: bucketCheckScript(askOf(p), index === undefined ? undefined : { from: "header", index }) });
  }
  // Every unit in one group: one systemctl and one hash per reader for all of them.
  const units = c.plan.units.map((u) => {
    const token = u.health?.token ? c.token(u.health.token) : undefined;
    const header = token !== undefined ? headers.push(bearer(token)) - 1 : undefined;
    return {
      key: unitKey(u.unit, u.reads, u.health?.url),
      unit: u.unit,
      reads: u.reads,
      ...(u.health ? { probe: { url: u.health.url, withToken: token !== undefined } } : {}),
      ...(header !== undefined ? { header } : {}),
    };
  });
  if (units.length) out.push(unitStatesGroup(units, user));
  return { parts: out, headers: headers.join("") };
}

const KEY = Symbol.for("quantlab-infra.host-snapshot");
type Holder = { [KEY]?: Promise<Map<string, { code: number; output: string }>> };

function snapshot(c: HostContext): Promise<Map<string, { code: number; output: string }>> {
  const holder = globalThis as Holder;
  holder[KEY] ??= (async () => {
    const { parts: all, headers } = parts(c);
    return parseSnapshot(await c.session.must("refresh", snapshotScript(all), { stdin: headers, deadline: 300 }));
  })();
  return holder[KEY];
}

/** A read: its part of the run's snapshot when it has one (and it succeeded), else the script alone. */
export async function observed(
  c: HostContext,
  what: string,
  key: string,
  live: () => { script: Script; opts?: RunOptions },
): Promise<string> {
  const part = (await snapshot(c).catch(() => new Map())).get(key);
  if (part?.code === 0) return part.output;
  const { script, opts } = live();
  return c.session.must(what, script, opts);
}
