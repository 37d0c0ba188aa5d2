/**
 * A code tree shipped as a tarball (host/bundle.ts): whole text, and the
 * scripts run by a real bash as the runtime user (runuser stubbed) on a
 * scratch tree: the archive from host/tar.ts extracted by GNU tar into a
 * staging directory and renamed into place, the stat and delete lists on
 * stdin, a single file put back, nothing left behind by a cut or stopped
 * run.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { deleteBundleScript, statBundleFilesScript, statBundleScript, writeBundleScript, writeCodeFileScript } from "../../host/bundle";
import { commandLine } from "../../host/session";
import { tarball, type TarFile } from "../../host/tar";
import { runOnHost, runuserStub, scratchDir, stubLog } from "../fixtures/hostShell";

const A = "a".repeat(64);
const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");

describe("script text", () => {
  it("write: as the owner, into a staging directory, checked, extracted without owners, each file renamed into place", () => {
    const s = writeBundleScript("/srv/ql/backend", "qlrun", A);
    expect(s.who).toEqual({ kind: "user", user: "qlrun" });
    expect(s.text).toBe(String.raw`set -eu
[ -d '/srv/ql/backend' ] || { echo "directory '/srv/ql/backend' does not exist" >&2; exit 1; }
cd '/srv/ql/backend'
find . -maxdepth 1 -name '.quantlab-stage.*' -mmin +1 -exec rm -rf -- {} +
stage=$(mktemp -d .quantlab-stage.XXXXXX)
trap 'rm -rf -- "$stage" "$stage.tar"' EXIT
cat > "$stage.tar"
[ "$(sha256sum < "$stage.tar" | cut -c1-64)" = '${A}' ] || { echo "code arrived incomplete (checksum mismatch)" >&2; exit 1; }
tar -x --no-same-owner -f "$stage.tar" -C "$stage"
(cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' f; do mkdir -p -- "$(dirname -- "$f")"; mv -f -- "$stage/$f" "$f"; done`);
  });

  it("stat and delete: the paths on stdin, as the owner; nothing when the root is missing", () => {
    expect(statBundleScript("/srv/ql/backend", "qlrun").text)
      .toBe(String.raw`cd '/srv/ql/backend' 2>/dev/null || { cat >/dev/null; exit 0; }
while IFS= read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$(sha256sum < "$f" | cut -c1-64) $f"; else echo "absent $f"; fi; done`);
    expect(deleteBundleScript("/srv/ql/backend", "qlrun").text).toBe(String.raw`set -eu
cd '/srv/ql/backend' 2>/dev/null || { cat >/dev/null; exit 0; }
while IFS= read -r f; do rm -f -- "$f"; done`);
  });

  it("one code file put back atomically, as the owner", () => {
    expect(writeCodeFileScript("/srv/ql/backend", "core/lib/x.js", "0755", "qlrun", A).text).toBe(String.raw`set -eu
cd '/srv/ql/backend'
mkdir -p -- "$(dirname -- 'core/lib/x.js')"
tmp=$(mktemp "$(dirname -- 'core/lib/x.js')/.quantlab-restore.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
[ "$(sha256sum < "$tmp" | cut -c1-64)" = '${A}' ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }
chmod '0755' "$tmp"
mv -f -- "$tmp" 'core/lib/x.js'
trap - EXIT`);
  });

  it("refuses a root, owner, hash, relative path or mode it cannot place safely", () => {
    expect(() => writeBundleScript("srv/ql", "qlrun", A)).toThrow('host script: invalid path "srv/ql"');
    expect(() => writeBundleScript("/srv/ql", "root", A)).toThrow("asUser(root): a root script is written with the root template");
    expect(() => writeBundleScript("/srv/ql", "qlrun", "x")).toThrow('host script: invalid sha256 "x"');
    expect(() => writeCodeFileScript("/srv/ql", "../etc/x", "0644", "qlrun", A)).toThrow('host script: invalid relative path "../etc/x"');
    expect(() => writeCodeFileScript("/srv/ql", "core/x", "644", "qlrun", A)).toThrow('host script: invalid mode "644"');
  });
});

describe("under a real shell, as the runtime user", () => {
  const scratch = scratchDir("bundle");
  afterAll(scratch.cleanup);
  const bin = path.join(scratch.dir, "bin");
  runuserStub(bin);
  let n = 0;
  const backend = () => {
    const dir = path.join(scratch.dir, `backend-${n++}`);
    fs.mkdirSync(dir);
    return dir;
  };
  const files: TarFile[] = [
    { path: "core/index.js", mode: "0644", content: Buffer.from("module.exports = 1;\n") },
    { path: "core/bin/start.sh", mode: "0755", content: Buffer.from("#!/bin/sh\nexec node .\n") },
    { path: "services/strategyd/app.js", mode: "0644", content: Buffer.from("// strategyd\n") },
  ];
  const write = (dir: string, tar: Buffer, shaOf = sha(tar)) => runOnHost(writeBundleScript(dir, "qlrun", shaOf), { bin, input: tar });
  const tree = (dir: string): string[] =>
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .map((e) => `${path.relative(dir, path.join(e.parentPath, e.name))}${e.isDirectory() ? "/" : ""}`)
      .sort();
  const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

  it("write, stat and delete round trip; untracked files (data, env) stay; every step as the owner", () => {
    const dir = backend();
    fs.mkdirSync(path.join(dir, "core"));
    fs.writeFileSync(path.join(dir, "core", ".env"), "K=v\n");
    fs.writeFileSync(path.join(dir, "core", "index.js"), "old\n");
    const before = stubLog(bin, "runuser");
    const w = write(dir, tarball(files));
    expect([w.status, w.stdout, w.stderr]).toEqual([0, "", ""]);
    expect(tree(dir)).toEqual([
      "core/",
      "core/.env",
      "core/bin/",
      "core/bin/start.sh",
      "core/index.js",
      "services/",
      "services/strategyd/",
      "services/strategyd/app.js",
    ]);
    expect(fs.readFileSync(path.join(dir, "core", "index.js"), "utf8")).toBe("module.exports = 1;\n");
    expect([modeOf(path.join(dir, "core", "bin", "start.sh")), modeOf(path.join(dir, "core", "index.js"))]).toEqual(["755", "644"]);

    const list = "core/index.js\nservices/strategyd/app.js\ncore/gone.js\n";
    const st = runOnHost(statBundleScript(dir, "qlrun"), { bin, input: list });
    expect(st.stdout).toBe(
      `${sha(files[0]!.content)} core/index.js\n${sha(files[2]!.content)} services/strategyd/app.js\nabsent core/gone.js\n`,
    );

    expect(runOnHost(deleteBundleScript(dir, "qlrun"), { bin, input: "core/index.js\nservices/strategyd/app.js\n" }).status).toBe(0);
    expect(tree(dir)).toEqual(["core/", "core/.env", "core/bin/", "core/bin/start.sh", "services/", "services/strategyd/"]);
    expect(stubLog(bin, "runuser").slice(before.length)).toBe("qlrun\nqlrun\nqlrun\n");
  });

  it("the snapshot's stat (paths in the script, one sha256sum for all) answers as the stat of a list on stdin", () => {
    const dir = backend();
    expect(write(dir, tarball(files)).status).toBe(0);
    fs.symlinkSync("index.js", path.join(dir, "core", "link.js"));
    fs.writeFileSync(path.join(dir, "core", "-dash.js"), "dash\n");
    const list = [
      "core/index.js",
      "services/strategyd/app.js",
      "core/gone.js",
      "core/link.js",
      "core",
      "core/-dash.js",
      "core/bin/start.sh",
    ];
    const before = stubLog(bin, "runuser");
    const inScript = runOnHost(statBundleFilesScript(dir, "qlrun", list), { bin });
    expect([inScript.status, inScript.stdout, inScript.stderr]).toEqual([
      0,
      [
        `${sha(files[0]!.content)} core/index.js`,
        `${sha(files[2]!.content)} services/strategyd/app.js`,
        "absent core/gone.js",
        "absent core/link.js",
        "absent core",
        `${sha("dash\n")} core/-dash.js`,
        `${sha(files[1]!.content)} core/bin/start.sh`,
        "",
      ].join("\n"),
      "",
    ]);
    expect(stubLog(bin, "runuser").slice(before.length)).toBe("qlrun\n");
    expect(runOnHost(statBundleScript(dir, "qlrun"), { bin, input: `${list.join("\n")}\n` }).stdout).toBe(inScript.stdout);
    // Nothing there at all (no file of the list): every path absent, sha256sum not run on an empty list.
    expect(runOnHost(statBundleFilesScript(dir, "qlrun", ["core/none.js"]), { bin }).stdout).toBe("absent core/none.js\n");
  });

  it("stat and delete of a root that does not exist: nothing, and no error", () => {
    const missing = path.join(scratch.dir, "no-such-backend");
    expect(runOnHost(statBundleScript(missing, "qlrun"), { bin, input: "core/index.js\n" })).toMatchObject({
      status: 0,
      stdout: "",
      stderr: "",
    });
    expect(runOnHost(deleteBundleScript(missing, "qlrun"), { bin, input: "core/index.js\n" })).toMatchObject({
      status: 0,
      stdout: "",
      stderr: "",
    });
  });

  it("a tarball cut short is refused: no file changed, no staging directory or tarball left", () => {
    const dir = backend();
    fs.mkdirSync(path.join(dir, "core"));
    fs.writeFileSync(path.join(dir, "core", "index.js"), "old\n");
    const tar = tarball(files);
    const r = write(dir, tar.subarray(0, 700), sha(tar));
    expect([r.status, r.stderr]).toEqual([1, "code arrived incomplete (checksum mismatch)\n"]);
    expect(tree(dir)).toEqual(["core/", "core/index.js"]);
    expect(fs.readFileSync(path.join(dir, "core", "index.js"), "utf8")).toBe("old\n");
  });

  it("a write missing its root names it", () => {
    const r = write(path.join(scratch.dir, "nowhere"), tarball(files));
    expect([r.status, r.stderr]).toEqual([1, `directory '${path.join(scratch.dir, "nowhere")}' does not exist\n`]);
  });

  it("a write stopped at its deadline mid-upload changes no file; what it may leave is a staging entry the next write clears", async () => {
    // timeout signals the script and then its group, so a busy host can cut the EXIT trap short: the next write's cleanup is the guarantee.
    const dir = backend();
    fs.mkdirSync(path.join(dir, "core"));
    fs.writeFileSync(path.join(dir, "core", "index.js"), "old\n");
    const p = spawn("bash", ["-c", commandLine(writeBundleScript(dir, "qlrun", A), 1)], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    p.stdin.write(tarball(files).subarray(0, 512));
    const code = await new Promise<number | null>((resolve) => p.on("close", resolve));
    p.stdin.destroy();
    expect(code).toBe(124);
    expect(tree(dir).filter((f) => !f.startsWith(".quantlab-stage."))).toEqual(["core/", "core/index.js"]);
    expect(fs.readFileSync(path.join(dir, "core", "index.js"), "utf8")).toBe("old\n");
    const old = new Date(Date.now() - 120_000);
    for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(".quantlab-stage."))) fs.utimesSync(path.join(dir, f), old, old);
    expect(write(dir, tarball(files.slice(0, 1))).status).toBe(0);
    expect(tree(dir)).toEqual(["core/", "core/index.js"]);
  });

  it("what a killed run left (a staging directory, its tarball) goes once a minute old; another run's fresh ones stay", () => {
    const dir = backend();
    const old = new Date(Date.now() - 120_000);
    fs.mkdirSync(path.join(dir, ".quantlab-stage.OLD111"));
    fs.writeFileSync(path.join(dir, ".quantlab-stage.OLD111.tar"), "partial");
    fs.writeFileSync(path.join(dir, ".quantlab-stage.OLD222.tar"), "partial");
    for (const f of [".quantlab-stage.OLD111", ".quantlab-stage.OLD111.tar", ".quantlab-stage.OLD222.tar"])
      fs.utimesSync(path.join(dir, f), old, old);
    fs.mkdirSync(path.join(dir, ".quantlab-stage.NEW333"));
    expect(write(dir, tarball(files.slice(0, 1))).status).toBe(0);
    expect(tree(dir)).toEqual([".quantlab-stage.NEW333/", "core/", "core/index.js"]);
  });

  it("one code file put back, with its mode, nothing else left; a cut one refused", () => {
    const dir = backend();
    const ok = runOnHost(writeCodeFileScript(dir, "core/lib/x.js", "0755", "qlrun", sha("x\n")), { bin, input: "x\n" });
    expect([ok.status, ok.stderr]).toEqual([0, ""]);
    expect(tree(dir)).toEqual(["core/", "core/lib/", "core/lib/x.js"]);
    expect(modeOf(path.join(dir, "core", "lib", "x.js"))).toBe("755");
    const cut = runOnHost(writeCodeFileScript(dir, "core/lib/x.js", "0644", "qlrun", sha("new\n")), { bin, input: "ne" });
    expect([cut.status, cut.stderr]).toEqual([1, "content arrived incomplete (checksum mismatch)\n"]);
    expect(tree(dir)).toEqual(["core/", "core/lib/", "core/lib/x.js"]);
    expect(fs.readFileSync(path.join(dir, "core", "lib", "x.js"), "utf8")).toBe("x\n");
  });
});
