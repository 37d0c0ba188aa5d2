/** `quantlab doctor` (cli/commands/doctor.ts): findings and verdicts from the host's answer, and the report, whole text. */
import { describe, expect, it } from "vitest";
import { diagnose, doctorText, envKeys, type Expected } from "../../../cli/commands/doctor";

const NOW = 1795530000;
const want: Expected = {
  service: "collector",
  port: 9100,
  healthUrl: "http://127.0.0.1:9100/health",
  envKeys: { "/etc/quantlab/collector.env": ["COLLECTOR_PORT", "COLLECTOR_SPOOL_DIR"] },
  runtimeUser: "qlrun",
  runtimeGroup: "qlgrp",
  spoolDir: "/data/spool",
};
const section = (name: string, ...lines: string[]) => [`::doctor:: ${name}`, ...lines].join("\n");
const healthy = [
  section("state", "LoadState=loaded", "ActiveState=active", "SubState=running", "Result=success", "NRestarts=0"),
  section("errors"),
  section("port", "holder 311 python3 /system.slice/quantlab-collector.service"),
  section("env /etc/quantlab/collector.env", "present", "key COLLECTOR_PORT", "key COLLECTOR_SPOOL_DIR"),
  section("health", "200"),
  section("spool", "owner qlrun qlgrp 750", "free_kb 76441096", `newest ${NOW - 90}.52 collector-alive.json`, `now ${NOW}`),
  section("metrics", '{"queue_size": 3, "writer": {}}'),
].join("\n");

