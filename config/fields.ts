/**
 * The field types of the stack config schema (config/schema.ts): each says
 * what it expects, and every free string has a maximum length, so a value
 * that would overflow a unit, cron or env file line is refused here.
 */
import { z } from "zod";
import { scheduleProblem } from "../model/cron";
import { SAFE_CHARS, SAFE_WORD, envValueProblem } from "../model/values";
import { envPathProblem, runtimeDirProblem, servicePortProblem } from "./rules";

/**
 * Maximum lengths. A path or argv word ends up in unit, tmpfiles and cron
 * lines (cron reads at most 1000 characters of a command), so paths stay
 * far below that.
 */
export const MAX = {
  /** Absolute and relative paths (NAME_MAX-sized: no real runtime path comes near). */
  path: 255,
  /** One argv word. */
  word: 1024,
  /** Words of one argv. */
  argv: 64,
  /** An endpoint URL. */
  url: 512,
  /** A cron schedule (a long list of minutes is about 170). */
  schedule: 200,
  /** An OpenSSH public key line (a 16384-bit RSA key is about 2,800). */
  hostKey: 4096,
  /** A DNS name. */
  address: 253,
  /** An AWS region name. */
  region: 32,
  /** A service or host name. */
  name: 40,
} as const;

/** A string of at most `n` characters; a longer one stops there (no other check reports on it). */
const text = (error: string, n: number) => z.string({ error }).max(n, { error: `expected at most ${n} characters`, abort: true });

/** A string checked by a rule of rules.ts: its reason becomes the message. */
export const ruled = <T extends z.ZodType<string>>(schema: T, problem: (v: string) => string | undefined) =>
  schema.superRefine((v, ctx) => {
    const reason = problem(v);
    if (reason) ctx.addIssue({ code: "custom", message: reason, input: v });
  });

export const bool = () => z.boolean({ error: "expected true or false" });

export const port = z
  .number({ error: "expected a port number" })
  .int({ error: "expected an integer 1-65535" })
  .min(1, { error: "expected 1-65535" })
  .max(65535, { error: "expected 1-65535" });

/** A port a hardened, unprivileged service can bind. */
export const servicePort = port.superRefine((p, ctx) => {
  const problem = servicePortProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: p });
});

export const absPath = text("expected an absolute path", MAX.path)
  .refine((p) => p.startsWith("/"), { error: "expected an absolute path (starting with /)" })
  .refine((p) => SAFE_WORD.test(p), { error: `expected a path of ${SAFE_CHARS} only` })
  .refine((p) => !p.split("/").includes(".."), { error: "expected a path without .. segments" })
  .refine((p) => p === "/" || !p.endsWith("/"), { error: "expected a path without a trailing /" });

/** A directory the runtime user is given (tmpfiles creates and chowns it): never a system path. */
export const runtimeDir = ruled(absPath, runtimeDirProblem);

export const relPath = text("expected a path relative to runtime.backendRoot", MAX.path)
  .refine((p) => !p.startsWith("/"), { error: "expected a relative path (inside runtime.backendRoot)" })
  .refine((p) => SAFE_WORD.test(p), { error: `expected a path of ${SAFE_CHARS} only` })
  .refine((p) => !p.split("/").includes(".."), { error: "expected a path without .. segments" });

export const posixName = z
  .string({ error: "expected a user or group name" })
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected a POSIX name matching ^[a-z_][a-z0-9_-]{0,31}$" });

const commandArg = text("expected a string", MAX.word).regex(SAFE_WORD, {
  error: `expected a plain word of ${SAFE_CHARS} (no spaces, quotes, $, %, ; or other shell/systemd syntax)`,
});

export const command = z
  .array(commandArg, { error: 'expected an argv list such as ["/usr/bin/node", "index.js"]' })
  .min(1, { error: "expected at least the executable" })
  .max(MAX.argv, { error: `expected at most ${MAX.argv} words`, abort: true })
  .refine((argv) => argv.length === 0 || argv[0]!.startsWith("/"), { error: "expected argv[0] to be an absolute path" });

export const serviceNames = (n: number) =>
  z
    .array(text("expected a service name", MAX.name), { error: "expected a list of service names" })
    .max(n, { error: `expected at most ${n} service names` });

export const healthTimeout = z
  .number({ error: "expected a number of seconds" })
  .int({ error: "expected whole seconds 1-600" })
  .min(1, { error: "expected whole seconds 1-600" })
  .max(600, { error: "expected whole seconds 1-600" });

const ENV_QUOTE = "expected no ', newline, CR or NUL (systemd and dotenv would read it differently)";

/** A path the services write, from an env value: `{ts}` is the services' own placeholder. */
export const envPath = text("expected a string", MAX.path)
  .refine((v) => envValueProblem(v) === undefined, { error: ENV_QUOTE, abort: true })
  .refine((p) => p.startsWith("/"), { error: "expected an absolute path", abort: true })
  .refine((p) => /^[A-Za-z0-9_@+=:,./{}-]+$/.test(p), { error: `expected a path of ${SAFE_CHARS} and {ts} only` })
  .refine((p) => !p.split("/").includes(".."), { error: "expected a path without .. segments" })
  .refine((p) => !p.endsWith("/"), { error: "expected a path without a trailing /" })
  .superRefine((p, ctx) => {
    const problem = envPathProblem(p);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: p });
  });

/** An S3 endpoint URL: it reaches the env files, so it must read back the same there. */
export const endpointUrl = z
  .string({ error: "expected an http(s) URL" })
  .max(MAX.url, { error: `expected at most ${MAX.url} characters`, abort: true })
  .pipe(z.url({ error: "expected an http(s) URL" }))
  .refine((v) => envValueProblem(v) === undefined, { error: ENV_QUOTE });

export const schedule = ruled(text('expected a cron schedule such as "15 0 * * *"', MAX.schedule), scheduleProblem);

export const bucketName = z
  .string({ error: "expected an S3 bucket name" })
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name (3-63 of a-z 0-9 . -)" });

export const region = text("expected an AWS region", MAX.region).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, {
  error: "expected an AWS region such as eu-west-1",
});

export const retentionDays = z
  .number({ error: "expected a number of days" })
  .int({ error: "expected whole days" })
  .min(1, { error: "expected at least 1 day" });

export const hostKey = text("expected an OpenSSH public host key", MAX.hostKey).regex(
  /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/,
  {
    error: 'expected an OpenSSH public host key line such as "ssh-ed25519 AAAA..." (see ssh-keyscan)',
  },
);

export const address = text("expected a host name or IP address", MAX.address).regex(/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/, {
  error: "expected a host name or IP address",
});

/** A whole number, `min` or more. */
export const count = (min: number, error: string) => z.number({ error }).int({ error }).min(min, { error });
