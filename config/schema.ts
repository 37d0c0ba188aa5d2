/**
 * The stack config schema (`quantlab:*` keys). Every field has its default
 * here, and every error message says what was expected; config/parse.ts adds
 * the key path and the offending value.
 */
import { z } from "zod";
import { SERVICE_NAMES } from "../model/catalog";
import { CRON_JOB_NAMES } from "../model/cron";
import { gitRefProblem, gitRemoteProblem, remoteHasCredentials } from "../model/git";
import { REDACT } from "./problems";
import { runtimeGroupProblem, runtimeUserProblem } from "./rules";
import {
  address,
  bool,
  bucketName,
  command,
  count,
  endpointUrl,
  envPath,
  healthTimeout,
  hostKey,
  port,
  posixName,
  region,
  relPath,
  retentionDays,
  ruled,
  runtimeDir,
  schedule,
  serviceNames,
  servicePort,
} from "./fields";

/** A credential in a remote would reach the state, the host's argv and .git/config: refused without echoing it. */
export const REMOTE_CREDENTIALS =
  "expected a remote without credentials (the value is not shown: a password or token in it would reach the state, the host's process list and .git/config); use a key-authenticated ssh remote or a path, and keep credentials in the runtime user's git config on the host";

const HOST_NAME = "expected a host name: 1-40 of a-z, 0-9 and -, starting with a letter or digit";
const WHOLE_HOSTS = "expected a whole number of hosts, 0 or more";
const BATCH = 'expected a number of hosts (1 or more) or a percentage of them ("1%" to "100%")';
const KEEP = "expected a whole number 1-100";

const gitRemote = z.string({ error: "expected a git remote" }).superRefine((r, ctx) => {
  if (remoteHasCredentials(r)) return ctx.addIssue({ code: "custom", message: REMOTE_CREDENTIALS, params: REDACT });
  const problem = gitRemoteProblem(r);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: r });
});

/** A service's fields as a host overrides them: no defaults, so an unset field keeps the stack's (config/fleet.ts merges). */
const serviceFields = {
  /** Run this service (refused off while an enabled service calls it). @default true */
  enabled: bool().optional(),
  /** The TCP port it listens on. @default the catalog port (model/catalog.ts) */
  port: servicePort.optional(),
  /** Its working directory, relative to runtime.backendRoot. @default the catalog working directory */
  workingDir: relPath.optional(),
  /** Its start command, an argv list (argv[0] an absolute path; no shell reads it). @default the catalog command */
  command: command.optional(),
  /** Extra startup edges on top of the runbook's. @default [] */
  after: serviceNames(SERVICE_NAMES.length).optional(),
  /**
   * How long a (re)start may take to pass its health gate (health endpoint
   * 200, or still active after the settle time) before `up` rolls it back.
   * @default 30
   */
  healthTimeoutSeconds: healthTimeout.optional(),
};

const serviceOverride = z.strictObject({
  ...serviceFields,
  /** Run this service (refused off while an enabled service calls it). @default true */
  enabled: bool().default(true),
  /** Extra startup edges on top of the runbook's. @default [] */
  after: serviceNames(SERVICE_NAMES.length).default([]),
});
const hostServiceOverride = z.strictObject(serviceFields);

/** `services` keyed by service name, each entry of `entry`'s shape. */
const servicesOf = <T extends z.ZodType>(entry: T) =>
  z.strictObject(
    Object.fromEntries(SERVICE_NAMES.map((n) => [n, entry.optional()])) as Record<(typeof SERVICE_NAMES)[number], z.ZodOptional<T>>,
  );

const cronJob = z.strictObject({
  /** Install the job's cron entry. @default true for `ml` or a job given a schedule, false for the others */
  enabled: bool().optional(),
  /** When it runs: five cron fields, checked so that it can fire. @default "15 0 * * *" for `ml`; required for the others when enabled */
  schedule: schedule.optional(),
});

const s3Common = {
  /** Name of the compact data bucket (S3_COMPACT_BUCKET). */
  compactBucket: bucketName,
  /** Name of the run archive bucket (RUN_ARCHIVE_S3_BUCKET). */
  archiveBucket: bucketName,
  /** RUN_ARCHIVE_ENABLED. @default true */
  archiveEnabled: bool().default(true),
};

