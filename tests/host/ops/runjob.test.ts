/** `run`'s script on the host (host/ops/runjob.ts): the job as its cron entry runs it, whole text. */
import { describe, expect, it } from "vitest";
import { runJobScript } from "../../../host/ops/runjob";

describe("runJobScript", () => {
  it("as the user, in core, with cron's PATH, appending to the job's log (made as tmpfiles would if missing); the arguments as \"$@\" of a fixed text", () => {
    expect(runJobScript({ job: "ml", coreDir: "/srv/b/core", user: "qlrun", group: "qlgrp", args: ["--symbol", "btcusdt"] }).text)
      .toBe(String.raw`set -u
[ -f '/var/log/quantlab-ml.log' ] || install -m 0640 -o 'qlrun' -g 'qlgrp' /dev/null '/var/log/quantlab-ml.log'
start=$(stat -c %s '/var/log/quantlab-ml.log')
runuser -u 'qlrun' -- env -C / bash -c 'cd '\''/srv/b/core'\'' && exec env PATH='\''/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'\'' node '\''scheduler/run_daily_ml.js'\'' "$@" >> '\''/var/log/quantlab-ml.log'\'' 2>&1' quantlab-run '--symbol' 'btcusdt'
code=$?
tail -c +$((start + 1)) '/var/log/quantlab-ml.log'
exit "$code"`);
  });

  it("no arguments: none after the script's $0", () => {
    expect(
      runJobScript({ job: "ops-report", coreDir: "/srv/b/core", user: "qlrun", group: "qlgrp", args: [] })
        .text.split("\n")[3]!
        .endsWith("2>&1' quantlab-run "),
    ).toBe(true);
  });

  it("refuses an argument that is not a plain word", () => {
    expect(() => runJobScript({ job: "ml", coreDir: "/srv/b/core", user: "qlrun", group: "qlgrp", args: ["$(id)"] })).toThrow(
      'host script: invalid word "$(id)"',
    );
    expect(() => runJobScript({ job: "ml", coreDir: "/srv/b/core", user: "qlrun", group: "q g", args: [] })).toThrow(
      'host script: invalid user or group name "q g"',
    );
  });
});
