/**
 * A unit's state and removal (host/units.ts): whole text, the parser, and
 * both run by a real bash against stub systemctl, curl and runuser, with a
 * scratch directory bound over /var/log standing in for a root tree.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSnapshot, snapshotScript } from "../../host/snapshot";
import { bearer, curlStatus, deactivateScript, parseUnitState, unitStateScript, unitStatesGroup } from "../../host/units";
import { fakeUnits } from "../fixtures/fakeUnits";
import { runOnHost, scratchDir, stub, stubLog } from "../fixtures/hostShell";

const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const C = "c".repeat(64);
const scratch = scratchDir("units");
afterAll(scratch.cleanup);

describe("script text", () => {
  it("state: properties, each file it reads hashed by its reader (root's by root, the runtime user's by that user), health with the token from stdin", () => {
    expect(
      unitStateScript("quantlab-a.service", ["/etc/quantlab/a.env", "/srv/ql/core/.env"], "qlrun", {
        url: "http://127.0.0.1:3051/health",
        withToken: true,
      }).text,
    ).toBe(String.raw`systemctl show -p LoadState,UnitFileState,ActiveState,InvocationID 'quantlab-a.service'
if [ -f '/etc/quantlab/a.env' ] && [ ! -L '/etc/quantlab/a.env' ]; then h=$(sha256sum < '/etc/quantlab/a.env'); printf 'read %s %s\n' '/etc/quantlab/a.env' "${"${"}h%% *}"; else printf 'read %s absent\n' '/etc/quantlab/a.env'; fi
runuser -u 'qlrun' -- env -C / bash -c 'if [ -f '\''/srv/ql/core/.env'\'' ] && [ ! -L '\''/srv/ql/core/.env'\'' ]; then h=$(sha256sum < '\''/srv/ql/core/.env'\''); printf '\''read %s %s\n'\'' '\''/srv/ql/core/.env'\'' "${"${"}h%% *}"; else printf '\''read %s absent\n'\'' '\''/srv/ql/core/.env'\''; fi'
echo "health $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- 'http://127.0.0.1:3051/health')"`);
    expect(unitStateScript("quantlab-w.service", [], "qlrun").text).toBe(
      "systemctl show -p LoadState,UnitFileState,ActiveState,InvocationID 'quantlab-w.service'",
    );
  });

  it("curl of a health endpoint: its status only, within the time given; the token header from stdin", () => {
    expect(curlStatus({ url: "http://127.0.0.1:3051/health", withToken: false }, 7).text).toBe(
      "curl -s -o /dev/null -w '%{http_code}' --max-time 7 'http://127.0.0.1:3051/health'",
    );
    expect(curlStatus({ url: "http://127.0.0.1:3051/health", withToken: true }).text).toBe(
      "curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- 'http://127.0.0.1:3051/health'",
    );
    expect(() => curlStatus({ url: "http://127.0.0.1:3051/health", withToken: false }, 0)).toThrow("host script: invalid integer 1-600 0");
    expect([bearer("tok-units-0a1b2c3d"), bearer(undefined), bearer("")]).toEqual(["Authorization: Bearer tok-units-0a1b2c3d\n", "", ""]);
  });

  it("deactivate: stop and disable when systemd knows the unit", () => {
    expect(deactivateScript("quantlab-a.service").text).toBe(
      "set -eu\nif systemctl cat 'quantlab-a.service' >/dev/null 2>&1; then systemctl disable --now --quiet 'quantlab-a.service'; fi",
    );
  });

  it("refuses what is not a unit, a path or a loopback URL", () => {
    expect(() => deactivateScript("x; reboot")).toThrow('host script: invalid unit name "x; reboot"');
    expect(() => unitStateScript("quantlab-a.service", ["etc/x"], "qlrun")).toThrow('host script: invalid path "etc/x"');
    expect(() => unitStateScript("quantlab-a.service", [], "qlrun", { url: "http://10.0.0.1/x", withToken: false })).toThrow(
      'host script: invalid health URL "http://10.0.0.1/x"',
    );
    expect(() => unitStateScript("quantlab-a.service", ["/srv/x"], "Qlrun")).toThrow('host script: invalid user or group name "Qlrun"');
  });
});

describe("parseUnitState", () => {
  it("reads properties, file hashes and the health code", () => {
    expect(
      parseUnitState(
        `LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nInvocationID=9a8b\nread /etc/quantlab/a.env ${C}\nread /x absent\nhealth 401\n`,
      ),
    ).toEqual({
      loaded: true,
      enabled: true,
      active: true,
      invocation: "9a8b",
      reads: { "/etc/quantlab/a.env": C, "/x": "absent" },
      health: "401",
    });
    expect(parseUnitState("LoadState=not-found\nUnitFileState=\nActiveState=inactive\nInvocationID=\n")).toEqual({
      loaded: false,
      enabled: false,
      active: false,
      invocation: "",
      reads: {},
    });
    expect(parseUnitState("LoadState=loaded\nUnitFileState=disabled\nActiveState=failed\n")).toEqual({
      loaded: true,
      enabled: false,
      active: false,
      invocation: "",
      reads: {},
    });
  });
});

describe("under a real shell", () => {
  const varLog = scratchDir("units-log");
  afterAll(varLog.cleanup);
  const h = fakeUnits(path.join(scratch.dir, "host"));
  h.unit("quantlab-a.service", { LoadState: "loaded", UnitFileState: "enabled", ActiveState: "active", InvocationID: "inv-7" });
  const run = (script: Parameters<typeof runOnHost>[0], input = "") =>
    runOnHost(script, { bin: h.bin, input, mounts: { "/var/log": varLog.dir } });

  it("state: root's file hashed by root, the runtime user's by that user, a missing one absent, a symlink absent, health asked with the token", () => {
    fs.writeFileSync(path.join(varLog.dir, "a.env"), "A=1\n");
    const dotenv = path.join(scratch.dir, "dotenv");
    fs.writeFileSync(dotenv, "K=v\n");
    fs.symlinkSync(dotenv, path.join(scratch.dir, "link"));
    h.set("token-3051", "tok-units-5e6f7a8b");
    const r = run(
      unitStateScript("quantlab-a.service", ["/var/log/a.env", dotenv, "/var/log/none.env", path.join(scratch.dir, "link")], "qlrun", {
        url: "http://127.0.0.1:3051/health",
        withToken: true,
      }),
      bearer("tok-units-5e6f7a8b"),
    );
    expect(r.stderr).toBe("");
    expect(parseUnitState(r.stdout)).toEqual({
      loaded: true,
      enabled: true,
      active: true,
      invocation: "inv-7",
      reads: {
        "/var/log/a.env": sha("A=1\n"),
        [dotenv]: sha("K=v\n"),
        "/var/log/none.env": "absent",
        [path.join(scratch.dir, "link")]: "absent",
      },
      health: "200",
    });
    expect(stubLog(h.bin, "runuser")).toBe("qlrun\nqlrun\n");
    const wrong = run(
      unitStateScript("quantlab-a.service", [], "qlrun", { url: "http://127.0.0.1:3051/health", withToken: true }),
      bearer("tok-units-not-it"),
    );
    expect(parseUnitState(wrong.stdout).health).toBe("401");
  });

  it("units read as one group of a refresh: each answer as the unit's own script gives it, from one systemctl and one hash per reader", () => {
    fs.writeFileSync(path.join(varLog.dir, "g.env"), "G=1\n");
    fs.mkdirSync(path.join(varLog.dir, "gdir.env"));
    const dotenv = path.join(scratch.dir, "gdotenv");
    fs.writeFileSync(dotenv, "D=1\n");
    h.unit("quantlab-g.service", { LoadState: "loaded", UnitFileState: "enabled", ActiveState: "active", InvocationID: "inv-g" });
    h.unit("quantlab-f.service", { LoadState: "loaded", UnitFileState: "disabled", ActiveState: "failed", InvocationID: "inv-f" });
    h.unit("quantlab-nf.service", { LoadState: "not-found", UnitFileState: "", ActiveState: "inactive", InvocationID: "" });
    h.set("token-3061", "tok-group-1a2b3c4d");
    h.set("code-3062", "503");
    const probe = (port: number, withToken: boolean) => ({ url: `http://127.0.0.1:${port}/health`, withToken });
    const units = [
      { key: "unit:g", unit: "quantlab-g.service", reads: ["/var/log/g.env", dotenv], probe: probe(3061, true), header: 1 },
      {
        key: "unit:f",
        unit: "quantlab-f.service",
        reads: ["/var/log/g.env", "/var/log/none.env", "/var/log/gdir.env"],
        probe: probe(3062, false),
      },
      { key: "unit:nf", unit: "quantlab-nf.service", reads: [] },
    ];
    const headers = `other\n${bearer("tok-group-1a2b3c4d")}`;
    const before = stubLog(h.bin, "systemctl").length;
    const r = run(snapshotScript([unitStatesGroup(units, "qlrun")]), headers);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(stubLog(h.bin, "systemctl").slice(before)).toBe(
      "show -p LoadState,UnitFileState,ActiveState,InvocationID quantlab-g.service quantlab-f.service quantlab-nf.service\n",
    );
    const answers = parseSnapshot(r.stdout);
    expect([...answers.keys()]).toEqual(["unit:g", "unit:f", "unit:nf"]);
    const alone = (u: (typeof units)[number]) =>
      run(unitStateScript(u.unit, u.reads, "qlrun", u.probe), u.probe?.withToken ? bearer("tok-group-1a2b3c4d") : "").stdout;
    for (const u of units) expect(answers.get(u.key)).toEqual({ code: 0, output: alone(u) });
    expect(parseUnitState(answers.get("unit:g")!.output)).toEqual({
      loaded: true,
      enabled: true,
      active: true,
      invocation: "inv-g",
      reads: { "/var/log/g.env": sha("G=1\n"), [dotenv]: sha("D=1\n") },
      health: "200",
    });
    expect(parseUnitState(answers.get("unit:f")!.output).reads).toEqual({
      "/var/log/g.env": sha("G=1\n"),
      "/var/log/none.env": "absent",
      "/var/log/gdir.env": "absent",
    });
    expect(parseUnitState(answers.get("unit:f")!.output).health).toBe("503");
    expect(parseUnitState(answers.get("unit:nf")!.output).loaded).toBe(false);
  });

  it("a group whose systemctl does not answer for every unit leaves every answer to the units' own scripts", () => {
    const mute = path.join(scratch.dir, "mute-bin");
    stub(mute, "systemctl", "exit 1");
    const units = [
      { key: "unit:a", unit: "quantlab-a.service", reads: [] },
      { key: "unit:b", unit: "quantlab-b.service", reads: [] },
    ];
    const r = runOnHost(snapshotScript([unitStatesGroup(units, "qlrun")]), { bin: mute });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(parseSnapshot(r.stdout)).toEqual(
      new Map([
        ["unit:a", { code: 1, output: "" }],
        ["unit:b", { code: 1, output: "" }],
      ]),
    );
  });

  it("deactivate: a known unit is disabled and stopped; an unknown one is left alone, and that is no error", () => {
    const before = stubLog(h.bin, "systemctl");
    expect(run(deactivateScript("quantlab-a.service")).status).toBe(0);
    expect(run(deactivateScript("quantlab-gone.service")).status).toBe(0);
    expect(stubLog(h.bin, "systemctl").slice(before.length)).toBe(
      "cat quantlab-a.service\ndisable --now --quiet quantlab-a.service\ncat quantlab-gone.service\n",
    );
  });
});
