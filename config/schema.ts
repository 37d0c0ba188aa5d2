/**
 * The stack config schema (`quantlab:*` keys). Every field has its default
 * here, and every error message says what was expected; config/parse.ts adds
 * the key path and the offending value.
 */
import { z } from "zod";
import { SERVICE_NAMES } from "../model/catalog";
import { CRON_JOB_NAMES, scheduleProblem } from "../model/cron";
import { SAFE_CHARS, SAFE_WORD, envValueProblem } from "../model/values";
import { gitRefProblem, gitRemoteProblem } from "../model/git";
import { runtimeDirProblem, runtimeGroupProblem, runtimeUserProblem, servicePortProblem } from "./rules";

const port = z
  .number({ error: "expected a port number" })
  .int({ error: "expected an integer 1-65535" })
  .min(1, { error: "expected 1-65535" })
  .max(65535, { error: "expected 1-65535" });

const absPath = z
  .string({ error: "expected an absolute path" })
  .refine((p) => p.startsWith("/"), { error: "expected an absolute path (starting with /)" })
  .refine((p) => SAFE_WORD.test(p), { error: `expected a path of ${SAFE_CHARS} only` })
  .refine((p) => !p.split("/").includes(".."), { error: "expected a path without .. segments" })
  .refine((p) => p === "/" || !p.endsWith("/"), { error: "expected a path without a trailing /" });

/** A directory the runtime user is given (tmpfiles creates and chowns it): never a system path. */
const runtimeDir = absPath.superRefine((p, ctx) => {
  const problem = runtimeDirProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: p });
});

/** A port a hardened, unprivileged service can bind. */
const servicePort = port.superRefine((p, ctx) => {
  const problem = servicePortProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: p });
});

const relPath = z
  .string({ error: "expected a path relative to runtime.backendRoot" })
  .refine((p) => !p.startsWith("/"), { error: "expected a relative path (inside runtime.backendRoot)" })
  .refine((p) => SAFE_WORD.test(p), { error: `expected a path of ${SAFE_CHARS} only` })
  .refine((p) => !p.split("/").includes(".."), { error: "expected a path without .. segments" });

const posixName = z
  .string({ error: "expected a user or group name" })
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected a POSIX name matching ^[a-z_][a-z0-9_-]{0,31}$" });

/** A string checked by a rule of rules.ts: its reason becomes the message. */
const ruled = <T extends z.ZodType<string>>(schema: T, problem: (v: string) => string | undefined) =>
  schema.superRefine((v, ctx) => {
    const reason = problem(v);
    if (reason) ctx.addIssue({ code: "custom", message: reason, input: v });
  });

const commandArg = z
  .string({ error: "expected a string" })
  .regex(SAFE_WORD, { error: `expected a plain word of ${SAFE_CHARS} (no spaces, quotes, $, %, ; or other shell/systemd syntax)` });

const command = z
  .array(commandArg, { error: "expected an argv list such as [\"/usr/bin/node\", \"index.js\"]" })
  .min(1, { error: "expected at least the executable" })
  .refine((argv) => argv.length === 0 || argv[0]!.startsWith("/"), { error: "expected argv[0] to be an absolute path" });

const serviceOverride = z.strictObject({
  /** @default true */
  enabled: z.boolean({ error: "expected true or false" }).default(true),
  /** @default the catalog port (model/catalog.ts) */
  port: servicePort.optional(),
  /** @default the catalog working directory */
  workingDir: relPath.optional(),
  /** @default the catalog command */
  command: command.optional(),
  /** Extra startup edges on top of the runbook's. @default [] */
  after: z.array(z.string({ error: "expected a service name" }), { error: "expected a list of service names" }).default([]),
  /**
   * How long a (re)start may take to pass its health gate (health endpoint
   * 200, or still active after the settle time) before `up` rolls it back.
   * @default 30
   */
  healthTimeoutSeconds: z
    .number({ error: "expected a number of seconds" })
    .int({ error: "expected whole seconds 1-600" })
    .min(1, { error: "expected whole seconds 1-600" })
    .max(600, { error: "expected whole seconds 1-600" })
    .optional(),
});

const envValue = z
  .string({ error: "expected a string" })
  .refine((v) => envValueProblem(v) === undefined, { error: "expected no ', newline, CR or NUL (systemd and dotenv would read it differently)" });

/** An S3 endpoint URL: it reaches the env files, so it must read back the same there. */
const endpointUrl = z
  .url({ error: "expected an http(s) URL" })
  .refine((v) => envValueProblem(v) === undefined, { error: "expected no ', newline, CR or NUL (systemd and dotenv would read it differently)" });

const schedule = z
  .string({ error: "expected a cron schedule such as \"15 0 * * *\"" })
  .superRefine((s, ctx) => {
    const problem = scheduleProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: s });
  });

const cronJob = z.strictObject({
  /** @default true for `ml`, false for the others */
  enabled: z.boolean({ error: "expected true or false" }).optional(),
  /** @default "15 0 * * *" for `ml`; required for the others when enabled */
  schedule: schedule.optional(),
});

const bucketName = z
  .string({ error: "expected an S3 bucket name" })
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name (3-63 of a-z 0-9 . -)" });