describe("diagnose", () => {
  it("a healthy collector: every finding ok, with the spool's facts", () => {
    const d = diagnose(want, "quantlab-collector.service", healthy);
    expect(d.verdict).toBe("ok");
    expect(d.findings.map((f) => `${f.level} ${f.text}`)).toEqual([
      "ok quantlab-collector.service active (running), 0 automatic restarts",
      "ok port 9100 held by python3 (pid 311) of quantlab-collector.service",
      "ok env file /etc/quantlab/collector.env present with 2 keys: COLLECTOR_PORT, COLLECTOR_SPOOL_DIR",
      "ok health http://127.0.0.1:9100/health answers 200",
      "ok spool directory /data/spool exists, qlrun:qlgrp 750",
      "ok 72.9G free for the spool",
      "ok newest spool file collector-alive.json, written 1m ago",
      "ok /metrics queue size 3",
    ]);
  });

  it("the spool removed, the port taken by someone else, a key missing, another extra: each says so, with what to do", () => {
    const broken = healthy
      .replace(/::doctor:: spool\n[\s\S]*?(?=::doctor:: metrics)/, "::doctor:: spool\nabsent\n")
      .replace("holder 311 python3 /system.slice/quantlab-collector.service", "holder 999 nc /user.slice/session-1.scope")
      .replace("key COLLECTOR_SPOOL_DIR", "key EXTRA_KEY")
      .replace('{"queue_size": 3, "writer": {}}', "");
    const d = diagnose(want, "quantlab-collector.service", broken);
    expect(d.verdict).toBe("fail");
    expect(doctorText([d])).toBe(
      [
        "collector (quantlab-collector.service)",
        "  ok   quantlab-collector.service active (running), 0 automatic restarts",
        "  FAIL port 9100 is held by nc (pid 999, /user.slice/session-1.scope), not by quantlab-collector.service",
        "       next: stop that process (it keeps collector from listening), then npx quantlab restart collector",
        "  FAIL env file /etc/quantlab/collector.env lacks COLLECTOR_SPOOL_DIR",
        "       next: npx quantlab up (writes it again)",
        "  WARN env file /etc/quantlab/collector.env has keys the stack does not set: EXTRA_KEY",
        "       next: npx quantlab drift (hand edits show there); npx quantlab up restores the file",
        "  ok   health http://127.0.0.1:9100/health answers 200",
        "  FAIL spool directory /data/spool does not exist",
        "       next: systemd-tmpfiles --create /etc/tmpfiles.d/quantlab.conf on the host, then npx quantlab restart collector",
        "  WARN /metrics gave no queue_size",
        "       next: npx quantlab logs collector -n 50",
        "",
        "service    verdict  next",
        "collector  FAIL     stop that process (it keeps collector from listening), then npx quantlab restart collector",
      ].join("\n"),
    );
  });

  it("a failed S3 user with journal errors, nothing on its port, its env file missing, the endpoint unreachable", () => {
    const out = [
      section("state", "LoadState=loaded", "ActiveState=failed", "SubState=failed", "Result=exit-code", "NRestarts=5"),
      section("errors", "2026-11-24T14:00:00+0000 h npm[9]: Error: listen EADDRINUSE: address already in use 0.0.0.0:3030"),
      section("port"),
      section("env /etc/quantlab/replayd.env", "absent"),
      section("s3", "bucket qc-compact 000 -"),
    ].join("\n");
    const d = diagnose(
      {
        service: "replayd",
        port: 3030,
        envKeys: { "/etc/quantlab/replayd.env": ["REPLAYD_PORT"] },
        runtimeUser: "qlrun",
        runtimeGroup: "qlgrp",
        s3: { endpoint: "http://127.0.0.1:9000", signed: true, buckets: [{ name: "qc-compact", key: "quantlab:s3.compactBucket" }] },
      },
      "quantlab-replayd.service",
      out,
    );
    expect(d.findings.map((f) => [f.level, f.text, f.next])).toEqual([
      [
        "fail",
        "quantlab-replayd.service is failed (failed, result exit-code)",
        "npx quantlab logs replayd -n 50, fix the cause, then npx quantlab restart replayd",
      ],
      [
        "warn",
        "error lines in the last 24 h of the journal (last 1):\n      2026-11-24T14:00:00+0000 h npm[9]: Error: listen EADDRINUSE: address already in use 0.0.0.0:3030",
        "npx quantlab logs replayd -n 100",
      ],
      ["fail", "nothing listens on port 3030", "npx quantlab logs replayd -n 50"],
      ["fail", "env file /etc/quantlab/replayd.env is missing", "npx quantlab up (writes it again)"],
      [
        "fail",
        'S3 endpoint http://127.0.0.1:9000 (quantlab:s3.endpoint) does not answer from the host (bucket "qc-compact")',
        "check quantlab:s3.endpoint and the host's network route to it",
      ],
    ]);
  });

  it("an S3 user's buckets: one answers, one refuses its keys, one is missing; unsigned, a refusal means the bucket is there", () => {
    const buckets = [
      { name: "qc-a", key: "quantlab:s3.compactBucket" },
      { name: "qc-b", key: "quantlab:s3.archiveBucket" },
      { name: "qc-c", key: "quantlab:s3.compactBucket" },
    ];
    const want = { service: "strategyd", envKeys: {}, runtimeUser: "qlrun", runtimeGroup: "qlgrp" };
    const out = [
      section("state", "LoadState=loaded", "ActiveState=active", "SubState=running", "NRestarts=0"),
      section("s3", "bucket qc-a 200 -", "bucket qc-b 403 SignatureDoesNotMatch", "bucket qc-c 404 NoSuchBucket"),
    ].join("\n");
    const signed = diagnose({ ...want, s3: { endpoint: "http://s3.fx:9000", signed: true, buckets } }, "quantlab-strategyd.service", out);
    expect(signed.findings.slice(1).map((f) => [f.level, f.text, f.next])).toEqual([
      ["ok", "S3 bucket qc-a answers to strategyd's keys", undefined],
      [
        "fail",
        'S3 bucket "qc-b" (quantlab:s3.archiveBucket) refuses strategyd\'s S3 keys (quantlab:s3.accessKeyId, quantlab:s3.secretAccessKey)',
        "set keys the bucket accepts (npx quantlab secret --key s3.accessKeyId, --key s3.secretAccessKey), then npx quantlab up",
      ],
      [
        "fail",
        'S3 bucket "qc-c" (quantlab:s3.compactBucket) does not exist at http://s3.fx:9000',
        "create the bucket on the endpoint, or name the right one in the stack file",
      ],
    ]);
    const unsigned = diagnose(
      { ...want, s3: { endpoint: "http://s3.fx:9000", signed: false, buckets } },
      "quantlab-strategyd.service",
      out.replace("403 SignatureDoesNotMatch", "403 AccessDenied"),
    );
    expect(unsigned.findings.slice(1).map((f) => `${f.level} ${f.text}`)).toEqual([
      "ok S3 bucket qc-a answers to unsigned requests (the host's own role is not checked)",
      "ok S3 bucket qc-b answers to unsigned requests (the host's own role is not checked)",
      'fail S3 bucket "qc-c" (quantlab:s3.compactBucket) does not exist at http://s3.fx:9000',
    ]);
  });

  it("a unit that is not installed; a spool owned by someone else, nearly full, empty", () => {
    const out = [
      section("state", "LoadState=not-found", "ActiveState=inactive"),
      section("spool", "owner root root 755", "free_kb 1024", "newest ", `now ${NOW}`),
    ].join("\n");
    const d = diagnose(
      { service: "collector", envKeys: {}, runtimeUser: "qlrun", runtimeGroup: "qlgrp", spoolDir: "/data/spool" },
      "quantlab-collector.service",
      out,
    );
    expect(d.findings.map((f) => `${f.level} ${f.text}`)).toEqual([
      "fail quantlab-collector.service is not installed",
      "fail spool directory /data/spool is owned by root:root, not qlrun:qlgrp",
      "warn only 1.0M free for the spool",
      "warn spool directory is empty: the collector has written nothing",
      "warn /metrics gave no queue_size",
    ]);
  });
});

describe("envKeys", () => {
  it("the keys of a rendered env file, comments and values left out", () => {
    expect(envKeys("# header\nA_B='1'\nC='x=y'\n  D=1\n")).toEqual(["A_B", "C"]);
  });
});
