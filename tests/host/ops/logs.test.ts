/**
 * `logs`'s script on the host (host/ops/logs.ts): whole text, and a real
 * bash run with journalctl and runuser stubbed, a scratch /var/log, and a
 * log file in the runtime user's tree.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { logsScript, type LogSource } from "../../../host/ops/logs";
import { runOnHost, runuserStub, scratchDir, stub, stubLog } from "../../fixtures/hostShell";

const observer: LogSource[] = [
  { kind: "journal", units: ["quantlab-observer.service"] },
  { kind: "file", path: "/srv/b/core/observer-api/server.log" },
];

describe("logsScript text", () => {
  it("several sources: each under a heading; a file in the runtime user's tree read by that user", () => {
    expect(logsScript(observer, { lines: 20, since: "-1h", follow: false, json: false }, "qlrun").text)
      .toBe(String.raw`echo "==> journal of "'quantlab-observer.service'" <=="
journalctl --no-pager -o short-iso -n 20 --since '-1h' -u 'quantlab-observer.service'
echo "==> "'/srv/b/core/observer-api/server.log'" <=="
runuser -u 'qlrun' -- env -C / bash -c 'if [ -f '\''/srv/b/core/observer-api/server.log'\'' ]; then tail -n 20 '\''/srv/b/core/observer-api/server.log'\''; else printf '\''(no file %s)\n'\'' '\''/srv/b/core/observer-api/server.log'\'' >&2; fi'`);
  });

  it("one source: no heading; a root file read by root", () => {
    expect(logsScript([{ kind: "file", path: "/var/log/quantlab-ml.log" }], { lines: 5, follow: false, json: false }, "qlrun").text).toBe(
      String.raw`if [ -f '/var/log/quantlab-ml.log' ]; then tail -n 5 '/var/log/quantlab-ml.log'; else printf '(no file %s)\n' '/var/log/quantlab-ml.log' >&2; fi`,
    );
  });

  it("-f: readers in the background, stopped when stdin closes", () => {
    expect(
      logsScript(
        [
          { kind: "journal", units: ["quantlab-observer.service", "quantlab-a.service"] },
          { kind: "file", path: "/var/log/quantlab-ml.log" },
        ],
        { lines: 20, follow: true, json: false },
        "qlrun",
      ).text,
    ).toBe(String.raw`pids=
journalctl --no-pager -o short-iso -n 20 -f -u 'quantlab-observer.service' -u 'quantlab-a.service' &
pids="$pids $!"
tail -n 20 -F '/var/log/quantlab-ml.log' 2>/dev/null &
pids="$pids $!"
cat >/dev/null
kill $pids 2>/dev/null
wait`);
  });

  it("--json: journal entries as JSON, each file line tagged with its path (no headings)", () => {
    expect(logsScript(observer, { lines: 5, follow: false, json: true }, "qlrun").text)
      .toBe(String.raw`journalctl --no-pager -o json -n 5 -u 'quantlab-observer.service'
runuser -u 'qlrun' -- env -C / bash -c 'if [ -f '\''/srv/b/core/observer-api/server.log'\'' ]; then tail -n 5 '\''/srv/b/core/observer-api/server.log'\'' | sed -u "s|^|"'\''/srv/b/core/observer-api/server.log'\''"\t|"; else printf '\''(no file %s)\n'\'' '\''/srv/b/core/observer-api/server.log'\'' >&2; fi'`);
  });

  it("refuses no source, a bad time, a bad line count", () => {
    expect(() => logsScript([], { lines: 5, follow: false, json: false }, "qlrun")).toThrow("no log source");
    expect(() => logsScript(observer, { lines: 5, since: "today; reboot", follow: false, json: false }, "qlrun")).toThrow(
      'host script: invalid --since time "today; reboot"',
    );
    expect(() => logsScript(observer, { lines: 0, follow: false, json: false }, "qlrun")).toThrow(
      "host script: invalid integer 1-999999 0",
    );
  });
});

describe("under a real shell", () => {
  const scratch = scratchDir("logs");
  const varLog = scratchDir("logs-varlog");
  afterAll(() => [scratch, varLog].forEach((d) => d.cleanup()));
  const bin = path.join(scratch.dir, "bin");
  runuserStub(bin);
  stub(bin, "journalctl", 'echo "$*" >> "$LOG"; echo "2026-01-15T10:00:00+0000 h node[9]: observer up"');
  const serverLog = path.join(scratch.dir, "server.log");
  fs.writeFileSync(serverLog, "one\ntwo\nthree\n");
  fs.writeFileSync(path.join(varLog.dir, "quantlab-ml.log"), "ml ran\n");
  const run = (sources: LogSource[], json = false) =>
    runOnHost(logsScript(sources, { lines: 2, follow: false, json }, "qlrun"), { bin, mounts: { "/var/log": varLog.dir } });

  it("the journal and the runtime user's file, each under its heading", () => {
    const r = run([
      { kind: "journal", units: ["quantlab-observer.service"] },
      { kind: "file", path: serverLog },
      { kind: "file", path: "/var/log/quantlab-ml.log" },
    ]);
    expect([r.status, r.stdout, r.stderr]).toEqual([
      0,
      `==> journal of quantlab-observer.service <==\n2026-01-15T10:00:00+0000 h node[9]: observer up\n==> ${serverLog} <==\ntwo\nthree\n==> /var/log/quantlab-ml.log <==\nml ran\n`,
      "",
    ]);
    expect(stubLog(bin, "runuser")).toBe("qlrun\n");
  });

  it("a missing file is said once, on stderr; --json tags each file line with its path", () => {
    expect(run([{ kind: "file", path: path.join(scratch.dir, "none.log") }])).toMatchObject({
      status: 0,
      stdout: "",
      stderr: `(no file ${path.join(scratch.dir, "none.log")})\n`,
    });
    expect(run([{ kind: "file", path: serverLog }], true).stdout).toBe(`${serverLog}\ttwo\n${serverLog}\tthree\n`);
  });
});
