/**
 * A git ref checked out into the backend root, all of it as the runtime user
 * who owns that tree (fetch, forced checkout, the report, the removal), and
 * the checkout read back: commit, clean or not, the tree of each code
 * directory. Remote and ref are checked values (model/git.ts rules).
 */
import { COMMIT } from "../model/git";
import { asUser, lines, type Script } from "./script";
import { gitRef, gitRemote, path, relPath, user, type Value } from "./values";

/** Seconds a fetch and checkout may take. */
export const CHECKOUT_DEADLINE_S = 300;

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

type U = ReturnType<typeof asUser>;

/** Prints `commit <sha>`, `clean yes|no` and `tree <path> <hash|absent>` per path. */
function report(u: U, paths: readonly string[]): Script[] {
  return [
    u`echo "commit $(git rev-parse HEAD)"`,
    u`if [ -z "$(git status --porcelain --untracked-files=no)" ]; then echo "clean yes"; else echo "clean no"; fi`,
    ...paths.map(
      (p) =>
        u`printf 'tree %s %s\n' ${p === "." ? relPath(".") : relPath(p)} "$(git rev-parse --verify --quiet ${p === "." ? relPath("HEAD:") : relPath(`HEAD:${p}`)} || echo absent)"`,
    ),
  ];
}

/**
 * Fetches `ref` from `remote` and checks it out (forced: local edits to
 * tracked files are discarded) in `root`; a branch as itself, tracking
 * origin (so the runbook's `git pull` works), a tag or commit detached.
 * Files the repository does not track are left alone. Then the report.
 */
export function checkoutScript(t: CheckoutTarget): Script {
  const u = asUser(user(t.user));
  const dir = path(t.root);
  const remote = gitRemote(t.remote);
  const ref = gitRef(t.ref);
  const heads = relPath(`+refs/heads/${t.ref}:refs/remotes/origin/${t.ref}`);
  const tracking = relPath(`refs/remotes/origin/${t.ref}`);
  const upstream = relPath(`--set-upstream-to=origin/${t.ref}`);
  return lines({ kind: "user", user: t.user }, [
    u`set -eu`,
    u`[ -d ${dir} ] || { echo "directory ${dir} does not exist" >&2; exit 1; }`,
    u`cd ${dir}`,
    u`[ -d .git ] || git init --quiet .`,
    u`git remote get-url origin >/dev/null 2>&1 && git remote set-url origin ${remote} || git remote add origin ${remote}`,
    u`git config pull.ff only`,
    u`if git fetch --quiet --no-tags origin ${heads} 2>/dev/null; then`,
    u`  git checkout --quiet --force -B ${ref} ${tracking}`,
    u`  git branch --quiet ${upstream} ${ref}`,
    u`else`,
    u`  git fetch --quiet --no-tags origin ${ref}`,
    u`  git checkout --quiet --force --detach FETCH_HEAD`,
    u`fi`,
    ...report(u, t.paths),
  ]);
}

/** Checks out `commit` (already fetched) detached and forced, then the report: how a rollback puts code back. */
export function checkoutCommitScript(t: Pick<CheckoutTarget, "root" | "user" | "paths">, commit: string): Script {
  if (!COMMIT.test(commit)) throw new Error(`invalid commit ${JSON.stringify(commit)}`);
  const u = asUser(user(t.user));
  return lines({ kind: "user", user: t.user }, [
    u`set -eu`,
    u`cd ${path(t.root)}`,
    u`git checkout --quiet --force --detach ${gitRef(commit)}`,
    ...report(u, t.paths),
  ]);
}

/** The checkout's state, or `absent` when `root` holds no repository. */
export function checkoutStateScript(t: Pick<CheckoutTarget, "root" | "user" | "paths">): Script {
  const u = asUser(user(t.user));
  return lines({ kind: "user", user: t.user }, [
    u`set -eu`,
    u`cd ${path(t.root)} 2>/dev/null && [ -d .git ] || { echo absent; exit 0; }`,
    u`git rev-parse --verify --quiet HEAD >/dev/null || { echo absent; exit 0; }`,
    ...report(u, t.paths),
  ]);
}

/**
 * Lists the remote's refs matching `ref` (`<sha>\t<name>` lines), with an
 * annotated tag's peeled line (`refs/tags/<ref>^{}`, the commit it names),
 * which a pattern of `ref` alone does not match.
 */
export function lsRemoteScript(t: Pick<CheckoutTarget, "root" | "user" | "remote" | "ref">): Script {
  const u = asUser(user(t.user));
  const ref = gitRef(t.ref);
  return lines({ kind: "user", user: t.user }, [
    u`set -eu`,
    u`cd ${path(t.root)} 2>/dev/null || cd /`,
    u`git ls-remote ${gitRemote(t.remote)} ${ref} ${ref}'^{}'`,
  ]);
}

/** Removes what the checkout put there: the tracked files and the repository; untracked files (data, env) stay. */
export function removeCheckoutScript(t: Pick<CheckoutTarget, "root" | "user">): Script {
  const u = asUser(user(t.user));
  return lines({ kind: "user", user: t.user }, [
    u`set -eu`,
    u`cd ${path(t.root)} 2>/dev/null && [ -d .git ] || exit 0`,
    u`git ls-files -z | xargs -0 -r rm -f --`,
    u`rm -rf .git`,
  ]);
}

export interface CheckoutState {
  readonly commit: string;
  readonly clean: boolean;
  /** path -> tree hash or "absent" */
  readonly trees: Readonly<Record<string, string>>;
}

/** Parses the report; undefined for `absent`. */
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
    else throw new Error(`unexpected checkout report line ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (commit === undefined || clean === undefined) throw new Error(`incomplete checkout report ${JSON.stringify(out.slice(0, 200))}`);
  return { commit, clean, trees };
}

/** The commit `ref` names in `git ls-remote` output: the branch, else the tag (peeled), else an exact ref name; a full commit id names itself. */
export function resolveRef(ref: string, lsRemote: string): string | undefined {
  if (COMMIT.test(ref)) return ref;
  const refs = new Map(
    lsRemote
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.split("\t")[1]!, l.split("\t")[0]!] as const),
  );
  return refs.get(`refs/heads/${ref}`) ?? refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`) ?? refs.get(ref);
}
