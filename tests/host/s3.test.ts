/**
 * The adopted buckets' check (host/s3.ts): its whole text, the parser of
 * what it prints, and the script under a real bash and the real curl against
 * the S3 server the sandbox hosts run (versitygw on loopback): a bucket
 * there, one missing, keys refused, nothing listening, unsigned requests.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketCheckScript, bucketProblem, curlCredentials, parseBucketCheck, type BucketAsk } from "../../host/s3";
import { runOnHost, scratchDir, stub } from "../fixtures/hostShell";
import { startS3Server, type S3Server } from "../fixtures/s3server";

/** A literal `$` before `{` in a raw template. */
const D = "$";

describe("script text", () => {
  it("signed: the keys' line read once from stdin, replayed to each curl; the names and the URL quoted", () => {
    const ask: BucketAsk = { endpoint: "http://s3.fx:9000/", region: "eu-west-1", signed: true, buckets: ["fx-a", "fx-b"] };
    const request = (b: string) =>
      String.raw`out=$(printf '%s\n' "$creds" | curl -s --max-time 5 -w '\n%{http_code}' -K - --aws-sigv4 'aws:amz:eu-west-1:s3' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' 'http://s3.fx:9000/${b}''?list-type=2&max-keys=0') || :; code=$(printf '%s' "$out" | sed -n 's/.*<Code>\([A-Za-z]*\)<\/Code>.*/\1/p' | head -n 1); printf 'bucket %s %s %s\n' '${b}' "${D}{out##*$'\n'}" "${D}{code:--}"`;
    expect(bucketCheckScript(ask).text).toBe(["creds=$(cat)", request("fx-a"), request("fx-b")].join("\n"));
    expect(bucketCheckScript(ask, { from: "header", index: 3 }).text.split("\n")[0]).toBe("creds=${headers[3]}");
  });

  it("unsigned: no keys, no signature", () => {
    const text = bucketCheckScript({
      endpoint: "https://s3.eu-west-1.amazonaws.com",
      region: "eu-west-1",
      signed: false,
      buckets: ["fx-a"],
    }).text;
    expect(text.split("\n")[0]).toBe("creds=");
    expect(text).not.toContain("--aws-sigv4");
    expect(text).toContain("'https://s3.eu-west-1.amazonaws.com/fx-a''?list-type=2&max-keys=0'");
  });

  it("refuses an endpoint or a bucket that is not plain, and keys with a quote", () => {
    const ask: BucketAsk = { endpoint: "http://s3.fx/$(id)", region: "us-east-1", signed: true, buckets: ["b"] };
    expect(() => bucketCheckScript(ask)).toThrow('host script: invalid URL "http://s3.fx/$(id)/b"');
    expect(() => bucketCheckScript({ ...ask, endpoint: "http://s3.fx", buckets: ["b;id"] })).toThrow("host script: invalid word");
    expect(() => curlCredentials({ accessKeyId: "AK", secretAccessKey: 'x"y' })).toThrow(
      "S3 keys: unexpected characters (the value is secret and not shown)",
    );
  });
});

describe("parseBucketCheck", () => {
  it("signed: the S3 error code decides first, then the status", () => {
    expect(
      parseBucketCheck(
        [
          "bucket a 200 -",
          "bucket b 404 NoSuchBucket",
          "bucket c 403 SignatureDoesNotMatch",
          "bucket d 404 XAdminUserNotFound",
          "bucket e 000 -",
          "bucket f 500 InternalError",
          "bucket g 404 -",
        ].join("\n"),
        true,
      ),
    ).toEqual({ a: "ok", b: "missing", c: "denied", d: "denied", e: "unreachable", f: "http 500 InternalError", g: "missing" });
  });

  it("unsigned: a refusal means the bucket is there", () => {
    expect(parseBucketCheck("bucket a 403 AccessDenied\nbucket b 404 NoSuchBucket\n", false)).toEqual({ a: "ok", b: "missing" });
  });

  it("a line it does not know is an error", () => {
    expect(() => parseBucketCheck("junk", true)).toThrow('unexpected bucket check line "junk"');
  });

  it("each answer in words, naming the bucket's key", () => {
    const e = "http://s3.fx:9000";
    expect(bucketProblem("b", "quantlab:s3.archiveBucket", "http 500 InternalError", e)).toBe(
      'S3 bucket "b" (quantlab:s3.archiveBucket) answered HTTP 500 InternalError',
    );
    expect(bucketProblem("b", "quantlab:s3.compactBucket", "unreachable", e)).toBe(
      'S3 endpoint http://s3.fx:9000 (quantlab:s3.endpoint) does not answer from the host (bucket "b")',
    );
  });
});

