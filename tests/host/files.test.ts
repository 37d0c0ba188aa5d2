/**
 * One file on the host (host/files.ts): the whole text of the write, verify,
 * stat and delete scripts, and the same scripts run by a real bash, as root
 * on root's trees (scratch directories bound over /var/log and /var/lib) and
 * as the runtime user (runuser stubbed) on a scratch tree of its own: atomic
 * write with owner, mode and checksum, nothing left behind on failure, the
 * unit verify step refusing a bad unit.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import {
  deleteFileScript,
  parseFileState,
  reloadCommands,
  statFileScript,
  statRootFilesGroup,
  verifyCommands,
  writeFileScript,
  writtenByRoot,
  type FileTarget,
} from "../../host/files";
import { parseSnapshot, snapshotScript } from "../../host/snapshot";
import { runOnHost, runuserStub, scratchDir, stub, stubLog } from "../fixtures/hostShell";

const A = "a".repeat(64);
const B = "b".repeat(64);
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const target = (p: string, over: Partial<FileTarget> = {}): FileTarget => ({
  path: p,
  mode: "0640",
  owner: "qlunit",
  group: "qlops",
  onChange: "none",
  createParent: false,
  ...over,
});

describe("script text", () => {
  it("write of a unit (root's tree): staged next to the target, checksum, owner and mode, verified in root's state dir, renamed, reloaded", () => {
    const s = writeFileScript(
      target("/etc/systemd/system/quantlab-x.service", { mode: "0644", onChange: "daemon-reload", verify: "systemd-unit" }),
      A,
    );
    expect(s.who).toEqual({ kind: "root" });
    expect(s.text).toBe(String.raw`set -eu
umask 077
[ -d '/etc/systemd/system' ] || { echo "directory '/etc/systemd/system' does not exist" >&2; exit 1; }
find '/etc/systemd/system' -maxdepth 1 -name .'quantlab-x.service''.quantlab-*' -type f -mmin +1 -delete
tmp=$(mktemp '/etc/systemd/system'/.'quantlab-x.service'.quantlab-XXXXXX)
vdir=""; trap 'rm -f -- "$tmp"; [ -z "$vdir" ] || rm -rf -- "$vdir"' EXIT
cat > "$tmp"
[ "$(sha256sum < "$tmp" | cut -c1-64)" = '${A}' ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }
chown 'qlunit':'qlops' "$tmp"
chmod '0644' "$tmp"
install -d -m 0700 '/var/lib/quantlab-infra'
vdir=$(mktemp -d '/var/lib/quantlab-infra'/verify.XXXXXX)
cp -- "$tmp" "$vdir"/'quantlab-x.service'
out=$(systemd-analyze verify --man=no "$vdir"/'quantlab-x.service' 2>&1) && [ -z "$out" ] || { printf 'systemd rejects %s (the live unit and the running service are unchanged):\n%s\n' 'quantlab-x.service' "$(printf '%s' "$out" | sed "s#$vdir/##g")" >&2; exit 1; }
rm -rf -- "$vdir"
vdir=""
sync "$tmp"
mv -f -- "$tmp" '/etc/systemd/system/quantlab-x.service'
trap - EXIT
systemctl daemon-reload`);
  });

  it("write with parent creation and a tmpfiles reload", () => {
    expect(
      writeFileScript(
        target("/etc/tmpfiles.d/quantlab.conf", { mode: "0644", owner: "root", group: "root", onChange: "tmpfiles", createParent: true }),
        B,
      ).text,
    ).toBe(String.raw`set -eu
umask 077
[ -d '/etc/tmpfiles.d' ] || install -d -m 0755 -o root -g root '/etc/tmpfiles.d'
find '/etc/tmpfiles.d' -maxdepth 1 -name .'quantlab.conf''.quantlab-*' -type f -mmin +1 -delete
tmp=$(mktemp '/etc/tmpfiles.d'/.'quantlab.conf'.quantlab-XXXXXX)
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
[ "$(sha256sum < "$tmp" | cut -c1-64)" = '${B}' ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }
chown 'root':'root' "$tmp"
chmod '0644' "$tmp"
sync "$tmp"
mv -f -- "$tmp" '/etc/tmpfiles.d/quantlab.conf'
trap - EXIT
systemd-tmpfiles --create '/etc/tmpfiles.d/quantlab.conf'`);
  });

  it("write in the runtime user's tree: the whole script runs as that user, who owns the file (group and mode set, no chown)", () => {
    const s = writeFileScript(target("/srv/qlhome/backend/core/.env", { owner: "qlrun", group: "qlgrp" }), B);
    expect(s.who).toEqual({ kind: "user", user: "qlrun" });
    expect(s.text).toBe(String.raw`set -eu
umask 077
[ -d '/srv/qlhome/backend/core' ] || { echo "directory '/srv/qlhome/backend/core' does not exist" >&2; exit 1; }
find '/srv/qlhome/backend/core' -maxdepth 1 -name .'.env''.quantlab-*' -type f -mmin +1 -delete
tmp=$(mktemp '/srv/qlhome/backend/core'/.'.env'.quantlab-XXXXXX)
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
[ "$(sha256sum < "$tmp" | cut -c1-64)" = '${B}' ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }
chgrp 'qlgrp' "$tmp"
chmod '0640' "$tmp"
sync "$tmp"
mv -f -- "$tmp" '/srv/qlhome/backend/core/.env'
trap - EXIT`);
    expect(
      s.commandLine.startsWith(`runuser -u 'qlrun' -- env -C / bash -c 'set -eu\numask 077\n[ -d '\\''/srv/qlhome/backend/core'\\'' ]`),
    ).toBe(true);
  });

  it("stat: as root in root's trees, as the reader elsewhere; a symlink counts as absent", () => {
    expect(statFileScript("/etc/quantlab/a.env", "qlrun").commandLine).toBe(
      String.raw`bash -c 'if [ -f '\''/etc/quantlab/a.env'\'' ] && [ ! -L '\''/etc/quantlab/a.env'\'' ]; then h=$(sha256sum < '\''/etc/quantlab/a.env'\''); printf '\''%s %s\n'\'' "$(stat -c '\''%a %U %G'\'' '\''/etc/quantlab/a.env'\'')" "${"${"}h%% *}"; else echo absent; fi'`,
    );
    expect(statFileScript("/srv/q/core/.env", "qlrun").commandLine).toBe(
      String.raw`runuser -u 'qlrun' -- env -C / bash -c 'if [ -f '\''/srv/q/core/.env'\'' ] && [ ! -L '\''/srv/q/core/.env'\'' ]; then h=$(sha256sum < '\''/srv/q/core/.env'\''); printf '\''%s %s\n'\'' "$(stat -c '\''%a %U %G'\'' '\''/srv/q/core/.env'\'')" "${"${"}h%% *}"; else echo absent; fi'`,
    );
  });

  it("delete: root's file with its reload, the runtime user's file by that user", () => {
    expect(deleteFileScript("/etc/systemd/system/quantlab-x.service", "daemon-reload", "qlrun").text).toBe(
      "set -eu\nrm -f -- '/etc/systemd/system/quantlab-x.service'\nsystemctl daemon-reload",
    );
    expect(deleteFileScript("/etc/tmpfiles.d/quantlab.conf", "tmpfiles", "qlrun").text).toBe(
      "set -eu\nrm -f -- '/etc/tmpfiles.d/quantlab.conf'",
    );
    expect(deleteFileScript("/etc/quantlab/aws-plugins/quantlab_s3_endpoint.py", "python-module", "qlrun").text).toBe(
      "set -eu\nrm -f -- '/etc/quantlab/aws-plugins/quantlab_s3_endpoint.py'\nrm -f -- '/etc/quantlab/aws-plugins/__pycache__'/'quantlab_s3_endpoint'.*.pyc; rmdir -- '/etc/quantlab/aws-plugins/__pycache__' '/etc/quantlab/aws-plugins' 2>/dev/null || :",
    );
    expect(deleteFileScript("/srv/q/core/.env", "none", "qlrun").commandLine).toBe(
      String.raw`runuser -u 'qlrun' -- env -C / bash -c 'rm -f -- '\''/srv/q/core/.env'\'''`,
    );
  });

  it("reload actions: sysusers and tmpfiles apply the file on write and nothing on delete; a unit reloads on both", () => {
    const texts = (action: Parameters<typeof reloadCommands>[0], event: "write" | "delete") =>
      reloadCommands(action, "/etc/x.d/q.conf", event).map((s) => s.text);
    expect([
      texts("none", "write"),
      texts("daemon-reload", "write"),
      texts("daemon-reload", "delete"),
      texts("sysusers", "write"),
      texts("sysusers", "delete"),
      texts("tmpfiles", "write"),
      texts("tmpfiles", "delete"),
    ]).toEqual([
      [],
      ["systemctl daemon-reload"],
      ["systemctl daemon-reload"],
      ["systemd-sysusers '/etc/x.d/q.conf'"],
      [],
      ["systemd-tmpfiles --create '/etc/x.d/q.conf'"],
      [],
    ]);
    expect(verifyCommands("none", "/etc/systemd/system/quantlab-x.service")).toEqual([]);
  });

  it("who writes: root in root's trees, the runtime user anywhere else", () => {
    expect([
      writtenByRoot("/etc/quantlab/a.env"),
      writtenByRoot("/var/log/quantlab-ml.log"),
      writtenByRoot("/srv/qlhome/backend/core/.env"),
      writtenByRoot("/etcx/a"),
    ]).toEqual([true, true, false, false]);
  });

  it("refuses what it cannot do safely, naming it", () => {
    expect(() => writeFileScript(target("/etc/quantlab/x.env", { verify: "systemd-unit" }), A)).toThrow(
      'host script: invalid unit name "x.env"',
    );
    expect(() => writeFileScript(target("/etc/a b"), A)).toThrow('host script: invalid path "/etc/a b"');
    expect(() => writeFileScript(target("/etc/x", { mode: "777" }), A)).toThrow('host script: invalid mode "777"');
    expect(() => writeFileScript(target("/etc/x", { owner: "root;id" }), A)).toThrow('host script: invalid user or group name "root;id"');
    expect(() => writeFileScript(target("/etc/x", { group: "Ops" }), A)).toThrow('host script: invalid user or group name "Ops"');
    expect(() => writeFileScript(target("/etc/x"), "zz")).toThrow('host script: invalid sha256 "zz"');
    for (const over of [{ createParent: true }, { verify: "systemd-unit" as const }, { onChange: "daemon-reload" as const }]) {
      expect(() => writeFileScript(target("/srv/q/core/a.service", { owner: "qlrun", ...over }), A)).toThrow(
        new TypeError("/srv/q/core/a.service: a file in the runtime user's tree has no parent creation, verification or reload"),
      );
    }
  });

  it("parses the stat answer", () => {
    expect(parseFileState(`640 qlunit qlops ${A}\n`)).toEqual({ mode: "0640", owner: "qlunit", group: "qlops", sha256: A });
    expect(parseFileState(`4755 root root ${B}`)).toEqual({ mode: "4755", owner: "root", group: "root", sha256: B });
    expect(parseFileState("absent\n")).toBeUndefined();
    expect(() => parseFileState("stat: cannot stat '/etc/x': Permission denied\n")).toThrow(
      `unexpected stat output "stat: cannot stat '/etc/x': Permission denied"`,
    );
  });
});

describe("under a real shell", () => {
  // Root's trees: /var/log (the files) and /var/lib (root's state dir, for the verify step) are scratch directories here.
  const varLog = scratchDir("files-log");
  const varLib = scratchDir("files-lib");
  // The runtime user's tree: anywhere outside root's trees.
  const tree = scratchDir("files-tree");
  afterAll(() => [varLog, varLib, tree].forEach((d) => d.cleanup()));
  const bin = path.join(tree.dir, "..", `${path.basename(tree.dir)}-bin`);
  runuserStub(bin);
  stub(bin, "systemctl", 'echo "$*" >> "$LOG"');
  stub(bin, "systemd-tmpfiles", 'echo "$*" >> "$LOG"');
  afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));
  afterAll(() => fs.rmSync(`${bin}-log`, { recursive: true, force: true }));

  const mounts = { "/var/log": varLog.dir, "/var/lib": varLib.dir };
  const run = (script: Parameters<typeof runOnHost>[0], input = "") => runOnHost(script, { input, bin, mounts });
  /** A fresh directory under the scratch /var/log: its path on the "host" and here. */
  const rootDir = (name: string) => {
    fs.mkdirSync(path.join(varLog.dir, name));
    return { host: `/var/log/${name}`, here: path.join(varLog.dir, name) };
  };
  const me = { owner: "root", group: "root" };
  const modeOf = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8).padStart(4, "0");

  it("root's files stat'ed as one group of a refresh: each answer as the file's own stat gives it", () => {
    const d = rootDir("group");
    fs.writeFileSync(path.join(d.here, "a.env"), "A=1\n", { mode: 0o640 });
    fs.writeFileSync(path.join(d.here, "b.conf"), "b\n", { mode: 0o600 });
    fs.symlinkSync("a.env", path.join(d.here, "link.env"));
    fs.mkdirSync(path.join(d.here, "dir.env"));
    const paths = ["a.env", "none.env", "link.env", "dir.env", "b.conf"].map((n) => `${d.host}/${n}`);
    const group = statRootFilesGroup(paths);
    expect(group.keys).toEqual(paths.map((p) => `file:${p}`));
    const r = run(snapshotScript([group]));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    const answers = parseSnapshot(r.stdout);
    expect([...answers.keys()]).toEqual(group.keys);
    for (const p of paths) expect(answers.get(`file:${p}`)).toEqual({ code: 0, output: run(statFileScript(p, "qlrun")).stdout });
    expect(answers.get(`file:${d.host}/a.env`)!.output).toBe(`640 root root ${sha("A=1\n")}\n`);
    expect([`${d.host}/none.env`, `${d.host}/link.env`, `${d.host}/dir.env`].map((p) => answers.get(`file:${p}`)!.output)).toEqual([
      "absent\n",
      "absent\n",
      "absent\n",
    ]);
    expect(() => statRootFilesGroup(["/srv/q/core/.env"])).toThrow(
      "statRootFilesGroup: /srv/q/core/.env is outside root's trees: its reader stats it (statFileScript)",
    );
  });

  it("write: stdin becomes the file with its mode and owner; stat reads it back; no temp file remains", () => {
    const d = rootDir("write");
    const r = run(writeFileScript(target(`${d.host}/app.env`, { mode: "0600", ...me }), sha("A='1'\n")), "A='1'\n");
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(path.join(d.here, "app.env"), "utf8")).toBe("A='1'\n");
    expect(modeOf(path.join(d.here, "app.env"))).toBe("0600");
    expect(fs.readdirSync(d.here)).toEqual(["app.env"]);
    expect(parseFileState(run(statFileScript(`${d.host}/app.env`, "qlrun")).stdout)).toEqual({
      mode: "0600",
      ...me,
      sha256: sha("A='1'\n"),
    });
    expect(parseFileState(run(statFileScript(`${d.host}/none`, "qlrun")).stdout)).toBeUndefined();
  });

  it("write: content cut short (checksum mismatch) leaves the old file and no temp file", () => {
    const d = rootDir("cut");
    fs.writeFileSync(path.join(d.here, "x.env"), "old\n");
    const r = run(writeFileScript(target(`${d.host}/x.env`, me), sha("complete content\n")), "complete con");
    expect([r.status, r.stderr]).toEqual([1, "content arrived incomplete (checksum mismatch)\n"]);
    expect(fs.readFileSync(path.join(d.here, "x.env"), "utf8")).toBe("old\n");
    expect(fs.readdirSync(d.here)).toEqual(["x.env"]);
  });

  it("write: a failure once the temp file exists (an unknown owner) leaves the old file and no temp file", () => {
    const d = rootDir("owner");
    fs.writeFileSync(path.join(d.here, "u.conf"), "old\n");
    const r = run(writeFileScript(target(`${d.host}/u.conf`, { owner: "quantlab-no-such-user", group: "root" }), sha("new\n")), "new\n");
    expect([r.status, r.stderr]).toEqual([1, "chown: invalid user: 'quantlab-no-such-user:root'\n"]);
    expect(fs.readFileSync(path.join(d.here, "u.conf"), "utf8")).toBe("old\n");
    expect(fs.readdirSync(d.here)).toEqual(["u.conf"]);
  });

  it("write: a missing directory is an error naming it, unless createParent (root:root 0755)", () => {
    const d = rootDir("parent");
    const refused = run(writeFileScript(target(`${d.host}/drop-in.d/q.conf`, me), sha("x\n")), "x\n");
    expect([refused.status, refused.stderr]).toEqual([1, `directory '${d.host}/drop-in.d' does not exist\n`]);
    const created = run(
      writeFileScript(target(`${d.host}/drop-in.d/q.conf`, { ...me, createParent: true, onChange: "tmpfiles" }), sha("x\n")),
      "x\n",
    );
    expect([created.status, created.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(path.join(d.here, "drop-in.d", "q.conf"), "utf8")).toBe("x\n");
    expect(modeOf(path.join(d.here, "drop-in.d"))).toBe("0755");
    expect(stubLog(bin, "systemd-tmpfiles")).toBe(`--create ${d.host}/drop-in.d/q.conf\n`);
  });

  it("write over a symlink replaces the link, never writes through it", () => {
    const d = rootDir("link");
    fs.writeFileSync(path.join(d.here, "elsewhere"), "not ours\n");
    fs.symlinkSync("elsewhere", path.join(d.here, "x.env"));
    expect(run(writeFileScript(target(`${d.host}/x.env`, me), sha("ours\n")), "ours\n").status).toBe(0);
    expect(fs.lstatSync(path.join(d.here, "x.env")).isSymbolicLink()).toBe(false);
    expect([fs.readFileSync(path.join(d.here, "x.env"), "utf8"), fs.readFileSync(path.join(d.here, "elsewhere"), "utf8")]).toEqual([
      "ours\n",
      "not ours\n",
    ]);
  });

  it("stat of a symlink is absent (it follows no link)", () => {
    const d = rootDir("statlink");
    fs.writeFileSync(path.join(d.here, "real"), "x\n");
    fs.symlinkSync("real", path.join(d.here, "x.env"));
    expect(run(statFileScript(`${d.host}/x.env`, "qlrun")).stdout).toBe("absent\n");
  });

  it("delete: removes the file and runs its reload; succeeds when it is gone already", () => {
    const d = rootDir("delete");
    fs.writeFileSync(path.join(d.here, "quantlab-x.service"), "x\n");
    const before = stubLog(bin, "systemctl");
    expect(run(deleteFileScript(`${d.host}/quantlab-x.service`, "daemon-reload", "qlrun")).status).toBe(0);
    expect(fs.existsSync(path.join(d.here, "quantlab-x.service"))).toBe(false);
    expect(run(deleteFileScript(`${d.host}/quantlab-x.service`, "none", "qlrun")).status).toBe(0);
    expect(stubLog(bin, "systemctl").slice(before.length)).toBe("daemon-reload\n");
  });

  it("delete of a Python module: its cached bytecode and the directory go too, unless something else is in it", () => {
    const d = rootDir("pyplugin");
    const mod = path.join(d.here, "plugins");
    fs.mkdirSync(path.join(mod, "__pycache__"), { recursive: true });
    fs.writeFileSync(path.join(mod, "qmod.py"), "x = 1\n");
    fs.writeFileSync(path.join(mod, "__pycache__", "qmod.cpython-311.pyc"), "bytecode");
    expect(run(deleteFileScript(`${d.host}/plugins/qmod.py`, "python-module", "qlrun")).status).toBe(0);
    expect(fs.existsSync(mod)).toBe(false);
    // Someone else's file keeps the directory (and theirs).
    fs.mkdirSync(mod);
    fs.writeFileSync(path.join(mod, "qmod.py"), "x = 1\n");
    fs.writeFileSync(path.join(mod, "theirs.py"), "y = 2\n");
    expect(run(deleteFileScript(`${d.host}/plugins/qmod.py`, "python-module", "qlrun")).status).toBe(0);
    expect(fs.readdirSync(mod)).toEqual(["theirs.py"]);
  });

  describe("write of a unit, verified by this machine's systemd-analyze", () => {
    const verifyDirs = () =>
      fs.existsSync(path.join(varLib.dir, "quantlab-infra"))
        ? fs.readdirSync(path.join(varLib.dir, "quantlab-infra")).filter((n) => n.startsWith("verify."))
        : [];
    const write = (host: string, text: string) =>
      run(writeFileScript(target(`${host}/quantlab-t.service`, { mode: "0644", ...me, verify: "systemd-unit" }), sha(text)), text);

    it("a unit whose executable is missing is refused with systemd's message; the live unit stays; no temp file or verify dir remains", () => {
      const d = rootDir("unit-bad");
      fs.writeFileSync(path.join(d.here, "quantlab-t.service"), "[Service]\nExecStart=/bin/true\n");
      const r = write(d.host, "[Unit]\nDescription=t\n[Service]\nExecStart=/usr/bin/no-such-binary\n");
      expect([r.status, r.stderr]).toEqual([
        1,
        "systemd rejects quantlab-t.service (the live unit and the running service are unchanged):\nquantlab-t.service: Command /usr/bin/no-such-binary is not executable: No such file or directory\n",
      ]);
      expect(fs.readFileSync(path.join(d.here, "quantlab-t.service"), "utf8")).toBe("[Service]\nExecStart=/bin/true\n");
      expect(fs.readdirSync(d.here)).toEqual(["quantlab-t.service"]);
      expect(verifyDirs()).toEqual([]);
    });

    it("a warning alone (systemd exits 0 on an unknown key) is a refusal too", () => {
      const d = rootDir("unit-warn");
      const r = write(d.host, "[Unit]\nDescription=t\n[Service]\nExecStrat=/bin/true\nExecStart=/bin/true\n");
      expect([r.status, r.stderr]).toEqual([
        1,
        "systemd rejects quantlab-t.service (the live unit and the running service are unchanged):\nquantlab-t.service:4: Unknown key 'ExecStrat' in section [Service], ignoring.\n",
      ]);
      expect(fs.readdirSync(d.here)).toEqual([]);
      expect(verifyDirs()).toEqual([]);
    });

    it("a unit systemd accepts goes live; root's verify dir is 0700", () => {
      const d = rootDir("unit-ok");
      const text = "[Unit]\nDescription=t\n[Service]\nExecStart=/bin/true\n";
      const r = write(d.host, text);
      expect([r.status, r.stderr]).toEqual([0, ""]);
      expect(fs.readFileSync(path.join(d.here, "quantlab-t.service"), "utf8")).toBe(text);
      expect(fs.readdirSync(d.here)).toEqual(["quantlab-t.service"]);
      expect(modeOf(path.join(varLib.dir, "quantlab-infra"))).toBe("0700");
      expect(verifyDirs()).toEqual([]);
    });
  });

  describe("in the runtime user's tree, as that user", () => {
    const userDir = (name: string) => {
      const dir = path.join(tree.dir, name);
      fs.mkdirSync(dir);
      return dir;
    };
    const dotenv = (dir: string, over: Partial<FileTarget> = {}) =>
      target(path.join(dir, ".env"), { owner: "qlrun", group: "root", mode: "0640", ...over });

    it("write, stat and delete all run through runuser as the owner", () => {
      const dir = userDir("dotenv");
      const before = stubLog(bin, "runuser");
      const w = run(writeFileScript(dotenv(dir), sha("K='v'\n")), "K='v'\n");
      expect([w.status, w.stderr]).toEqual([0, ""]);
      expect(fs.readFileSync(path.join(dir, ".env"), "utf8")).toBe("K='v'\n");
      expect(modeOf(path.join(dir, ".env"))).toBe("0640");
      expect(fs.readdirSync(dir)).toEqual([".env"]);
      expect(parseFileState(run(statFileScript(path.join(dir, ".env"), "qlrun")).stdout)).toEqual({
        mode: "0640",
        owner: "root",
        group: "root",
        sha256: sha("K='v'\n"),
      });
      expect(run(deleteFileScript(path.join(dir, ".env"), "none", "qlrun")).status).toBe(0);
      expect(fs.readdirSync(dir)).toEqual([]);
      expect(stubLog(bin, "runuser").slice(before.length)).toBe("qlrun\nqlrun\nqlrun\n");
    });

    it("content cut short leaves the old file and no temp file; a missing directory is named", () => {
      const dir = userDir("cut");
      fs.writeFileSync(path.join(dir, ".env"), "old\n");
      const r = run(writeFileScript(dotenv(dir), sha("K='complete'\n")), "K='comp");
      expect([r.status, r.stderr]).toEqual([1, "content arrived incomplete (checksum mismatch)\n"]);
      expect(fs.readFileSync(path.join(dir, ".env"), "utf8")).toBe("old\n");
      expect(fs.readdirSync(dir)).toEqual([".env"]);
      const gone = run(writeFileScript(dotenv(path.join(dir, "no-such")), sha("x\n")), "x\n");
      expect([gone.status, gone.stderr]).toEqual([1, `directory '${path.join(dir, "no-such")}' does not exist\n`]);
    });

    it("a temp file (.<name>.quantlab-*) a cut run left behind goes once it is a minute old; a fresh one (another run's) stays", () => {
      const dir = userDir("stale");
      fs.writeFileSync(path.join(dir, "..env.quantlab-OLD123"), "stale\n");
      fs.utimesSync(path.join(dir, "..env.quantlab-OLD123"), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
      fs.writeFileSync(path.join(dir, "..env.quantlab-NEW456"), "in flight\n");
      expect(run(writeFileScript(dotenv(dir), sha("x\n")), "x\n").status).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(["..env.quantlab-NEW456", ".env"]);
    });
  });
});