const s3 = z.discriminatedUnion(
  "mode",
  [
    z.strictObject({
      /** Create the buckets in AWS with @pulumi/aws (protected: destroy never deletes them). */
      mode: z.literal("create"),
      ...s3Common,
      /** AWS region of the buckets. */
      region,
      /** S3_COMPACT_ENDPOINT. @default https://s3.<region>.amazonaws.com (resolved in model/model.ts) */
      endpoint: endpointUrl.optional(),
      /** Expire compact objects after N days. @default no expiry */
      compactRetentionDays: retentionDays.optional(),
      /** Expire noncurrent archive versions after N days. @default no expiry */
      archiveRetentionDays: retentionDays.optional(),
    }),
    z.strictObject({
      /** Use existing buckets on an S3-compatible endpoint: nothing is created in AWS. */
      mode: z.literal("adopt"),
      ...s3Common,
      /** S3_COMPACT_ENDPOINT. */
      endpoint: endpointUrl,
      /** The region requests are signed for (AWS_REGION of the S3 users). @default "us-east-1" */
      region: region.default("us-east-1"),
    }),
  ],
  { error: 'expected mode "create" or "adopt"' },
);

/** A host's SSH endpoint: `quantlab:host`, or an entry of `quantlab:hosts`. */
const hostFields = {
  /** Host name or IP address to dial. */
  address,
  /** SSH port. @default 22 */
  port: port.default(22),
  /** SSH login user: the package acts as root through it. @default "root" */
  user: posixName.default("root"),
  /** Pinned host key. Required unless insecureSkipHostKeyCheck is true; never together with it. */
  hostKey: hostKey.optional(),
  /** Connect without checking the host key (refused together with hostKey). @default false */
  insecureSkipHostKeyCheck: bool().default(false),
  /** Authenticate with the ssh-agent at $SSH_AUTH_SOCK (then quantlab:sshPrivateKey is optional). @default false */
  useAgent: bool().default(false),
  /** A jump host the connection goes through (same key or agent). @default none */
  bastion: z
    .strictObject(
      {
        /** Host name or IP address of the jump host. */
        address,
        /** Its SSH port. @default 22 */
        port: port.default(22),
        /** Its login user. @default "root" */
        user: posixName.default("root"),
        /** Pinned host key of the bastion. */
        hostKey,
      },
      { error: "expected an object with address, port, user, hostKey" },
    )
    .optional(),
};

const hostSettings = z.strictObject(hostFields, { error: "expected an object with address, port, user, hostKey" });

const hostEntry = z.strictObject(
  {
    /** Names the host in output, resources and --host. */
    name: z.string({ error: HOST_NAME }).regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: HOST_NAME }),
    ...hostFields,
    /** Per-host overrides, merged field by field over quantlab:services. @default none */
    services: servicesOf(hostServiceOverride).optional(),
  },
  { error: "expected a host: an object with name, address, port, user, hostKey" },
);

/** At most this many hosts in one stack. */
export const MAX_HOSTS = 100;

const rollout = z
  .strictObject({
    /** The first N hosts of the list converge alone first. @default 1 with more than one host, 0 with one */
    canary: count(0, WHOLE_HOSTS).optional(),
    /** Hosts per wave after the canary: a number, or "N%" of all hosts (rounded down, at least 1). @default all the rest */
    batchSize: z
      .union([z.number(), z.string()], { error: BATCH })
      .refine((b) => (typeof b === "number" ? Number.isInteger(b) && b >= 1 : /^([1-9][0-9]?|100)%$/.test(b)), { error: BATCH })
      .optional(),
    /** A wave with more failed hosts than this stops the rollout. @default 0 */
    maxFailedHosts: count(0, WHOLE_HOSTS).default(0),
  })
  .prefault({});

const generations = z
  .strictObject({
    /** How many host generations each host keeps. @default 10 */
    keep: count(1, KEEP).max(100, { error: KEEP }).default(10),
  })
  .prefault({});

