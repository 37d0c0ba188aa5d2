/**
 * The adopted buckets, asked from the host: does each exist, and does it
 * answer to the S3 users' keys. One SigV4-signed ListObjectsV2 of zero keys
 * per bucket, by curl. The keys reach curl as a config line on stdin
 * (`curl -K -`), never in its arguments or in the script. Without keys (the
 * services use the host's own role) the requests go unsigned: a missing
 * bucket is still told apart from one that refuses strangers.
 */
import type { S3Credentials } from "../model/input";
import { lines, root, ROOT_WHO, type Script } from "./script";
import { httpUrl, int, path, word } from "./values";

export interface BucketAsk {
  readonly endpoint: string;
  readonly region: string;
  readonly buckets: readonly string[];
  readonly signed: boolean;
}

/** What a bucket answered: `ok`, or why not. */
export type BucketAnswer = "ok" | "missing" | "denied" | "unreachable" | `http ${string}`;

const PLAIN = /^[A-Za-z0-9+/=._~-]+$/;

/** curl's config line with the keys (`-K -` reads it from stdin). */
export function curlCredentials(c: S3Credentials): string {
  if (!PLAIN.test(c.accessKeyId) || !PLAIN.test(c.secretAccessKey))
    throw new Error("S3 keys: unexpected characters (the value is secret and not shown)");
  return `user = "${c.accessKeyId}:${c.secretAccessKey}"\n`;
}

const bucketUrl = (endpoint: string, bucket: string) => httpUrl(`${endpoint.replace(/\/+$/, "")}/${word(bucket).raw}`);

/**
 * Where a signed check takes the keys' line from: stdin, line `index` of the snapshot's $headers, or the
 * AWS_* keys of a service's own env file (root's, under /etc/quantlab: what that service signs with).
 */
export type KeysFrom =
  { readonly from: "stdin" } | { readonly from: "header"; readonly index: number } | { readonly from: "env-file"; readonly path: string };

function keysLine(source: KeysFrom): Script {
  switch (source.from) {
    case "stdin":
      return root`creds=$(cat)`;
    case "header":
      return root`creds=\${headers[${int(source.index, 0, 999)}]}`;
    case "env-file": {
      const file = path(source.path);
      if (file.tree !== "root") throw new TypeError(`the S3 keys are read from a file of root's trees, not ${source.path}`);
      // The names are the template's own text: a value placed inside the double quotes would keep its quotes.
      return root`creds="user = \"$(sed -n "s/^AWS_ACCESS_KEY_ID='\(.*\)'\$/\1/p" ${file} 2>/dev/null):$(sed -n "s/^AWS_SECRET_ACCESS_KEY='\(.*\)'\$/\1/p" ${file} 2>/dev/null)\""`;
    }
  }
}

/**
 * Prints `bucket <name> <http status> <S3 error code or ->` per bucket (status 000: nothing answered).
 * Signed, the keys' line comes from `keys` (stdin by default).
 */
export function bucketCheckScript(ask: BucketAsk, keys: KeysFrom = { from: "stdin" }): Script {
  const sign = root`-K - --aws-sigv4 ${word(`aws:amz:${ask.region}:s3`)} -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'`;
  return lines(ROOT_WHO, [
    ask.signed ? keysLine(keys) : root`creds=`,
    ...ask.buckets.map((b) => {
      const request = root`curl -s --max-time 5 -w '\n%{http_code}' ${ask.signed ? sign : root``} ${bucketUrl(ask.endpoint, b)}'?list-type=2&max-keys=0'`;
      return root`out=$(printf '%s\n' "$creds" | ${request}) || :; code=$(printf '%s' "$out" | sed -n 's/.*<Code>\([A-Za-z]*\)<\/Code>.*/\1/p' | head -n 1); printf 'bucket %s %s %s\n' ${word(b)} "\${out##*$'\n'}" "\${code:--}"`;
    }),
  ]);
}

/** The S3 error codes of a request whose keys were refused. */
const REFUSED = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "XAdminUserNotFound",
  "InvalidToken",
  "ExpiredToken",
]);

/** Each bucket's answer, from bucketCheckScript's lines. */
export function parseBucketCheck(out: string, signed: boolean): Record<string, BucketAnswer> {
  const answers: Record<string, BucketAnswer> = {};
  for (const line of out.split("\n").filter(Boolean)) {
    const [tag, name = "", status = "", code = "-"] = line.split(" ");
    if (tag !== "bucket") throw new Error(`unexpected bucket check line ${JSON.stringify(line.slice(0, 200))}`);
    answers[name] = answerOf(status, code, signed);
  }
  return answers;
}

function answerOf(status: string, code: string, signed: boolean): BucketAnswer {
  if (code === "NoSuchBucket") return "missing";
  if (status === "200") return "ok";
  if (status === "000" || status === "") return "unreachable";
  // Unsigned, a private bucket refuses the request: it exists (the host's own role is not checked here).
  if (!signed && status === "403") return "ok";
  if (signed && REFUSED.has(code)) return "denied";
  if (status === "404") return "missing";
  return `http ${status}${code !== "-" ? ` ${code}` : ""}`;
}

/** A refused bucket, in words: what it answered and which config key to look at; `whose` keys were refused ("replayd's"). */
export function bucketProblem(bucket: string, key: string, answer: BucketAnswer, endpoint: string, whose = "the"): string {
  switch (answer) {
    case "ok":
      return `S3 bucket "${bucket}" answers`;
    case "missing":
      return `S3 bucket "${bucket}" (${key}) does not exist at ${endpoint}`;
    case "denied":
      return `S3 bucket "${bucket}" (${key}) refuses ${whose} S3 keys (quantlab:s3.accessKeyId, quantlab:s3.secretAccessKey)`;
    case "unreachable":
      return `S3 endpoint ${endpoint} (quantlab:s3.endpoint) does not answer from the host (bucket "${bucket}")`;
    default:
      return `S3 bucket "${bucket}" (${key}) answered ${answer.replace(/^http /, "HTTP ")}`;
  }
}
