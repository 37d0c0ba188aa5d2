/**
 * What the model is resolved from: the parsed stack settings, as plain
 * types. config/schema.ts parses `quantlab:*` into values of these shapes
 * (the compiler checks that its output fits), with the config-level defaults
 * applied there; the model resolves everything that follows from them.
 */
import type { ServiceName } from "./catalog";
import type { CronJobName } from "./cron";

export interface RuntimeSettings {
  /** The unprivileged user every service runs as. */
  readonly user: string;
  readonly group: string;
  /** Absolute. */
  readonly home: string;
  /** Absolute; every service's working directory is inside it. */
  readonly backendRoot: string;
  /** Absolute; written by the collector. */
  readonly spoolDir: string;
}

export interface ServiceSettings {
  readonly enabled: boolean;
  /** @default the catalog port */
  readonly port?: number;
  /** Relative to backendRoot. @default the catalog working directory */
  readonly workingDir?: string;
  /** argv, argv[0] absolute. @default the catalog command */
  readonly command?: readonly string[];
  /** Extra startup edges (order only: they grant no access). */
  readonly after: readonly string[];
  /** Deadline of the health gate after a (re)start. @default 30 */
  readonly healthTimeoutSeconds?: number;
}

export interface EnvSettings {
  readonly executionStreamingMaxdd: boolean;
  readonly executionStreamFills: boolean;
  readonly executionFillsStreamPath: string;
  readonly observerMode: boolean;
}

interface S3Common {
  readonly compactBucket: string;
  readonly archiveBucket: string;
  readonly archiveEnabled: boolean;
}

export type S3Settings =
  | (S3Common & {
      readonly mode: "create";
      readonly region: string;
      /** @default https://s3.<region>.amazonaws.com */
      readonly endpoint?: string;
      /** @default no expiry */
      readonly compactRetentionDays?: number;
      /** @default no expiry */
      readonly archiveRetentionDays?: number;
    })
  | (S3Common & { readonly mode: "adopt"; readonly endpoint: string; readonly region: string });

/** The keys the S3 users sign with (`quantlab:s3.accessKeyId`, `quantlab:s3.secretAccessKey`): secrets. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface CronSettings {
  /** @default true when a schedule is set, and for the `ml` job */
  readonly enabled?: boolean;
  /** @default the job's default schedule (the `ml` job's only) */
  readonly schedule?: string;
}

export interface ModelInput {
  readonly runtime: RuntimeSettings;
  readonly services: Readonly<Partial<Record<ServiceName, ServiceSettings>>>;
  readonly env: EnvSettings;
  readonly s3: S3Settings;
  readonly cron: Readonly<Partial<Record<CronJobName, CronSettings>>>;
}

/** A jump host: always pinned. */
export interface BastionTarget {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly hostKey: string;
}

/** Where and how one host is reached over SSH, as the stack config says (`quantlab:host` or an entry of `quantlab:hosts`). */
export interface HostTarget {
  readonly address: string;
  /** @default 22 */
  readonly port: number;
  /** @default "root" */
  readonly user: string;
  /** Pinned OpenSSH host key line; absent exactly when insecureSkipHostKeyCheck is true. */
  readonly hostKey?: string;
  /** @default false */
  readonly insecureSkipHostKeyCheck: boolean;
  /** Authenticate with the ssh-agent at $SSH_AUTH_SOCK. @default false */
  readonly useAgent: boolean;
  /** @default none */
  readonly bastion?: BastionTarget;
}

/** How `up` walks a fleet. */
export interface RolloutSettings {
  /** The first N hosts converge alone first. @default 1 with more than one host, 0 with one */
  readonly canary?: number;
  /** Hosts per wave after the canary: a number, or "N%" of all hosts (rounded down, at least 1). @default all the rest */
  readonly batchSize?: number | string;
}
