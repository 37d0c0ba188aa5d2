/**
 * The scripts of HostCheckout: a git ref checked out into the backend root as
 * the runtime user, and the checkout read back (commit, clean or not, the
 * tree of each code directory). Pure functions of checked values, like
 * provider/scripts.ts: remote and ref are re-checked here (model/git.ts) so
 * no config text reaches a shell unchecked.
 */
import { COMMIT, gitRefProblem, gitRemoteProblem } from "../model/git";
import { checkPath, checkRelative } from "./scripts";

const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export interface CheckoutTarget {
  /** Absolute: runtime.backendRoot. */
  readonly root: string;
  /** Runs git and owns the files. */
  readonly user: string;
  readonly remote: string;
  readonly ref: string;
  /** Code directories whose tree hash is reported ("." is the root). */
  readonly paths: readonly string[];
}

function checked(t: Pick<CheckoutTarget, "root" | "user"> & Partial<CheckoutTarget>): void {
  checkPath(t.root);
  if (!NAME.test(t.user)) throw new Error(`host provider: invalid user ${JSON.stringify(t.user)}`);
  const remote = t.remote !== undefined ? gitRemoteProblem(t.remote) : undefined;
  if (remote) throw new Error(`host provider: invalid git remote ${JSON.stringify(t.remote)}: ${remote}`);
  const ref = t.ref !== undefined ? gitRefProblem(t.ref) : undefined;
  if (ref) throw new Error(`host provider: invalid git ref ${JSON.stringify(t.ref)}: ${ref}`);
  (t.paths ?? []).forEach((p) => p === "." || checkRelative(p));
}

/** `HEAD:<path>` names the tree of a directory at HEAD (`HEAD:` the root's). */
const treeSpec = (path: string): string => `HEAD:${path === "." ? "" : path}`;

/** Prints `commit <sha>`, `clean yes|no` and `tree <path> <hash|absent>` per path: the checkout's state. */
function report(paths: readonly string[]): string[] {
  return [
    `echo "commit $(g rev-parse HEAD)"`,
    `if [ -z "$(g status --porcelain --untracked-files=no)" ]; then echo "clean yes"; else echo "clean no"; fi`,
    ...paths.map((p) => `echo "tree ${p} $(g rev-parse --verify --quiet ${treeSpec(p)} || echo absent)"`),
  ];
}

/**
 * Fetches `ref` from `remote` and checks it out (detached, forced: local edits
 * to tracked files are discarded) in `root`, as `user`; files the repository
 * does not track (env files, runs, data) are left alone. Then reports the state.
 */
export function checkoutScript(t: CheckoutTarget): string {
  checked(t);
  return [
    "set -eu",
    `[ -d ${t.root} ] || { echo "directory ${t.root} does not exist" >&2; exit 1; }`,
    `cd ${t.root}`,
    `g() { runuser -u ${t.user} -- git "$@"; }`,
    "[ -d .git ] || g init --quiet .",
    // `origin` is the stack's remote, so the runbook's `git pull` works for the runtime user.
    `g remote get-url origin >/dev/null 2>&1 && g remote set-url origin '${t.remote}' || g remote add origin '${t.remote}'`,
    "g config pull.ff only",
    // A branch is checked out as itself, tracking origin; a tag or commit detached.
    `if g fetch --quiet --no-tags origin '+refs/heads/${t.ref}:refs/remotes/origin/${t.ref}' 2>/dev/null; then`,
    `  g checkout --quiet --force -B '${t.ref}' 'refs/remotes/origin/${t.ref}'`,
    `  g branch --quiet --set-upstream-to='origin/${t.ref}' '${t.ref}'`,
    "else",
    `  g fetch --quiet --no-tags origin '${t.ref}'`,
    "  g checkout --quiet --force --detach FETCH_HEAD",
    "fi",
    ...report(t.paths),
  ].join("\n");
}

/** The checkout's state, or `absent` when `root` holds no repository. */
export function checkoutStateScript(t: Pick<CheckoutTarget, "root" | "user" | "paths">): string {
  checked(t);
  return [
    "set -eu",
    `cd ${t.root} 2>/dev/null && [ -d .git ] || { echo absent; exit 0; }`,
    `g() { runuser -u ${t.user} -- git "$@"; }`,
    `g rev-parse --verify --quiet HEAD >/dev/null || { echo absent; exit 0; }`,
    ...report(t.paths),
  ].join("\n");
}

/** Lists the remote's refs matching `ref` (`<sha>\t<name>` lines), as `user` from `root`. */
export function lsRemoteScript(t: Pick<CheckoutTarget, "root" | "user" | "remote" | "ref">): string {
  checked(t);
  return ["set -eu", `cd ${t.root} 2>/dev/null || cd /`, `runuser -u ${t.user} -- git ls-remote '${t.remote}' '${t.ref}'`].join("\n");
}

/** Removes what the checkout put there: the tracked files and the repository; untracked files (data, env) stay. */
export function removeCheckoutScript(t: Pick<CheckoutTarget, "root" | "user">): string {
  checked(t);
  return [
    "set -eu",
    `cd ${t.root} 2>/dev/null && [ -d .git ] || exit 0`,
    `runuser -u ${t.user} -- git ls-files -z | xargs -0 -r rm -f --`,
    "rm -rf .git",
  ].join("\n");
}

export interface CheckoutState {
  readonly commit: string;
  readonly clean: boolean;
  /** path -> tree hash or "absent" */
  readonly trees: Readonly<Record<string, string>>;
}

/** Parses checkoutScript's / checkoutStateScript's report; undefined for `absent`. */
export function parseCheckoutState(out: string): CheckoutState | undefined {
  if (out.trim() === "absent") return undefined;
  let commit: string | undefined;
  let clean: boolean | undefined;
  const trees: Record<string, string> = {};
  for (const line of out.trim().split("\n")) {
    const c = /^commit ([0-9a-f]{40})$/.exec(line);
    const k = /^clean (yes|no)$/.exec(line);
    const t = /^tree (\S+) ([0-9a-f]{40}|absent)$/.exec(line);
    if (c) commit = c[1]!;
    else if (k) clean = k[1] === "yes";
    else if (t) trees[t[1]!] = t[2]!;
    else throw new Error(`host provider: unexpected checkout report line ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (commit === undefined || clean === undefined) throw new Error(`host provider: incomplete checkout report ${JSON.stringify(out.slice(0, 200))}`);
  return { commit, clean, trees };
}

/**
 * The commit `ref` names in `git ls-remote` output: the branch, else the tag
 * (peeled), else an exact ref name; a full commit id names itself.
 */
export function resolveRef(ref: string, lsRemote: string): string | undefined {
  if (COMMIT.test(ref)) return ref;
  const refs = new Map(lsRemote.trim().split("\n").filter(Boolean).map((l) => [l.split("\t")[1]!, l.split("\t")[0]!] as const));
  return refs.get(`refs/heads/${ref}`) ?? refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`) ?? refs.get(ref);
}