const retentionDays = z.number({ error: "expected a number of days" }).int({ error: "expected whole days" }).min(1, { error: "expected at least 1 day" });

const s3Common = {
  /** Name of the compact data bucket (S3_COMPACT_BUCKET). */
  compactBucket: bucketName,
  /** Name of the run archive bucket (RUN_ARCHIVE_S3_BUCKET). */
  archiveBucket: bucketName,
  /** RUN_ARCHIVE_ENABLED. @default true */
  archiveEnabled: z.boolean({ error: "expected true or false" }).default(true),
};

const s3 = z.discriminatedUnion(
  "mode",
  [
    z.strictObject({
      /** Create the buckets in AWS with @pulumi/aws (protected: destroy never deletes them). */
      mode: z.literal("create"),
      ...s3Common,
      /** AWS region of the buckets. */
      region: z.string({ error: "expected an AWS region" }).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "expected an AWS region such as eu-west-1" }),
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
    }),
  ],
  { error: "expected mode \"create\" or \"adopt\"" },
);

const hostKey = z
  .string({ error: "expected an OpenSSH public host key" })
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/, {
    error: "expected an OpenSSH public host key line such as \"ssh-ed25519 AAAA...\" (see ssh-keyscan)",
  });

const address = z
  .string({ error: "expected a host name or IP address" })
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/, { error: "expected a host name or IP address" });

export const configSchema = z.strictObject({
  /** The target host's SSH endpoint. */
  host: z.strictObject(
    {
      address,
      /** @default 22 */
      port: port.default(22),
      /** @default "root" */
      user: posixName.default("root"),
      /** Pinned host key. Required unless insecureSkipHostKeyCheck is true. */
      hostKey: hostKey.optional(),
      /** @default false */
      insecureSkipHostKeyCheck: z.boolean({ error: "expected true or false" }).default(false),
      /** Authenticate with the ssh-agent at $SSH_AUTH_SOCK (then quantlab:sshPrivateKey is optional). @default false */
      useAgent: z.boolean({ error: "expected true or false" }).default(false),
      /** A jump host the connection goes through (same key or agent). @default none */
      bastion: z
        .strictObject(
          {
            address,
            /** @default 22 */
            port: port.default(22),
            /** @default "root" */
            user: posixName.default("root"),
            /** Pinned host key of the bastion. */
            hostKey,
          },
          { error: "expected an object with address, port, user, hostKey" },
        )
        .optional(),
    },
    { error: "expected an object with address, port, user, hostKey" },
  ),
  runtime: z
    .strictObject({
      /** Never root, a system account or the SSH login user. @default "deploy" */
      user: ruled(posixName, runtimeUserProblem).default("deploy"),
      /** Never a privileged or shared group (sysusers.d keeps an existing group as it is). @default "deploy" */
      group: ruled(posixName, runtimeGroupProblem).default("deploy"),
      /** @default "/home/deploy" */
      home: runtimeDir.default("/home/deploy"),
      /** @default "/home/deploy/quantlab-backend" */
      backendRoot: runtimeDir.default("/home/deploy/quantlab-backend"),
      /** @default "/opt/quantlab/spool" */
      spoolDir: runtimeDir.default("/opt/quantlab/spool"),
    })
    // Parsed from {} when absent, so each field default above is the only one.
    .prefault({}),
  services: z
    .strictObject(Object.fromEntries(SERVICE_NAMES.map((n) => [n, serviceOverride.optional()])) as Record<
      (typeof SERVICE_NAMES)[number],
      z.ZodOptional<typeof serviceOverride>
    >)
    .default({}),
  env: z
    .strictObject({
      /** EXECUTION_STREAMING_MAXDD. @default false */
      executionStreamingMaxdd: z.boolean({ error: "expected true or false" }).default(false),
      /** EXECUTION_STREAM_FILLS. @default false */
      executionStreamFills: z.boolean({ error: "expected true or false" }).default(false),
      /** EXECUTION_FILLS_STREAM_PATH. @default "/tmp/fills_{ts}.jsonl" */
      executionFillsStreamPath: envValue
        .refine((p) => p.startsWith("/"), { error: "expected an absolute path" })
        .default("/tmp/fills_{ts}.jsonl"),
      /** OBSERVER_MODE. @default true */
      observerMode: z.boolean({ error: "expected true or false" }).default(true),
    })
    .prefault({}),
  s3,
  cron: z.strictObject(Object.fromEntries(CRON_JOB_NAMES.map((n) => [n, cronJob.optional()])) as Record<
    (typeof CRON_JOB_NAMES)[number],
    z.ZodOptional<typeof cronJob>
  >).default({}),
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
            remote: z.string({ error: "expected a git remote" }).superRefine((r, ctx) => {
              const problem = gitRemoteProblem(r);
              if (problem) ctx.addIssue({ code: "custom", message: problem, input: r });
            }),
            /** Branch, tag or full commit id. */
            ref: z.string({ error: "expected a git ref" }).superRefine((r, ctx) => {
              const problem = gitRefProblem(r);
              if (problem) ctx.addIssue({ code: "custom", message: problem, input: r });
            }),
          },
          { error: "expected an object with remote and ref" },
        )
        .optional(),
    })
    .default({}),
});

export type StackConfig = z.infer<typeof configSchema>;
