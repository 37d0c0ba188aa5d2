/**
 * HostFile: one planned file on the host. Its inputs hold where, owner,
 * mode and the content's sha-256, never the content: the provider takes the
 * content from its own plan of the host (the same plan the program made,
 * checked by the hash), so no file text, and no token inside one, is ever
 * in the state.
 */
import * as crypto from "crypto";
import { deleteFileScript, parseFileState, statFileScript, writeFileScript, type FileTarget } from "../host/files";
import { PRIVILEGED_GROUPS } from "../config/accounts";
import { parsePreflight, preflightScript } from "../host/preflight";
import { runtimeRoots } from "../hostfiles/layout";
import type { HostContext } from "./context";
import { hostRun } from "./hostrun";
import { observed } from "./reads";
import { providerOf, type Kind } from "./kind";

export interface HostFileInputs extends FileTarget {
  /** The host's name (labels only). */
  readonly host: string;
  /** sha-256 of the content: what drift is measured by. */
  readonly sha256: string;
}

function content(c: HostContext, p: HostFileInputs): string {
  const planned = c.plan.files.find((f) => f.path === p.path);
  if (!planned)
    throw new Error(`HostFile ${p.path}: not in this host's plan (the program and the provider disagree: run \`npm run build\`)`);
  return planned.content;
}

/** The file's own script minus a daemon-reload: the run's unit files share theirs (host/reload.ts). */
const alone = <T extends FileTarget>(p: T): T => (p.onChange === "daemon-reload" ? { ...p, onChange: "none" } : p);

/** Who reads and removes a file in the runtime user's tree (root never does). */
const runtimeUser = (c: HostContext): string => c.parsed.model.runtime.user;

/**
 * Before the rules that create the runtime user and its directories are
 * written (and run), the host is asked whether they would take over what is
 * not ours: the error names the config key and the owner.
 */
async function preflight(c: HostContext): Promise<void> {
  const model = c.parsed.model;
  const roots = runtimeRoots(model);
  const out = await c.session.must(
    "preflight",
    preflightScript({
      user: model.runtime.user,
      group: model.runtime.group,
      dirs: roots.map((r) => r.path),
      privilegedGroups: Object.keys(PRIVILEGED_GROUPS),
    }),
  );
  const problems = parsePreflight(out).map((p) => {
    switch (p.kind) {
      case "foreign":
        return `${roots.find((r) => r.path === p.dir)?.key ?? p.dir}: ${p.dir} exists on ${c.label} and belongs to ${p.owner} (uid ${p.uid}), not to the runtime user ${model.runtime.user}: refusing to take it over (choose a directory of its own, or remove or hand over that one first)`;
      case "symlink":
        return `${roots.find((r) => r.path === p.dir)?.key ?? p.dir}: ${p.dir} on ${c.label} is a symbolic link: refusing to follow it (a runtime directory must be a directory of its own)`;
      case "privileged-uid":
        return `quantlab:runtime.user: ${p.user} exists on ${c.label} with uid 0: refusing to run services as root`;
      case "privileged-group":
        return `quantlab:runtime.user: ${p.user} exists on ${c.label} and is in the privileged group ${p.group}: refusing to run services with its rights (choose an account of its own)`;
    }
  });
  if (problems.length)
    throw new Error(
      `the host ${c.label} is not ready for this stack (nothing was changed):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
}

/**
 * Runs a write (or removal) of the file. A unit file's asks for the run's shared daemon-reload without waiting for
 * it: written and verified, it is done, and its env file need not wait for PID 1; its service's gate does
 * (provider/service.ts).
 */
async function onHost(c: HostContext, p: HostFileInputs, run: () => Promise<unknown>): Promise<void> {
  await (p.onChange === "daemon-reload" ? c.writeUnit(run) : run());
}

export const fileKind: Kind<HostFileInputs> = {
  name: "file",
  label: (p) => `HostFile ${p.path}`,

  async apply(c, p) {
    const text = content(c, p);
    const hash = crypto.createHash("sha256").update(text).digest("hex");
    if (hash !== p.sha256)
      throw new Error(
        `HostFile ${p.path}: the provider's plan has other content than the program's (sha-256 ${hash.slice(0, 12)} vs ${p.sha256.slice(0, 12)}): run \`npm run build\``,
      );
    const kind = c.plan.files.find((f) => f.path === p.path)?.kind;
    if (kind === "sysusers" || kind === "tmpfiles") await preflight(c);
    hostRun().wroteFile(p.path);
    await onHost(c, p, () => c.session.must(`HostFile ${p.path}`, writeFileScript(alone(p), hash), { stdin: text }));
    return p;
  },

  async observe(c, p) {
    const state = parseFileState(
      await observed(c, `HostFile ${p.path}`, `file:${p.path}`, () => ({ script: statFileScript(p.path, runtimeUser(c)) })),
    );
    hostRun().sawFile(p.path, state?.sha256 ?? "absent");
    if (!state) return undefined;
    const seen = { ...p, sha256: state.sha256, mode: state.mode, owner: state.owner, group: state.group };
    return { inputs: seen, outputs: seen };
  },

  async remove(c, p) {
    await onHost(c, p, () => c.session.must(`HostFile ${p.path}`, deleteFileScript(p.path, alone(p).onChange, runtimeUser(c))));
    if (p.onChange === "daemon-reload") await c.loaded();
  },
};

export const file = providerOf(fileKind);
