/**
 * The host provider's scripts: their whole text, and the write/delete/stat
 * scripts run by a real bash against a scratch directory (atomic write with
 * owner and mode, content checked against its sha-256, nothing left behind
 * on failure).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsRoot } from "../fixtures/asRoot";
import {
  deactivateScript,
  deleteFileScript,
  installToolsScript,
  parseFileState,
  parseToolsState,
  toolsStateScript,
  parseUnitState,
  statFileScript,
  unitStateScript,
  writeFileScript,
  type FileTarget,
} from "../../provider/scripts";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-scripts-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const bash = (script: string, input = "") => spawnAsRoot("bash", ["-c", script], { input, encoding: "utf8" });
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const target = (p: string, over: Partial<FileTarget> = {}): FileTarget => ({ path: p, mode: "0640", owner: "root", group: "root", onChange: "none", createParent: false, ...over });

describe("script text", () => {
  it("write: atomic, checksum-verified, owner and mode, then the reload action", () => {
    expect(writeFileScript(target("/etc/systemd/system/quantlab-x.service", { mode: "0644", owner: "deploy", group: "ops", onChange: "daemon-reload" }), "a".repeat(64))).toBe(
      [
        "set -eu",
        "umask 077",
        `[ -d /etc/systemd/system ] || { echo "directory /etc/systemd/system does not exist" >&2; exit 1; }`,
        "find /etc/systemd/system -maxdepth 1 -name '.quantlab-x.service.quantlab-*' -type f -mmin +1 -delete",
        "tmp=$(mktemp /etc/systemd/system/.quantlab-x.service.quantlab-XXXXXX)",
        `trap 'rm -f -- "$tmp"' EXIT`,
        `cat > "$tmp"`,
        `[ "$(sha256sum < "$tmp" | cut -c1-64)" = ${"a".repeat(64)} ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }`,
        `chown deploy:ops "$tmp"`,
        `chmod 0644 "$tmp"`,
        `sync "$tmp"`,
        "mv -f -- \"$tmp\" /etc/systemd/system/quantlab-x.service",
        "trap - EXIT",
        "systemctl daemon-reload",
      ].join("\n"),
    );
  });

  it("write of a unit: the staged file is verified under its own name in a private temp dir before the rename", () => {
    expect(writeFileScript(target("/etc/systemd/system/quantlab-x.service", { mode: "0644", onChange: "daemon-reload", verify: "systemd-unit" }), "a".repeat(64))).toBe(
      [
        "set -eu",
        "umask 077",
        `[ -d /etc/systemd/system ] || { echo "directory /etc/systemd/system does not exist" >&2; exit 1; }`,
        "find /etc/systemd/system -maxdepth 1 -name '.quantlab-x.service.quantlab-*' -type f -mmin +1 -delete",
        "tmp=$(mktemp /etc/systemd/system/.quantlab-x.service.quantlab-XXXXXX)",
        `vdir=""`,
        `trap 'rm -f -- "$tmp"; [ -z "$vdir" ] || rm -rf -- "$vdir"' EXIT`,
        `cat > "$tmp"`,
        `[ "$(sha256sum < "$tmp" | cut -c1-64)" = ${"a".repeat(64)} ] || { echo "content arrived incomplete (checksum mismatch)" >&2; exit 1; }`,
        `chown root:root "$tmp"`,
        `chmod 0644 "$tmp"`,
        "vdir=$(mktemp -d /tmp/.quantlab-verify-XXXXXX)",
        `cp -- "$tmp" "$vdir"/quantlab-x.service`,
        `out=$(systemd-analyze verify --man=no "$vdir"/quantlab-x.service 2>&1) && [ -z "$out" ] || { printf 'systemd rejects quantlab-x.service (the live unit and the running service are unchanged):\\n%s\\n' "$(printf '%s' "$out" | sed "s#$vdir/##g")" >&2; exit 1; }`,
        `rm -rf -- "$vdir"`,
        `vdir=""`,
        `sync "$tmp"`,
        `mv -f -- "$tmp" /etc/systemd/system/quantlab-x.service`,
        "trap - EXIT",
        "systemctl daemon-reload",
      ].join("\n"),
    );
    expect(() => writeFileScript(target("/etc/quantlab/x.env", { verify: "systemd-unit" }), "a".repeat(64))).toThrow('host provider: invalid unit name "x.env"');
  });

  it("reload actions: sysusers and tmpfiles apply the file on write, nothing on delete; units reload on both", () => {
    expect(writeFileScript(target("/etc/sysusers.d/q.conf", { onChange: "sysusers", createParent: true }), "b".repeat(64)).split("\n").slice(2, 3).concat(writeFileScript(target("/etc/sysusers.d/q.conf", { onChange: "sysusers" }), "b".repeat(64)).split("\n").slice(-1))).toEqual([
      "[ -d /etc/sysusers.d ] || install -d -m 0755 -o root -g root /etc/sysusers.d",
      "systemd-sysusers /etc/sysusers.d/q.conf",
    ]);
    expect(writeFileScript(target("/etc/tmpfiles.d/q.conf", { onChange: "tmpfiles" }), "b".repeat(64)).split("\n").pop()).toBe("systemd-tmpfiles --create /etc/tmpfiles.d/q.conf");
    expect(deleteFileScript("/etc/tmpfiles.d/q.conf", "tmpfiles")).toBe("set -eu\nrm -f -- /etc/tmpfiles.d/q.conf");
    expect(deleteFileScript("/etc/systemd/system/q.service", "daemon-reload")).toBe("set -eu\nrm -f -- /etc/systemd/system/q.service\nsystemctl daemon-reload");
  });

  it("units: state (with a token-bearing health probe) and deactivate (activation is the health gate, provider/gate.ts)", () => {
    expect(unitStateScript("quantlab-a.service", ["/etc/quantlab/a.env"], { url: "http://127.0.0.1:3051/health", withToken: true })).toBe(
      [
        "systemctl show -p LoadState,UnitFileState,ActiveState quantlab-a.service",
        `if [ -f /etc/quantlab/a.env ]; then echo "read /etc/quantlab/a.env $(sha256sum < /etc/quantlab/a.env | cut -c1-64)"; else echo "read /etc/quantlab/a.env absent"; fi`,
        `echo "health $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- http://127.0.0.1:3051/health)"`,
      ].join("\n"),
    );
    expect(deactivateScript("quantlab-a.service")).toBe(
      "set -eu\nif systemctl cat quantlab-a.service >/dev/null 2>&1; then systemctl disable --now --quiet quantlab-a.service; fi",
    );
  });

  it("parses unit state", () => {
    expect(parseUnitState(`LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nread /etc/quantlab/a.env ${"c".repeat(64)}\nread /x absent\nhealth 401\n`)).toEqual({
      loaded: true,
      enabled: true,
      active: true,
      reads: { "/etc/quantlab/a.env": "c".repeat(64), "/x": "absent" },
      health: "401",
    });
    expect(parseUnitState("LoadState=not-found\nUnitFileState=\nActiveState=inactive\n")).toEqual({ loaded: false, enabled: false, active: false, reads: {} });
  });

  it("refuses anything that is not a plain path, name, mode or unit (nothing from config reaches a shell unchecked)", () => {
    expect(() => writeFileScript(target("/etc/a b"), "a".repeat(64))).toThrow('host provider: invalid path "/etc/a b"');
    expect(() => writeFileScript(target("/etc/../x"), "a".repeat(64))).toThrow('host provider: invalid path "/etc/../x"');
    expect(() => writeFileScript(target("/etc/x", { mode: "777" }), "a".repeat(64))).toThrow('host provider: invalid mode "777"');
    expect(() => writeFileScript(target("/etc/x", { owner: "root;id" }), "a".repeat(64))).toThrow('host provider: invalid owner "root;id"');
    expect(() => deactivateScript("x; reboot")).toThrow('host provider: invalid unit name "x; reboot"');
    expect(() => unitStateScript("a.service", [], { url: "http://10.0.0.1/x", withToken: false })).toThrow('host provider: invalid health URL "http://10.0.0.1/x"');
  });
});

describe("host tools", () => {
  const tools = [{ package: "nodejs", command: "node" }, { package: "quantlab-no-such-package", command: "quantlab-no-such-command" }];

  it("state: which commands are on the PATH, by package", () => {
    expect(toolsStateScript(tools)).toBe(
      [
        "for spec in nodejs:node quantlab-no-such-package:quantlab-no-such-command; do",
        '  if command -v "${spec#*:}" >/dev/null 2>&1; then echo "${spec%%:*} present"; else echo "${spec%%:*} absent"; fi',
        "done",
      ].join("\n"),
    );
    expect(parseToolsState(bash(toolsStateScript(tools)).stdout)).toEqual({ nodejs: true, "quantlab-no-such-package": false });
  });

  it("install: nothing to do when all are there; without apt-get, the exact command to run", () => {
    expect(bash(installToolsScript([{ package: "nodejs", command: "node" }]))).toMatchObject({ status: 0, stdout: "", stderr: "" });
    // A PATH holding only what the script itself needs: no apt-get.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-bin-"));
    for (const t of ["mktemp", "tail", "rm"]) fs.symlinkSync(spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, t));
    const r = spawnSync("/bin/bash", ["--norc", "--noprofile", "-c", installToolsScript(tools)], { encoding: "utf8", env: { PATH: bin } });
    fs.rmSync(bin, { recursive: true, force: true });
    expect([r.status, r.stderr]).toEqual([
      1,
      "cannot install the host tools: nodejs quantlab-no-such-package (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y nodejs quantlab-no-such-package\n",
    ]);
  });

  it("refuses package and command names that are not plain words", () => {
    expect(() => toolsStateScript([{ package: "jq;reboot", command: "jq" }])).toThrow('host provider: invalid package "jq;reboot"');
    expect(() => installToolsScript([{ package: "jq", command: "$(id)" }])).toThrow('host provider: invalid command "$(id)"');
  });
});

describe("scripts under a real shell", () => {
  // The identity the scripts run as (root, or root of a user namespace: fixtures/asRoot.ts).
  const me = "root";
  const group = "root";

  it("write: stdin becomes the file with its mode; stat reads it back; no temp file remains", () => {
    const file = path.join(scratch, "app.env");
    const r = bash(writeFileScript(target(file, { mode: "0600", owner: me, group }), sha("A='1'\n")), "A='1'\n");
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(file, "utf8")).toBe("A='1'\n");
    expect(fs.readdirSync(scratch)).toEqual(["app.env"]);
    expect(parseFileState(bash(statFileScript(file)).stdout)).toEqual({ mode: "0600", owner: me, group, sha256: sha("A='1'\n") });
    expect(parseFileState(bash(statFileScript(path.join(scratch, "none"))).stdout)).toBeUndefined();
  });

  it("write: content that arrives cut short (checksum mismatch) leaves the old file and no temp file", () => {
    const dir = fs.mkdtempSync(path.join(scratch, "cut-"));
    const file = path.join(dir, "x.env");
    fs.writeFileSync(file, "old\n");
    const r = bash(writeFileScript(target(file, { owner: me, group }), sha("complete content\n")), "complete con");
    expect([r.status, r.stderr]).toEqual([1, "content arrived incomplete (checksum mismatch)\n"]);
    expect(fs.readFileSync(file, "utf8")).toBe("old\n");
    expect(fs.readdirSync(dir)).toEqual(["x.env"]);
  });

  it("write: a missing directory is an error naming it, unless createParent", () => {
    const file = path.join(scratch, "drop-in.d", "q.conf");
    const refused = bash(writeFileScript(target(file, { owner: me, group }), sha("x\n")), "x\n");
    expect([refused.status, refused.stderr]).toEqual([1, `directory ${path.dirname(file)} does not exist\n`]);
    const created = bash(writeFileScript(target(file, { owner: me, group, createParent: true }), sha("x\n")), "x\n");
    expect([created.status, created.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(file, "utf8")).toBe("x\n");
  });

  it("write: a failure after the temp file exists (unknown owner) leaves the old file and no temp file", () => {
    const dir = fs.mkdtempSync(path.join(scratch, "fail-"));
    const file = path.join(dir, "unit.service");
    fs.writeFileSync(file, "old\n");
    const r = bash(writeFileScript(target(file, { owner: "quantlab-no-such-user" }), sha("new\n")), "new\n");
    expect(r.status).not.toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe("old\n");
    expect(fs.readdirSync(dir)).toEqual(["unit.service"]);
  });

  describe("write of a unit, verified by this machine's systemd-analyze", () => {
    const verifyDirs = () => fs.readdirSync("/tmp").filter((n) => n.startsWith(".quantlab-verify-"));
    const unitIn = (dir: string) => path.join(dir, "quantlab-t.service");
    const write = (file: string, text: string) => bash(writeFileScript(target(file, { mode: "0644", verify: "systemd-unit" }), sha(text)), text);

    it("a unit whose executable is missing is refused with systemd's message; the live unit stays, no temp file or dir remains", () => {
      const dir = fs.mkdtempSync(path.join(scratch, "unit-"));
      fs.writeFileSync(unitIn(dir), "[Service]\nExecStart=/bin/true\n");
      const before = verifyDirs();
      const r = write(unitIn(dir), "[Unit]\nDescription=t\n[Service]\nExecStart=/usr/bin/no-such-binary\n");
      expect([r.status, r.stderr]).toEqual([
        1,
        "systemd rejects quantlab-t.service (the live unit and the running service are unchanged):\nquantlab-t.service: Command /usr/bin/no-such-binary is not executable: No such file or directory\n",
      ]);
      expect(fs.readFileSync(unitIn(dir), "utf8")).toBe("[Service]\nExecStart=/bin/true\n");
      expect(fs.readdirSync(dir)).toEqual(["quantlab-t.service"]);
      expect(verifyDirs()).toEqual(before);
    });

    it("a warning alone (systemd exits 0 on an unknown key) is a refusal too", () => {
      const dir = fs.mkdtempSync(path.join(scratch, "unit-"));
      const r = write(unitIn(dir), "[Unit]\nDescription=t\n[Service]\nExecStrat=/bin/true\nExecStart=/bin/true\n");
      expect([r.status, r.stderr]).toEqual([
        1,
        "systemd rejects quantlab-t.service (the live unit and the running service are unchanged):\nquantlab-t.service:4: Unknown key 'ExecStrat' in section [Service], ignoring.\n",
      ]);
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it("a unit systemd accepts goes live", () => {
      const dir = fs.mkdtempSync(path.join(scratch, "unit-"));
      const text = "[Unit]\nDescription=t\n[Service]\nExecStart=/bin/true\n";
      const r = write(unitIn(dir), text);
      expect([r.status, r.stderr]).toEqual([0, ""]);
      expect(fs.readFileSync(unitIn(dir), "utf8")).toBe(text);
      expect(fs.readdirSync(dir)).toEqual(["quantlab-t.service"]);
    });
  });

  it("delete: removes the file and succeeds when it is already gone", () => {
    const file = path.join(scratch, "gone.conf");
    fs.writeFileSync(file, "x\n");
    expect(bash(deleteFileScript(file, "none")).status).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    expect(bash(deleteFileScript(file, "none")).status).toBe(0);
  });
});
