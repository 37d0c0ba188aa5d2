/**
 * HostCheckout's scripts, whole text, and the parsers of the checkout report
 * and of `git ls-remote`.
 */
import { describe, expect, it } from "vitest";
import { checkoutScript, checkoutStateScript, lsRemoteScript, parseCheckoutState, removeCheckoutScript, resolveRef } from "../../provider/gitscripts";

describe("checkout script text", () => {
  it("checkout: origin is the stack's remote; a branch checked out tracking it, anything else detached; as the user; then the report", () => {
    expect(checkoutScript({ root: "/srv/b", user: "qlrun", remote: "/srv/q.git", ref: "main", paths: [".", "core", "services/strategyd"] })).toBe(String.raw`set -eu
[ -d /srv/b ] || { echo "directory /srv/b does not exist" >&2; exit 1; }
cd /srv/b
g() { runuser -u qlrun -- git "$@"; }
[ -d .git ] || g init --quiet .
g remote get-url origin >/dev/null 2>&1 && g remote set-url origin '/srv/q.git' || g remote add origin '/srv/q.git'
g config pull.ff only
if g fetch --quiet --no-tags origin '+refs/heads/main:refs/remotes/origin/main' 2>/dev/null; then
  g checkout --quiet --force -B 'main' 'refs/remotes/origin/main'
  g branch --quiet --set-upstream-to='origin/main' 'main'
else
  g fetch --quiet --no-tags origin 'main'
  g checkout --quiet --force --detach FETCH_HEAD
fi
echo "commit $(g rev-parse HEAD)"
if [ -z "$(g status --porcelain --untracked-files=no)" ]; then echo "clean yes"; else echo "clean no"; fi
echo "tree . $(g rev-parse --verify --quiet HEAD: || echo absent)"
echo "tree core $(g rev-parse --verify --quiet HEAD:core || echo absent)"
echo "tree services/strategyd $(g rev-parse --verify --quiet HEAD:services/strategyd || echo absent)"`);
  });

  it("checkout state: the report, or absent", () => {
    expect(checkoutStateScript({ root: "/srv/b", user: "qlrun", paths: ["core"] })).toBe(String.raw`set -eu
cd /srv/b 2>/dev/null && [ -d .git ] || { echo absent; exit 0; }
g() { runuser -u qlrun -- git "$@"; }
g rev-parse --verify --quiet HEAD >/dev/null || { echo absent; exit 0; }
echo "commit $(g rev-parse HEAD)"
if [ -z "$(g status --porcelain --untracked-files=no)" ]; then echo "clean yes"; else echo "clean no"; fi
echo "tree core $(g rev-parse --verify --quiet HEAD:core || echo absent)"`);
  });

  it("ls-remote as the user", () => {
    expect(lsRemoteScript({ root: "/srv/b", user: "qlrun", remote: "git@example.com:ql/backend.git", ref: "v1.2" })).toBe(String.raw`set -eu
cd /srv/b 2>/dev/null || cd /
runuser -u qlrun -- git ls-remote 'git@example.com:ql/backend.git' 'v1.2'`);
  });

  it("remove the checkout: tracked files and .git only", () => {
    expect(removeCheckoutScript({ root: "/srv/b", user: "qlrun" })).toBe(String.raw`set -eu
cd /srv/b 2>/dev/null && [ -d .git ] || exit 0
runuser -u qlrun -- git ls-files -z | xargs -0 -r rm -f --
rm -rf .git`);
  });
});

describe("checkout report and refs", () => {
  const c1 = "1".repeat(40);
  const t1 = "a".repeat(40);
  it("parses the report, or absent", () => {
    expect(parseCheckoutState(`commit ${c1}\nclean no\ntree . ${t1}\ntree services/x absent\n`)).toEqual({ commit: c1, clean: false, trees: { ".": t1, "services/x": "absent" } });
    expect(parseCheckoutState("absent\n")).toBeUndefined();
    expect(() => parseCheckoutState(`commit ${c1}\n`)).toThrow(`host provider: incomplete checkout report "commit ${c1}\\n"`);
    expect(() => parseCheckoutState(`commit ${c1}\nclean yes\nfatal: bad\n`)).toThrow('host provider: unexpected checkout report line "fatal: bad"');
  });

  it("what a ref names at the remote: branch, else peeled tag, else the exact name; a commit id names itself", () => {
    const ls = [`${"b".repeat(40)}\trefs/heads/v1`, `${"c".repeat(40)}\trefs/tags/v1`, `${"d".repeat(40)}\trefs/tags/v1^{}`, `${"e".repeat(40)}\trefs/tags/v2`, `${"f".repeat(40)}\tHEAD`].join("\n");
    expect(resolveRef("v1", ls)).toBe("b".repeat(40));
    expect(resolveRef("v1", ls.split("\n").slice(1).join("\n"))).toBe("d".repeat(40));
    expect(resolveRef("v2", ls)).toBe("e".repeat(40));
    expect(resolveRef("HEAD", ls)).toBe("f".repeat(40));
    expect(resolveRef("nope", ls)).toBeUndefined();
    expect(resolveRef(c1, "")).toBe(c1);
  });

  it("refuses a remote or ref that git would read as an option or a command, and paths outside the root", () => {
    const t = { root: "/srv/b", user: "qlrun", remote: "/srv/q.git", ref: "main", paths: ["core"] };
    expect(() => checkoutScript({ ...t, remote: "--upload-pack=touch /tmp/x" })).toThrow('host provider: invalid git remote "--upload-pack=touch /tmp/x"');
    expect(() => checkoutScript({ ...t, remote: "ext::sh -c id" })).toThrow('host provider: invalid git remote "ext::sh -c id"');
    expect(() => checkoutScript({ ...t, remote: "/srv/q.git'; id; '" })).toThrow("host provider: invalid git remote");
    expect(() => checkoutScript({ ...t, ref: "--force" })).toThrow('host provider: invalid git ref "--force"');
    expect(() => checkoutScript({ ...t, paths: ["../etc"] })).toThrow('host provider: invalid relative path "../etc"');
    expect(() => checkoutScript({ ...t, user: "root;id" })).toThrow('host provider: invalid user "root;id"');
    expect(() => removeCheckoutScript({ root: "relative", user: "qlrun" })).toThrow('host provider: invalid path "relative"');
  });
});