export const configSchema = z.strictObject({
  /** The target host's SSH endpoint. Exactly one of host and hosts (config/parse.ts checks it). */
  host: hostSettings.optional(),
  /** A fleet: the hosts, in rollout order. */
  hosts: z
    .array(hostEntry, { error: "expected a list of hosts, each with name and address" })
    .min(1, { error: `expected a list of 1-${MAX_HOSTS} hosts` })
    .max(MAX_HOSTS, { error: `expected a list of 1-${MAX_HOSTS} hosts` })
    .optional(),
  /** How `up` walks the hosts. */
  rollout,
  /** What each host keeps of its past deployments. */
  generations,
  /** The account the services run as, and the directories it is given. */
  runtime: z
    .strictObject({
      /** Never root, a system account or the SSH login user. @default "deploy" */
      user: ruled(posixName, runtimeUserProblem).default("deploy"),
      /** Never a privileged or shared group (sysusers.d keeps an existing group as it is). @default "deploy" */
      group: ruled(posixName, runtimeGroupProblem).default("deploy"),
      /** The runtime user's home. @default "/home/deploy" */
      home: runtimeDir.default("/home/deploy"),
      /** Where the backend code lives, owned by the runtime user. @default "/home/deploy/quantlab-backend" */
      backendRoot: runtimeDir.default("/home/deploy/quantlab-backend"),
      /** The collector's spool directory. @default "/opt/quantlab/spool" */
      spoolDir: runtimeDir.default("/opt/quantlab/spool"),
    })
    // Parsed from {} when absent, so each field default above is the only one.
    .prefault({}),
  /** Per-service overrides of the catalog (model/catalog.ts), by service name. */
  services: servicesOf(serviceOverride).default({}),
  /** The ExecutionEngine and observer flags, written where the services read them (their env files or core/.env). */
  env: z
    .strictObject({
      /** EXECUTION_STREAMING_MAXDD. @default false */
      executionStreamingMaxdd: bool().default(false),
      /** EXECUTION_STREAM_FILLS. @default false */
      executionStreamFills: bool().default(false),
      /** EXECUTION_FILLS_STREAM_PATH. @default "/tmp/fills_{ts}.jsonl" */
      executionFillsStreamPath: envPath.default("/tmp/fills_{ts}.jsonl"),
      /** OBSERVER_MODE. @default true */
      observerMode: bool().default(true),
    })
    .prefault({}),
  /** The two buckets: created in AWS (`create`) or adopted on an S3-compatible endpoint (`adopt`). */
  s3,
  /** The scheduler's cron jobs (model/cron.ts), by job name. */
  cron: z
    .strictObject(
      Object.fromEntries(CRON_JOB_NAMES.map((n) => [n, cronJob.optional()])) as Record<
        (typeof CRON_JOB_NAMES)[number],
        z.ZodOptional<typeof cronJob>
      >,
    )
    .default({}),
  /** Where the backend code comes from: a local directory, a git ref, or neither (released out of band). */
  code: z
    .strictObject({
      /**
       * Ship this local directory (relative to the project) to runtime.backendRoot,
       * owned by runtime.user. Used by the sandbox stack for the stand-in backend;
       * production code is released out of band. @default unset
       */
      localDir: relPath.optional(),
      /**
       * Check this git ref out into runtime.backendRoot as runtime.user
       * (`npx quantlab deploy --ref REF` sets `ref`). A service restarts when
       * the tree of the code it runs changes. Exclusive with localDir. @default unset
       */
      git: z
        .strictObject(
          {
            /** Where to fetch from, as the host sees it: an absolute path, an ssh/https URL or user@host:path. */
            remote: gitRemote,
            /** Branch, tag or full commit id. */
            ref: ruled(z.string({ error: "expected a git ref" }), gitRefProblem),
          },
          { error: "expected an object with remote and ref" },
        )
        .optional(),
    })
    .default({}),
});

export type SchemaConfig = z.infer<typeof configSchema>;
export type HostSettings = z.infer<typeof hostSettings>;
export type HostEntry = z.infer<typeof hostEntry>;
export type ServicesConfig = SchemaConfig["services"];
export type HostServicesConfig = NonNullable<HostEntry["services"]>;
/** The parsed config as callers see it: `host` is always set (a fleet's first host; parse.ts gives every host). */
export type StackConfig = Omit<SchemaConfig, "host" | "hosts"> & { readonly host: HostSettings };
