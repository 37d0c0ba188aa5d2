/**
 * HostBuckets: the adopted buckets the services use exist and answer to
 * their keys, asked from the host itself (its network, its route to the
 * endpoint). Observing records each bucket's answer, so a bucket removed or
 * a key revoked is drift; applying asks again and fails, naming the bucket
 * and its config key, unless every bucket answers. Everything the host gets
 * after the tools depends on it, so a stack whose buckets are not there
 * touches nothing. Removing the stack leaves the buckets: they hold data.
 */
import { bucketCheckScript, bucketProblem, curlCredentials, parseBucketCheck, type BucketAnswer, type BucketAsk } from "../host/s3";
import type { BucketCheck } from "../hostfiles/plan";
import type { HostContext } from "./context";
import { providerOf, type Kind } from "./kind";
import { observed } from "./reads";

export interface HostBucketsInputs {
  readonly host: string;
  readonly endpoint: string;
  readonly region: string;
  /** Requests are signed with the stack's S3 keys (else unsigned: the host's own role). */
  readonly signed: boolean;
  /** Bucket -> the config key that names it. */
  readonly buckets: Readonly<Record<string, string>>;
  /** Bucket -> what it answered (wanted: all "ok"). */
  readonly answers: Readonly<Record<string, BucketAnswer>>;
}

const LABEL = "HostBuckets";

/** The plan's bucket check as the resource's inputs, every bucket wanted "ok". */
export function bucketsInputs(host: string, b: BucketCheck): HostBucketsInputs {
  return {
    host,
    endpoint: b.endpoint,
    region: b.region,
    signed: b.signed,
    buckets: Object.fromEntries(b.buckets.map((x) => [x.name, x.key])),
    answers: Object.fromEntries(b.buckets.map((x) => [x.name, "ok" as const])),
  };
}

export const askOf = (p: Pick<HostBucketsInputs, "endpoint" | "region" | "signed" | "buckets">): BucketAsk => ({
  endpoint: p.endpoint,
  region: p.region,
  signed: p.signed,
  buckets: Object.keys(p.buckets),
});

/** The keys' line for curl's stdin, when requests are signed. */
export function credentialsLine(c: HostContext, signed: boolean): string {
  const keys = c.parsed.secrets.s3;
  if (!signed) return "";
  if (!keys) throw new Error(`${LABEL} on ${c.label}: quantlab:s3.accessKeyId and quantlab:s3.secretAccessKey are not set`);
  return curlCredentials(keys);
}

async function ask(c: HostContext, p: HostBucketsInputs): Promise<Record<string, BucketAnswer>> {
  const out = await c.session.must(LABEL, bucketCheckScript(askOf(p)), { stdin: credentialsLine(c, p.signed), deadline: 60 });
  return parseBucketCheck(out, p.signed);
}

export const bucketsKind: Kind<HostBucketsInputs> = {
  name: "buckets",
  label: () => LABEL,

  async apply(c, p) {
    const answers = await ask(c, p);
    const problems = Object.entries(p.buckets).flatMap(([bucket, key]) => {
      const answer = answers[bucket] ?? "unreachable";
      return answer === "ok" ? [] : [bucketProblem(bucket, key, answer, p.endpoint)];
    });
    if (problems.length) throw new Error(`${LABEL} on ${c.label}: ${problems.join("; ")}; nothing on the host was changed after the tools`);
    return { ...p, answers };
  },

  async observe(c, p) {
    const answers = parseBucketCheck(
      await observed(c, LABEL, "buckets", () => ({ script: bucketCheckScript(askOf(p)), opts: { stdin: credentialsLine(c, p.signed) } })),
      p.signed,
    );
    const seen = { ...p, answers };
    return { inputs: seen, outputs: seen };
  },

  async remove() {},
};

export const buckets = providerOf(bucketsKind);
