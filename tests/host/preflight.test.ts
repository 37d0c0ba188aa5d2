/**
 * The preflight (host/preflight.ts): whole text, the parser, and the script
 * under a real bash against scratch directories, with `id` stubbed to play
 * the runtime account.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePreflight, preflightScript, type PreflightArgs } from "../../host/preflight";
import { runOnHost, scratchDir, stub } from "../fixtures/hostShell";

describe("script text", () => {
  it("root only looks: each runtime directory's own entry (lstat), the account's uid and groups", () => {
    expect(
      preflightScript({ user: "qlrun", group: "qlgrp", dirs: ["/srv/qlhome", "/data/ql/spool"], privilegedGroups: ["sudo", "adm"] }).text,
    ).toBe(String.raw`set -u
want=$(id -u 'qlrun' 2>/dev/null || echo none)
if [ -L '/srv/qlhome' ]; then echo "symlink "'/srv/qlhome'; elif [ -e '/srv/qlhome' ]; then uid=$(stat -c %u -- '/srv/qlhome'); [ "$uid" = "$want" ] || echo "foreign "'/srv/qlhome'" $(stat -c %U -- '/srv/qlhome') $uid"; fi
if [ -L '/data/ql/spool' ]; then echo "symlink "'/data/ql/spool'; elif [ -e '/data/ql/spool' ]; then uid=$(stat -c %u -- '/data/ql/spool'); [ "$uid" = "$want" ] || echo "foreign "'/data/ql/spool'" $(stat -c %U -- '/data/ql/spool') $uid"; fi
if [ "$want" != none ]; then
  [ "$want" != 0 ] || echo "privileged-uid "'qlrun'
  for g in $(id -Gn 'qlrun'); do for p in 'sudo' 'adm'; do [ "$g" != "$p" ] || echo "privileged-group "'qlrun'" $g"; done; done
fi`);
  });

  it("no privileged groups: no group loop", () => {
    expect(preflightScript({ user: "qlrun", group: "qlgrp", dirs: [], privilegedGroups: [] }).text).toBe(
      'set -u\nwant=$(id -u \'qlrun\' 2>/dev/null || echo none)\nif [ "$want" != none ]; then\n  [ "$want" != 0 ] || echo "privileged-uid "\'qlrun\'\nfi',
    );
  });

  it("refuses names and paths it cannot quote safely", () => {
    expect(() => preflightScript({ user: "ql run", group: "qlgrp", dirs: [], privilegedGroups: [] })).toThrow(
      'host script: invalid user or group name "ql run"',
    );
    expect(() => preflightScript({ user: "qlrun", group: "qlgrp", dirs: ["srv/x"], privilegedGroups: [] })).toThrow(
      'host script: invalid path "srv/x"',
    );
    expect(() => preflightScript({ user: "qlrun", group: "qlgrp", dirs: [], privilegedGroups: ["wheel;id"] })).toThrow(
      'host script: invalid user or group name "wheel;id"',
    );
  });

  it("parses each kind of problem, and refuses a line it does not know", () => {
    expect(
      parsePreflight("foreign /srv/qlhome alice 1001\nsymlink /data/ql/spool\nprivileged-uid qlrun\nprivileged-group qlrun sudo\n"),
    ).toEqual([
      { kind: "foreign", dir: "/srv/qlhome", owner: "alice", uid: "1001" },
      { kind: "symlink", dir: "/data/ql/spool" },
      { kind: "privileged-uid", user: "qlrun" },
      { kind: "privileged-group", user: "qlrun", group: "sudo" },
    ]);
    expect(parsePreflight("")).toEqual([]);
    expect(() => parsePreflight("stat: cannot stat\n")).toThrow('unexpected preflight line "stat: cannot stat"');
  });
});

describe("under a real shell", () => {
  const scratch = scratchDir("preflight");
  afterAll(scratch.cleanup);
  const home = path.join(scratch.dir, "home");
  const spool = path.join(scratch.dir, "spool");
  const absent = path.join(scratch.dir, "absent");
  fs.mkdirSync(home);
  fs.mkdirSync(path.join(scratch.dir, "elsewhere"));
  fs.symlinkSync(path.join(scratch.dir, "elsewhere"), spool);
  const args: PreflightArgs = { user: "qlrun", group: "qlgrp", dirs: [home, spool, absent], privilegedGroups: ["sudo", "docker"] };

  let n = 0;
  /** `id -u qlrun` answers `uid` (or fails: no such user), `id -Gn qlrun` answers `groups`. */
  const withAccount = (uid: string | undefined, groups: string) => {
    const bin = path.join(scratch.dir, `bin-${n++}`);
    stub(
      bin,
      "id",
      `case "$1" in -u) ${uid === undefined ? `echo "id: '$2': no such user" >&2; exit 1` : `echo ${uid}`} ;; -Gn) echo "${groups}" ;; esac`,
    );
    return parsePreflight(runOnHost(preflightScript(args), { bin }).stdout);
  };

  it("an account of its own: a directory someone else owns and a symlink are named, an absent one is fine", () => {
    expect(withAccount("1234", "qlgrp")).toEqual([
      { kind: "foreign", dir: home, owner: "root", uid: "0" },
      { kind: "symlink", dir: spool },
    ]);
  });

  it("an account with root's uid, or in a privileged group, is named", () => {
    expect(withAccount("0", "qlgrp docker sudo")).toEqual([
      { kind: "symlink", dir: spool },
      { kind: "privileged-uid", user: "qlrun" },
      { kind: "privileged-group", user: "qlrun", group: "docker" },
      { kind: "privileged-group", user: "qlrun", group: "sudo" },
    ]);
  });

  it("no account yet: every existing directory belongs to someone else", () => {
    expect(withAccount(undefined, "")).toEqual([
      { kind: "foreign", dir: home, owner: "root", uid: "0" },
      { kind: "symlink", dir: spool },
    ]);
  });
});
