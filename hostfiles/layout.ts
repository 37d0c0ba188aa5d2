/**
 * The directories and log files the model implies, with owners and modes,
 * as tmpfiles entries. Pure.
 */
import type { Model } from "../model/model";
import { ENV_DIR, cronLogPath } from "../model/paths";
import type { TmpfilesEntry } from "./tmpfiles";

const parent = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";

/** Directories from `root` (inclusive) down to `leaf` (exclusive). */
function chain(root: string, leaf: string): string[] {
  const dirs: string[] = [];
  for (let p = parent(leaf); p.length >= root.length && p.startsWith(root); p = parent(p)) dirs.unshift(p);
  return dirs;
}

/** True when `p` is one of the runtime user's directories or inside one. */
function isRuntimeTree(model: Model, p: string): boolean {
  const { home, backendRoot, spoolDir } = model.runtime;
  return [home, backendRoot, spoolDir].some((d) => p === d || p.startsWith(`${d}/`));
}

/**
 * The runtime user's directories whose parents are not the runtime user's
 * (home, the spool, a backend root outside the home): where the package would
 * take over a directory that already exists, so the host is asked first
 * (host/preflight.ts), with the config key that names each.
 */
export function runtimeRoots(model: Model): { readonly path: string; readonly key: string }[] {
  const { home, backendRoot, spoolDir } = model.runtime;
  const all = [
    { path: home, key: "quantlab:runtime.home" },
    { path: backendRoot, key: "quantlab:runtime.backendRoot" },
    { path: spoolDir, key: "quantlab:runtime.spoolDir" },
  ];
  // Home is created only when the backend lies inside it (tmpfilesEntries).
  const made = all.filter((d) => d.path !== home || backendRoot.startsWith(`${home}/`));
  return made.filter((d) => !made.some((o) => o !== d && d.path.startsWith(`${o.path}/`)));
}

export function tmpfilesEntries(model: Model): TmpfilesEntry[] {
  const { user, group, home, backendRoot, spoolDir } = model.runtime;
  const own = { user, group };
  const root = { user: "root", group: "root" };
  const entries: TmpfilesEntry[] = [{ type: "d", path: ENV_DIR, mode: "0750", ...root, purpose: "env files, read by systemd as root" }];
  if (backendRoot.startsWith(`${home}/`)) {
    entries.push({ type: "d", path: home, mode: "0750", ...own, purpose: `home of ${user}` });
  }
  for (const dir of chain(backendRoot, model.runsDir)) {
    entries.push({ type: "d", path: dir, mode: "0755", ...own, purpose: "backend tree down to the runs directory" });
  }
  entries.push({ type: "d", path: model.coreDir, mode: "0755", ...own, purpose: "core (holds the dotenv file)" });
  entries.push({ type: "d", path: model.runsDir, mode: "0750", ...own, purpose: "strategyd runs (never deleted)" });
  if (parent(spoolDir) !== "/" && !isRuntimeTree(model, parent(spoolDir))) {
    // Created (root, 0755) when missing; an existing one is left exactly as it is: it is not ours.
    entries.push({
      type: "d",
      path: parent(spoolDir),
      mode: "-",
      user: "-",
      group: "-",
      purpose: "parent of the collector spool (created if missing, never adjusted)",
    });
  }
  entries.push({ type: "d", path: spoolDir, mode: "0750", ...own, purpose: "collector spool (never deleted)" });
  for (const job of model.cronJobs) {
    entries.push({ type: "f", path: cronLogPath(job.job), mode: "0640", ...own, purpose: `log of cron job ${job.job}` });
  }
  return dedupe(entries);
}

function dedupe(entries: TmpfilesEntry[]): TmpfilesEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.path) && seen.add(e.path));
}
