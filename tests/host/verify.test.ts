/**
 * The shared check of staged unit files (host/verify.ts, with host/files.ts
 * stageFileScript): the whole script text, and the scripts run by a real bash
 * against this machine's own systemd-analyze, as root on root's trees
 * (scratch directories bound over /var/log and /var/lib): a batch goes live
 * only whole; a complaint is pinned on its file by checking each alone; a
 * rejected file never goes live and leaves nothing behind.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { parseStaged, stageFileScript, type FileTarget } from "../../host/files";
import { HostSession } from "../../host/session";
import type { ExecResult, SshConnection } from "../../host/ssh";
import { REJECTED, unitVerifier, verifyUnitsScript } from "../../host/verify";
import { runOnHost, scratchDir } from "../fixtures/hostShell";

const A = "a".repeat(64);
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const unitTarget = (p: string, over: Partial<FileTarget> = {}): FileTarget => ({
  path: p,
  mode: "0644",
  owner: "root",
  group: "root",
  onChange: "daemon-reload",
  createParent: false,
  verify: "systemd-unit",
  ...over,
});
const GOOD = "[Unit]\nDescription=t\n[Service]\nExecStart=/bin/true\n";
const TYPO = "[Unit]\nDescription=t\n[Service]\nExecStrat=/bin/true\nExecStart=/bin/true\n";

describe("script text", () => {
  it("stage: the write's own staging, flushed, its path printed and kept; no verify, rename or reload", () => {
    const s = stageFileScript(unitTarget("/etc/systemd/system/quantlab-x.service"), A);
    expect(s.who).toEqual({ kind: "root" });
    expect(s.text).toBe(String.raw`set -eu
umask 077
[ -d '/etc/systemd/system' ] || { echo "directory '/etc/systemd/system' does not exist" >&2; exit 1; }
find '/etc/systemd/system' -maxdepth 1 -name .'quantlab-x.service''.quantlab-*' -type f -mmin +1 -delete
tmp=$(mktemp '/etc/systemd/system'/.'quantlab-x.service'.quantlab-XXXXXX)
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
[ "$(sha256sum < "$tmp" | cut -c1-64)" = '${A}' ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }
chown 'root':'root' "$tmp"
chmod '0644' "$tmp"
sync "$tmp"
printf '%s\n' "$tmp"
trap - EXIT`);
  });

  it("stage refuses what the shared check does not cover, naming the file", () => {
    for (const over of [{ verify: "none" as const }, { onChange: "tmpfiles" as const }])
      expect(() => stageFileScript(unitTarget("/etc/systemd/system/quantlab-x.service", over), A)).toThrow(
        new TypeError("/etc/systemd/system/quantlab-x.service: only a unit file of root's trees is staged for the shared check"),
      );
    expect(() => stageFileScript(unitTarget("/srv/q/quantlab-x.service"), A)).toThrow(
      new TypeError("/srv/q/quantlab-x.service: only a unit file of root's trees is staged for the shared check"),
    );
  });

  it("the staging answer must be a temp file of the target's own, next to it", () => {
    const p = "/etc/systemd/system/quantlab-x.service";
    expect(parseStaged(p, "/etc/systemd/system/.quantlab-x.service.quantlab-Ab12Cd\n")).toBe(
      "/etc/systemd/system/.quantlab-x.service.quantlab-Ab12Cd",
    );
    for (const bad of [
      "/etc/systemd/system/.quantlab-y.service.quantlab-Ab12Cd",
      "/etc/systemd/.quantlab-x.service.quantlab-Ab12Cd",
      "/etc/systemd/system/sub/.quantlab-x.service.quantlab-Ab12Cd",
      "/etc/systemd/system/.quantlab-xXservice.quantlab-Ab12Cd",
      "/etc/systemd/system/.quantlab-x.service.quantlab-Ab12C",
      "",
    ])
      expect(() => parseStaged(p, bad)).toThrow(`${p}: unexpected staging answer ${JSON.stringify(bad)}`);
  });

  it("a batch: every staged file checked by one systemd-analyze, renamed only when it prints nothing, kept on a complaint", () => {
    const s = verifyUnitsScript(
      [
        { staged: "/etc/systemd/system/.a.service.quantlab-AAAAAA", target: "/etc/systemd/system/a.service" },
        { staged: "/etc/systemd/system/.b.service.quantlab-BBBBBB", target: "/etc/systemd/system/b.service" },
      ],
      false,
    );
    expect(s.who).toEqual({ kind: "root" });
    expect(s.text).toBe(String.raw`set -eu
umask 077
keep=""; vdir=""
trap '[ -z "$vdir" ] || rm -rf -- "$vdir"; [ -n "$keep" ] || rm -f -- '/etc/systemd/system/.a.service.quantlab-AAAAAA' '/etc/systemd/system/.b.service.quantlab-BBBBBB'' EXIT
install -d -m 0700 '/var/lib/quantlab-infra'
vdir=$(mktemp -d '/var/lib/quantlab-infra'/verify.XXXXXX)
[ -f '/etc/systemd/system/.a.service.quantlab-AAAAAA' ] && [ ! -L '/etc/systemd/system/.a.service.quantlab-AAAAAA' ] || { echo "the staged file '/etc/systemd/system/.a.service.quantlab-AAAAAA' is gone" >&2; exit 1; }
[ -f '/etc/systemd/system/.b.service.quantlab-BBBBBB' ] && [ ! -L '/etc/systemd/system/.b.service.quantlab-BBBBBB' ] || { echo "the staged file '/etc/systemd/system/.b.service.quantlab-BBBBBB' is gone" >&2; exit 1; }
cp -- '/etc/systemd/system/.a.service.quantlab-AAAAAA' "$vdir"/'a.service'
cp -- '/etc/systemd/system/.b.service.quantlab-BBBBBB' "$vdir"/'b.service'
if ! out=$(systemd-analyze verify --man=no "$vdir"/'a.service' "$vdir"/'b.service' 2>&1) || [ -n "$out" ]; then
  printf 'systemd rejects these units together:\n%s\n' "$(printf '%s' "$out" | sed "s#$vdir/##g")" >&2
  keep=1; exit 3
fi
mv -f -- '/etc/systemd/system/.a.service.quantlab-AAAAAA' '/etc/systemd/system/a.service'
mv -f -- '/etc/systemd/system/.b.service.quantlab-BBBBBB' '/etc/systemd/system/b.service'`);
  });

  it("a final check of one unit: systemd's complaint under its name, the staged file removed", () => {
    const s = verifyUnitsScript(
      [{ staged: "/etc/systemd/system/.a.service.quantlab-AAAAAA", target: "/etc/systemd/system/a.service" }],
      true,
    );
    expect(s.text.split("\n").slice(8, 12)).toEqual([
      String.raw`if ! out=$(systemd-analyze verify --man=no "$vdir"/'a.service' 2>&1) || [ -n "$out" ]; then`,
      String.raw`  printf 'systemd rejects %s (the live unit and the running service are unchanged):\n%s\n' 'a.service' "$(printf '%s' "$out" | sed "s#$vdir/##g")" >&2`,
      "  exit 3",
      "fi",
    ]);
  });

  it("refuses a batch it cannot check as one", () => {
    expect(() => verifyUnitsScript([], true)).toThrow(new RangeError("verifyUnitsScript: no units"));
    expect(() =>
      verifyUnitsScript(
        [
          { staged: "/etc/systemd/system/.a.service.quantlab-AAAAAA", target: "/etc/systemd/system/a.service" },
          { staged: "/etc/systemd/user/.a.service.quantlab-BBBBBB", target: "/etc/systemd/user/a.service" },
        ],
        false,
      ),
    ).toThrow(new RangeError("verifyUnitsScript: two staged files of one unit name"));
    expect(() => verifyUnitsScript([{ staged: "/srv/q/.a.service.quantlab-AAAAAA", target: "/srv/q/a.service" }], true)).toThrow(
      "root script names /srv/q/.a.service.quantlab-AAAAAA, which is outside the trees root owns",
    );
  });
});

describe("under a real shell, checked by this machine's systemd-analyze", () => {
  // Root's trees: /var/log (the units' directory here) and /var/lib (root's state dir) are scratch directories.
  const varLog = scratchDir("verify-log");
  const varLib = scratchDir("verify-lib");
  afterAll(() => [varLog, varLib].forEach((d) => d.cleanup()));
  const mounts = { "/var/log": varLog.dir, "/var/lib": varLib.dir };
  const commands: string[] = [];
  const conn = {
    exec: async (command: string, stdin: string | Buffer = ""): Promise<ExecResult> => {
      commands.push(command);
      const r = runOnHost(command, { input: stdin, mounts });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  } as unknown as SshConnection;
  const session = new HostSession(async () => conn, "research-a");

  let n = 0;
  /** A fresh units directory: its path on the "host" and here. */
  const unitsDir = () => {
    const name = `units-${++n}`;
    fs.mkdirSync(path.join(varLog.dir, name));
    return { host: `/var/log/${name}`, here: path.join(varLog.dir, name) };
  };
  const stageOn = async (dir: string, name: string, text: string) => {
    const target = `${dir}/${name}`;
    const staged = parseStaged(
      target,
      await session.must(`HostFile ${target}`, stageFileScript(unitTarget(target), sha(text)), { stdin: text }),
    );
    return { staged, target };
  };
  const verifyDirs = () =>
    fs.existsSync(path.join(varLib.dir, "quantlab-infra"))
      ? fs.readdirSync(path.join(varLib.dir, "quantlab-infra")).filter((f) => f.startsWith("verify."))
      : [];
  const modeOf = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8).padStart(4, "0");

  it("stage: the staged file has the content, owner and mode, next to the target; the live unit untouched", async () => {
    const d = unitsDir();
    fs.writeFileSync(path.join(d.here, "quantlab-t.service"), "old\n");
    const s = await stageOn(d.host, "quantlab-t.service", GOOD);
    const here = path.join(d.here, path.basename(s.staged));
    expect([fs.readFileSync(here, "utf8"), modeOf(here), fs.readFileSync(path.join(d.here, "quantlab-t.service"), "utf8")]).toEqual([
      GOOD,
      "0644",
      "old\n",
    ]);
  });

  it("a batch systemd accepts goes live whole; nothing staged or in root's verify dir remains", async () => {
    const d = unitsDir();
    fs.writeFileSync(path.join(d.here, "quantlab-a.service"), "old\n");
    const batch = [await stageOn(d.host, "quantlab-a.service", GOOD), await stageOn(d.host, "quantlab-b.service", GOOD)];
    const r = await session.run(verifyUnitsScript(batch, false));
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(fs.readdirSync(d.here).sort()).toEqual(["quantlab-a.service", "quantlab-b.service"]);
    expect(fs.readFileSync(path.join(d.here, "quantlab-a.service"), "utf8")).toBe(GOOD);
    expect([verifyDirs(), modeOf(path.join(varLib.dir, "quantlab-infra"))]).toEqual([[], "0700"]);
  });

  it("one complaint leaves the whole batch staged and every live unit as it was", async () => {
    const d = unitsDir();
    fs.writeFileSync(path.join(d.here, "quantlab-a.service"), "old\n");
    const batch = [await stageOn(d.host, "quantlab-a.service", GOOD), await stageOn(d.host, "quantlab-b.service", TYPO)];
    const r = await session.run(verifyUnitsScript(batch, false));
    expect([r.code, r.stderr]).toEqual([
      REJECTED,
      "systemd rejects these units together:\nquantlab-b.service:4: Unknown key 'ExecStrat' in section [Service], ignoring.\n",
    ]);
    expect(fs.readdirSync(d.here).sort()).toEqual([...batch.map((s) => path.basename(s.staged)), "quantlab-a.service"].sort());
    expect(fs.readFileSync(path.join(d.here, "quantlab-a.service"), "utf8")).toBe("old\n");
    expect(verifyDirs()).toEqual([]);
  });

  it("the shared check: asks made together are one batch; a complaint is pinned on its file, the others go live", async () => {
    const d = unitsDir();
    fs.writeFileSync(path.join(d.here, "quantlab-b.service"), "old\n");
    const verify = unitVerifier(session);
    const staged = [
      await stageOn(d.host, "quantlab-a.service", GOOD),
      await stageOn(d.host, "quantlab-b.service", TYPO),
      await stageOn(d.host, "quantlab-c.service", GOOD),
    ];
    const before = commands.length;
    const results = await Promise.allSettled(staged.map((s) => verify(s, `HostFile ${s.target}`)));
    expect(results.map((r) => (r.status === "fulfilled" ? "live" : (r.reason as Error).message))).toEqual([
      "live",
      `HostFile ${d.host}/quantlab-b.service on research-a: systemd rejects quantlab-b.service (the live unit and the running service are unchanged):\nquantlab-b.service:4: Unknown key 'ExecStrat' in section [Service], ignoring.`,
      "live",
    ]);
    // One batch, then each alone.
    expect(commands.length - before).toBe(4);
    expect(fs.readdirSync(d.here).sort()).toEqual(["quantlab-a.service", "quantlab-b.service", "quantlab-c.service"]);
    expect(fs.readFileSync(path.join(d.here, "quantlab-b.service"), "utf8")).toBe("old\n");
    expect(fs.readFileSync(path.join(d.here, "quantlab-c.service"), "utf8")).toBe(GOOD);
    expect(verifyDirs()).toEqual([]);
  });

  it("the shared check: a batch systemd accepts costs one script; an ask during it joins the next batch", async () => {
    const d = unitsDir();
    const verify = unitVerifier(session);
    const first = [await stageOn(d.host, "quantlab-a.service", GOOD), await stageOn(d.host, "quantlab-b.service", GOOD)];
    const later = await stageOn(d.host, "quantlab-c.service", GOOD);
    const before = commands.length;
    const asks = first.map((s) => verify(s, `HostFile ${s.target}`));
    await Promise.resolve();
    await Promise.resolve();
    asks.push(verify(later, `HostFile ${later.target}`));
    await Promise.all(asks);
    expect(commands.slice(before).map((c) => (c.match(/systemd-analyze verify --man=no ([^\n]*) 2>&1/) ?? [])[1])).toEqual([
      String.raw`"$vdir"/'\''quantlab-a.service'\'' "$vdir"/'\''quantlab-b.service'\''`,
      String.raw`"$vdir"/'\''quantlab-c.service'\''`,
    ]);
    expect(fs.readdirSync(d.here).sort()).toEqual(["quantlab-a.service", "quantlab-b.service", "quantlab-c.service"]);
  });

  it("a unit rejected alone never goes live and leaves nothing behind", async () => {
    const d = unitsDir();
    const s = await stageOn(d.host, "quantlab-t.service", "[Unit]\nDescription=t\n[Service]\nExecStart=/usr/bin/no-such-binary\n");
    await expect(unitVerifier(session)(s, `HostFile ${s.target}`)).rejects.toThrow(
      `HostFile ${d.host}/quantlab-t.service on research-a: systemd rejects quantlab-t.service (the live unit and the running service are unchanged):\nquantlab-t.service: Command /usr/bin/no-such-binary is not executable: No such file or directory`,
    );
    expect([fs.readdirSync(d.here), verifyDirs()]).toEqual([[], []]);
  });
});