describe("against the sandbox's S3 server (versitygw on loopback), with the real curl", () => {
  let s3: S3Server;
  const bin = scratchDir("s3-bin");
  beforeAll(async () => {
    s3 = await startS3Server(["ql-compact", "ql-archive"]);
    // curl is guarded in host scripts run here: this test opts into the real one, logging its arguments.
    stub(bin.dir, "curl", 'printf "%s\\n" "$*" >> "$LOG"\nexec /usr/bin/curl "$@"');
  });
  afterAll(async () => {
    await s3?.stop();
    bin.cleanup();
  });

  const check = (ask: Partial<BucketAsk>, input: string, keysFrom?: Parameters<typeof bucketCheckScript>[1]) => {
    const full: BucketAsk = { endpoint: s3.endpoint, region: "us-east-1", signed: true, buckets: ["ql-compact", "ql-archive"], ...ask };
    const r = runOnHost(bucketCheckScript(full, keysFrom), { input, bin: bin.dir });
    expect(r.status, r.stderr).toBe(0);
    return parseBucketCheck(r.stdout, full.signed);
  };

  it("both buckets there: ok, and the secret key is in no curl argument", () => {
    expect(check({}, curlCredentials(s3))).toEqual({ "ql-compact": "ok", "ql-archive": "ok" });
    const argv = fs.readFileSync(path.join(`${bin.dir}-log`, "curl.log"), "utf8");
    expect(argv).toContain("--aws-sigv4 aws:amz:us-east-1:s3");
    expect(argv).not.toContain(s3.secretAccessKey);
  });

  it("a bucket missing, then wrong keys, then an unknown key id", () => {
    expect(check({ buckets: ["ql-compact", "ql-nope"] }, curlCredentials(s3))).toEqual({ "ql-compact": "ok", "ql-nope": "missing" });
    expect(check({}, curlCredentials({ ...s3, secretAccessKey: "wrongwrongwrong1" }))).toEqual({
      "ql-compact": "denied",
      "ql-archive": "denied",
    });
    expect(check({}, curlCredentials({ ...s3, accessKeyId: "AKUNKNOWN1" }))).toEqual({ "ql-compact": "denied", "ql-archive": "denied" });
  });

  it("unsigned: the buckets are there (refused, not missing); a missing one is missing", () => {
    expect(check({ signed: false, buckets: ["ql-compact", "ql-nope"] }, "")).toEqual({ "ql-compact": "ok", "ql-nope": "missing" });
  });

  it("the keys from a service's env file (KEY='value' lines), as doctor reads them", () => {
    const etc = scratchDir("s3-etc");
    try {
      fs.writeFileSync(
        path.join(etc.dir, "replayd.env"),
        `# header\nREPLAYD_PORT='3030'\nAWS_ACCESS_KEY_ID='${s3.accessKeyId}'\nAWS_SECRET_ACCESS_KEY='${s3.secretAccessKey}'\n`,
      );
      const r = runOnHost(
        bucketCheckScript(
          { endpoint: s3.endpoint, region: "us-east-1", signed: true, buckets: ["ql-archive"] },
          { from: "env-file", path: "/etc/cron.d/replayd.env" },
        ),
        // Any directory of root's trees this machine has, bound over in the script's own mount namespace.
        { bin: bin.dir, mounts: { "/etc/cron.d": etc.dir } },
      );
      expect([r.status, parseBucketCheck(r.stdout, true)]).toEqual([0, { "ql-archive": "ok" }]);
    } finally {
      etc.cleanup();
    }
  });

  it("nothing listening: unreachable", async () => {
    expect(check({ endpoint: "http://127.0.0.1:1" }, curlCredentials(s3))).toEqual({
      "ql-compact": "unreachable",
      "ql-archive": "unreachable",
    });
  });
});
