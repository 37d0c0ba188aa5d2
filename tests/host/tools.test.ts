/**
 * The host tools (host/tools.ts): whole text, the parser, and both scripts
 * under a real bash with stub commands (and a stub apt-get: nothing is
 * installed on this machine).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { installToolsScript, parseToolsState, toolsStateScript } from "../../host/tools";
import { runOnHost, scratchDir, stub, stubLog } from "../fixtures/hostShell";

const scratch = scratchDir("tools");
afterAll(scratch.cleanup);
const tools = [
  { package: "quantlab-present-pkg", command: "quantlab-present-cmd" },
  { package: "quantlab-absent-pkg", command: "quantlab-absent-cmd" },
  { package: "quantlab-other-pkg", command: "quantlab-other-cmd" },
];

describe("script text", () => {
  it("state: each package present or absent by whether its command is on the PATH", () => {
    expect(toolsStateScript(tools.slice(0, 2)).text).toBe(
      [
        `if command -v 'quantlab-present-cmd' >/dev/null 2>&1; then echo 'quantlab-present-pkg'" present"; else echo 'quantlab-present-pkg'" absent"; fi`,
        `if command -v 'quantlab-absent-cmd' >/dev/null 2>&1; then echo 'quantlab-absent-pkg'" present"; else echo 'quantlab-absent-pkg'" absent"; fi`,
      ].join("\n"),
    );
  });

  it("install: the missing packages with apt-get, refreshing the lists once; else the exact command to run", () => {
    expect(installToolsScript(tools.slice(0, 2)).text).toBe(String.raw`set -u
missing=''
command -v 'quantlab-present-cmd' >/dev/null 2>&1 || missing="$missing "'quantlab-present-pkg'
command -v 'quantlab-absent-cmd' >/dev/null 2>&1 || missing="$missing "'quantlab-absent-pkg'
[ -n "$missing" ] || exit 0
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if command -v apt-get >/dev/null 2>&1 && { apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1 || { apt-get update -q >>"$log" 2>&1 && apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; }; }; then exit 0; fi
tail -n 5 "$log" >&2
echo "cannot install the host tools:$missing (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y$missing" >&2
exit 1`);
  });

  it("refuses package and command names that are not plain words", () => {
    expect(() => toolsStateScript([{ package: "jq;reboot", command: "jq" }])).toThrow(
      'host script: invalid package or command name "jq;reboot"',
    );
    expect(() => installToolsScript([{ package: "jq", command: "$(id)" }])).toThrow('host script: invalid package or command name "$(id)"');
  });

  it("parses the state", () => {
    expect(parseToolsState("git present\nnodejs absent\nnoise\n")).toEqual({ git: true, nodejs: false });
  });
});

describe("under a real shell", () => {
  let n = 0;
  /** A bin directory with the present command, and apt-get playing `aptBody`. */
  const host = (aptBody?: string) => {
    const bin = path.join(scratch.dir, `bin-${n++}`);
    stub(bin, "quantlab-present-cmd", "exit 0");
    if (aptBody) stub(bin, "apt-get", `echo "$*" >> "$LOG"\n${aptBody}`);
    return bin;
  };

  it("state: present and absent, read from this PATH", () => {
    const bin = host();
    expect(parseToolsState(runOnHost(toolsStateScript(tools.slice(0, 2)), { bin }).stdout)).toEqual({
      "quantlab-present-pkg": true,
      "quantlab-absent-pkg": false,
    });
  });

  it("install: nothing to do (and no apt-get) when every command is there", () => {
    const bin = host("exit 0");
    expect(runOnHost(installToolsScript(tools.slice(0, 1)), { bin })).toMatchObject({ status: 0, stdout: "", stderr: "" });
    expect(stubLog(bin, "apt-get")).toBe("");
  });

  it("install: only the missing packages; the package lists refreshed once when the first try fails", () => {
    const bin = host(
      '[ "$1" = update ] && touch "$LOG.updated"; [ "$1" = install ] && [ ! -f "$LOG.updated" ] && { echo "E: Unable to locate package"; exit 100; }; exit 0',
    );
    expect(runOnHost(installToolsScript(tools), { bin })).toMatchObject({ status: 0, stderr: "" });
    expect(stubLog(bin, "apt-get")).toBe(
      "install -y -q --no-install-recommends quantlab-absent-pkg quantlab-other-pkg\nupdate -q\ninstall -y -q --no-install-recommends quantlab-absent-pkg quantlab-other-pkg\n",
    );
  });

  it("install: when apt-get cannot, its last lines and the exact command to run", () => {
    const bin = host(
      '[ "$1" = update ] && exit 0; printf "Reading package lists...\\nE: Unable to locate package %s\\n" "${@: -1}"; exit 100',
    );
    const r = runOnHost(installToolsScript(tools), { bin });
    expect([r.status, r.stderr]).toEqual([
      1,
      [
        "Reading package lists...",
        "E: Unable to locate package quantlab-other-pkg",
        "Reading package lists...",
        "E: Unable to locate package quantlab-other-pkg",
        "cannot install the host tools: quantlab-absent-pkg quantlab-other-pkg (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y quantlab-absent-pkg quantlab-other-pkg",
        "",
      ].join("\n"),
    ]);
  });

  it("install: without apt-get at all, the exact command to run", () => {
    // A PATH holding only what the script itself needs.
    const bin = host();
    for (const t of ["mktemp", "tail", "rm"])
      fs.symlinkSync(spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, t));
    const r = spawnSync("/bin/bash", ["--norc", "--noprofile", "-c", installToolsScript(tools.slice(0, 2)).text], {
      encoding: "utf8",
      env: { PATH: bin },
    });
    expect([r.status, r.stderr]).toEqual([
      1,
      "cannot install the host tools: quantlab-absent-pkg (no package source reachable from the host?); install them on the host with: apt-get update && apt-get install -y quantlab-absent-pkg\n",
    ]);
  });
});
