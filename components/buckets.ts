/**
 * QuantlabBuckets: the compact data bucket and the run archive bucket.
 * mode "create": AWS buckets, private (public access blocked), encrypted,
 * the archive versioned, optional lifecycle retention; protected and retained
 * on delete, so `pulumi destroy` never deletes data.
 * mode "adopt": existing buckets on an S3-compatible endpoint; creates nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as Aws from "@pulumi/aws";
import type { ResolvedS3 } from "../model/model";

/** Loaded only when buckets are created: an adopting stack (every sandbox) skips the SDK's load time. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const awsSdk = (): typeof Aws => require("@pulumi/aws") as typeof Aws;

export interface QuantlabBucketsArgs {
  /** The model's S3 settings (`quantlab:s3`, endpoint resolved). */
  readonly s3: ResolvedS3;
}

export class QuantlabBuckets extends pulumi.ComponentResource {
  readonly compactBucket: pulumi.Output<string>;
  readonly archiveBucket: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: QuantlabBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:storage:Buckets", name, {}, opts);
    const s3 = args.s3;
    if (s3.mode === "adopt") {
      this.compactBucket = pulumi.output(s3.compactBucket);
      this.archiveBucket = pulumi.output(s3.archiveBucket);
      this.endpoint = pulumi.output(s3.endpoint);
    } else {
      const compact = this.bucket(`${name}-compact`, s3.compactBucket, s3.region, {
        versioned: false,
        expireDays: s3.compactRetentionDays,
      });
      const archive = this.bucket(`${name}-archive`, s3.archiveBucket, s3.region, { versioned: true, expireDays: s3.archiveRetentionDays });
      this.compactBucket = compact.bucket;
      this.archiveBucket = archive.bucket;
      this.endpoint = pulumi.output(s3.endpoint);
    }
    this.registerOutputs({ compactBucket: this.compactBucket, archiveBucket: this.archiveBucket, endpoint: this.endpoint });
  }

  private bucket(name: string, bucketName: string, region: string, opts: { versioned: boolean; expireDays?: number }): Aws.s3.Bucket {
    const aws = awsSdk();
    // Data and what guards it must outlive the stack: protect refuses a destroy, retainOnDelete keeps each
    // one if protect is lifted. That holds for the bucket's safeguards too (public access block, encryption,
    // versioning, lifecycle): a destroy that removed them before the protected bucket refused would leave
    // the data unguarded.
    const child = { parent: this, protect: true, retainOnDelete: true };
    const bucket = new aws.s3.Bucket(name, { bucket: bucketName, region, forceDestroy: false }, child);
    new aws.s3.BucketPublicAccessBlock(
      `${name}-private`,
      {
        bucket: bucket.id,
        region,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        region,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
      },
      child,
    );
    if (opts.versioned) {
      new aws.s3.BucketVersioning(
        `${name}-versioning`,
        {
          bucket: bucket.id,
          region,
          versioningConfiguration: { status: "Enabled" },
        },
        child,
      );
    }
    if (opts.expireDays !== undefined) {
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-retention`,
        {
          bucket: bucket.id,
          region,
          rules: [
            opts.versioned
              ? { id: "expire-noncurrent", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: opts.expireDays } }
              : { id: "expire", status: "Enabled", filter: {}, expiration: { days: opts.expireDays } },
          ],
        },
        child,
      );
    }
    return bucket;
  }
}
