/**
 * A git checkout in the backend root (host/checkout.ts): whole text, the
 * report and ref parsers, and the scripts run by a real bash and git as the
 * runtime user (runuser stubbed) against a scratch repository: a branch
 * tracking origin, a tag and a commit detached, local edits discarded,
 * untracked files kept, the state read back, the removal.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkoutCommitScript,
  checkoutScript,
  checkoutStateScript,
  lsRemoteScript,
  parseCheckoutState,
  removeCheckoutScript,
  resolveRef,
  type CheckoutTarget,
} from "../../host/checkout";
import { runOnHost, runuserStub, scratchDir, stubLog } from "../fixtures/hostShell";

const target: CheckoutTarget = {
  root: "/srv/b",
  user: "qlrun",
  remote: "/srv/q.git",
  ref: "main",
  paths: [".", "core", "services/strategyd"],
};
const REPORT = String.raw`echo "commit $(git rev-parse HEAD)"
if [ -z "$(git status --porcelain --untracked-files=no)" ]; then echo "clean yes"; else echo "clean no"; fi
printf 'tree %s %s\n' '.' "$(git rev-parse --verify --quiet 'HEAD:' || echo absent)"
printf 'tree %s %s\n' 'core' "$(git rev-parse --verify --quiet 'HEAD:core' || echo absent)"
printf 'tree %s %s\n' 'services/strategyd' "$(git rev-parse --verify --quiet 'HEAD:services/strategyd' || echo absent)"`;

describe("script text", () => {
  it("checkout: all as the user; origin is the stack's remote; a branch checked out tracking it, anything else detached; then the report", () => {
    const s = checkoutScript(target);
    expect(s.who).toEqual({ kind: "user", user: "qlrun" });
    expect(s.text).toBe(String.raw`set -eu
[ -d '/srv/b' ] || { echo "directory '/srv/b' does not exist" >&2; exit 1; }
cd '/srv/b'
[ -d .git ] || git init --quiet .
git remote get-url origin >/dev/null 2>&1 && git remote set-url origin '/srv/q.git' || git remote add origin '/srv/q.git'
git config pull.ff only
if git fetch --quiet --no-tags origin '+refs/heads/main:refs/remotes/origin/main' 2>/dev/null; then
  git checkout --quiet --force -B 'main' 'refs/remotes/origin/main'
  git branch --quiet '--set-upstream-to=origin/main' 'main'
else
  git fetch --quiet --no-tags origin 'main'
  git checkout --quiet --force --detach FETCH_HEAD
fi
${REPORT}`);
  });

  it("a commit (already fetched) checked out detached; the state, or absent", () => {
    expect(checkoutCommitScript(target, "1".repeat(40)).text).toBe(
      `set -eu\ncd '/srv/b'\ngit checkout --quiet --force --detach '${"1".repeat(40)}'\n${REPORT}`,
    );
    expect(checkoutStateScript(target).text).toBe(
      `set -eu\ncd '/srv/b' 2>/dev/null && [ -d .git ] || { echo absent; exit 0; }\ngit rev-parse --verify --quiet HEAD >/dev/null || { echo absent; exit 0; }\n${REPORT}`,
    );
  });

  it("ls-remote and the removal (tracked files and .git only), as the user", () => {
    expect(lsRemoteScript({ ...target, remote: "git@example.com:ql/backend.git", ref: "v1.2" }).text).toBe(
      "set -eu\ncd '/srv/b' 2>/dev/null || cd /\ngit ls-remote 'git@example.com:ql/backend.git' 'v1.2' 'v1.2''^{}'",
    );
    expect(removeCheckoutScript(target).commandLine).toBe(
      String.raw`runuser -u 'qlrun' -- env -C / bash -c 'set -eu
cd '\''/srv/b'\'' 2>/dev/null && [ -d .git ] || exit 0
git ls-files -z | xargs -0 -r rm -f --
rm -rf .git'`,
    );
  });

  it("refuses a remote or ref git would read as an option or a command, paths outside the root, a bad user or commit", () => {
    expect(() => checkoutScript({ ...target, remote: "--upload-pack=touch /tmp/x" })).toThrow(
      'host script: invalid git remote "--upload-pack=touch /tmp/x"',
    );
    expect(() => checkoutScript({ ...target, remote: "ext::sh -c id" })).toThrow('host script: invalid git remote "ext::sh -c id"');
    expect(() => checkoutScript({ ...target, ref: "--force" })).toThrow('host script: invalid git ref "--force"');
    expect(() => checkoutScript({ ...target, paths: ["../etc"] })).toThrow('host script: invalid relative path "../etc"');
    expect(() => checkoutScript({ ...target, user: "root;id" })).toThrow('host script: invalid user or group name "root;id"');
    expect(() => checkoutScript({ ...target, user: "root" })).toThrow("asUser(root): a root script is written with the root template");
    expect(() => removeCheckoutScript({ root: "relative", user: "qlrun" })).toThrow('host script: invalid path "relative"');
    expect(() => checkoutCommitScript(target, "main")).toThrow('invalid commit "main"');
  });
});

describe("the report and refs", () => {
  const c1 = "1".repeat(40);
  const t1 = "a".repeat(40);
  it("parses the report, or absent; refuses a broken one", () => {
    expect(parseCheckoutState(`commit ${c1}\nclean no\ntree . ${t1}\ntree services/x absent\n`)).toEqual({
      commit: c1,
      clean: false,
      trees: { ".": t1, "services/x": "absent" },
    });
    expect(parseCheckoutState("absent\n")).toBeUndefined();
    expect(() => parseCheckoutState(`commit ${c1}\n`)).toThrow(`incomplete checkout report "commit ${c1}\\n"`);
    expect(() => parseCheckoutState(`commit ${c1}\nclean yes\nfatal: bad\n`)).toThrow('unexpected checkout report line "fatal: bad"');
  });

  it("what a ref names at the remote: branch, else peeled tag, else the exact name; a commit id names itself", () => {
    const ls = [
      `${"b".repeat(40)}\trefs/heads/v1`,
      `${"c".repeat(40)}\trefs/tags/v1`,
      `${"d".repeat(40)}\trefs/tags/v1^{}`,
      `${"e".repeat(40)}\trefs/tags/v2`,
      `${"f".repeat(40)}\tHEAD`,
    ].join("\n");
    expect(resolveRef("v1", ls)).toBe("b".repeat(40));
    expect(resolveRef("v1", ls.split("\n").slice(1).join("\n"))).toBe("d".repeat(40));
    expect(resolveRef("v2", ls)).toBe("e".repeat(40));
    expect(resolveRef("HEAD", ls)).toBe("f".repeat(40));
    expect(resolveRef("nope", ls)).toBeUndefined();
    expect(resolveRef(c1, "")).toBe(c1);
  });
});

describe("under a real shell and git, as the runtime user", () => {
  const scratch = scratchDir("checkout");
  afterAll(scratch.cleanup);
  const bin = path.join(scratch.dir, "bin");
  runuserStub(bin);
  // This machine's git config stays out of it.
  const env = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync(
      "git",
      ["-c", "user.name=Fixture", "-c", "user.email=fixture@example.test", "-c", "init.defaultBranch=trunk", ...args],
      { cwd, encoding: "utf8", env: { ...process.env, ...env } },
    );
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const write = (dir: string, rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };

  // The remote: main with two commits, an annotated tag v1 on the first, a branch release.
  const work = path.join(scratch.dir, "work");
  const remote = path.join(scratch.dir, "remote.git");
  fs.mkdirSync(work);
  git(work, "init", "--quiet");
  write(work, "core/index.js", "v1\n");
  write(work, "README", "r\n");
  git(work, "add", ".");
  git(work, "commit", "--quiet", "-m", "one");
  const first = git(work, "rev-parse", "HEAD");
  git(work, "tag", "-a", "v1", "-m", "v1");
  write(work, "core/index.js", "v2\n");
  write(work, "services/strategyd/app.js", "s\n");
  git(work, "add", ".");
  git(work, "commit", "--quiet", "-m", "two");
  const second = git(work, "rev-parse", "HEAD");
  git(work, "branch", "-M", "main");
  git(work, "branch", "release", first);
  git(scratch.dir, "clone", "--quiet", "--bare", work, remote);

  const t = (root: string, ref: string): CheckoutTarget => ({
    root,
    user: "qlrun",
    remote,
    ref,
    paths: [".", "core", "services/strategyd"],
  });
  const run = (script: Parameters<typeof runOnHost>[0]) => runOnHost(script, { bin, env });
  const report = (root: string, commit: string) => ({
    commit,
    clean: true,
    trees: {
      ".": git(work, "rev-parse", `${commit}:`),
      core: git(work, "rev-parse", `${commit}:core`),
      "services/strategyd": commit === second ? git(work, "rev-parse", `${commit}:services/strategyd`) : "absent",
    },
  });
  let n = 0;
  const backend = () => {
    const dir = path.join(scratch.dir, `backend-${n++}`);
    fs.mkdirSync(dir);
    return dir;
  };

  it("a branch: checked out as itself, tracking origin; untracked files stay; the report names commit and trees", () => {
    const dir = backend();
    write(dir, "core/.env", "K=v\n");
    const r = run(checkoutScript(t(dir, "main")));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(parseCheckoutState(r.stdout)).toEqual(report(dir, second));
    expect(git(dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(git(dir, "rev-parse", "--abbrev-ref", "main@{upstream}")).toBe("origin/main");
    expect(fs.readFileSync(path.join(dir, "core", ".env"), "utf8")).toBe("K=v\n");
    expect(
      stubLog(bin, "runuser")
        .split("\n")
        .filter(Boolean)
        .every((u) => u === "qlrun"),
    ).toBe(true);
  });

  it("a tag and a commit id: detached at what they name", () => {
    const tagged = backend();
    expect(parseCheckoutState(run(checkoutScript(t(tagged, "v1"))).stdout)).toEqual(report(tagged, first));
    expect(git(tagged, "rev-parse", "--abbrev-ref", "HEAD")).toBe("HEAD");
    const byId = backend();
    expect(parseCheckoutState(run(checkoutScript(t(byId, first))).stdout)).toEqual(report(byId, first));
  });

  it("moving to another ref discards local edits to tracked files (forced) and keeps untracked ones", () => {
    const dir = backend();
    expect(run(checkoutScript(t(dir, "main"))).status).toBe(0);
    write(dir, "core/index.js", "edited on the host\n");
    write(dir, "core/data.csv", "1,2\n");
    expect(parseCheckoutState(run(checkoutStateScript(t(dir, "main"))).stdout)).toMatchObject({ commit: second, clean: false });
    expect(parseCheckoutState(run(checkoutScript(t(dir, "release"))).stdout)).toEqual(report(dir, first));
    expect([
      fs.readFileSync(path.join(dir, "core", "index.js"), "utf8"),
      fs.readFileSync(path.join(dir, "core", "data.csv"), "utf8"),
    ]).toEqual(["v1\n", "1,2\n"]);
    expect(git(dir, "rev-parse", "--abbrev-ref", "release@{upstream}")).toBe("origin/release");
  });

  it("a rollback to a fetched commit, the state read back, ls-remote resolved, the removal", () => {
    const dir = backend();
    expect(run(checkoutScript(t(dir, "main"))).status).toBe(0);
    write(dir, "core/.env", "K=v\n");
    expect(parseCheckoutState(run(checkoutCommitScript(t(dir, "main"), first)).stdout)).toEqual(report(dir, first));
    expect(parseCheckoutState(run(checkoutStateScript(t(dir, "main"))).stdout)).toEqual(report(dir, first));
    const ls = run(lsRemoteScript(t(dir, "v1")));
    expect(resolveRef("v1", ls.stdout)).toBe(first);
    expect(resolveRef("main", run(lsRemoteScript(t(dir, "main"))).stdout)).toBe(second);
    expect(run(removeCheckoutScript(t(dir, "main"))).status).toBe(0);
    expect(fs.readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(["core", "core/.env"]);
    expect(run(checkoutStateScript(t(dir, "main"))).stdout).toBe("absent\n");
    expect(run(removeCheckoutScript(t(dir, "main"))).status).toBe(0);
  });

  it("a ref the remote does not have fails with git's message; a missing root is named", () => {
    const dir = backend();
    const r = run(checkoutScript(t(dir, "no-such-ref")));
    expect([r.status, r.stderr]).toEqual([128, "fatal: couldn't find remote ref no-such-ref\n"]);
    const gone = run(checkoutScript(t(path.join(scratch.dir, "nowhere"), "main")));
    expect([gone.status, gone.stderr]).toEqual([1, `directory '${path.join(scratch.dir, "nowhere")}' does not exist\n`]);
    expect(run(checkoutStateScript(t(path.join(scratch.dir, "nowhere"), "main"))).stdout).toBe("absent\n");
  });
});
