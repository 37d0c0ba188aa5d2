/**
 * `quantlab validate`: the stack file checked with no host and no engine
 * run. Its secrets are decrypted into memory only, with the stack's
 * passphrase: in this process (config/passphrase.ts), or, for what that
 * declines, by the pinned CLI in a throwaway workspace with an empty
 * backend. parseStackConfig then lists every problem at once.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configFromCliJson, type CliConfig } from "../config/cliJson";
import { decryptStackFile, passphraseFromEnv } from "../config/passphrase";
import { ConfigError, parseStackConfig, type ParsedStack } from "../config/parse";
import { PROJECT, ROOT, TOOLS_BIN, TOOLS_DIR, sandboxDir } from "./paths";
import { run } from "./run";
import { PULUMI, ensureToolchain } from "./toolchain";

export interface ValidateOptions {
  readonly stack: string;
  readonly sandbox?: boolean;
  readonly configFile?: string;
}

export type Validation = { readonly file: string } & (
  { readonly ok: true; readonly parsed: ParsedStack } | { readonly ok: false; readonly problems: readonly string[] }
);

/** The stack file validate reads, and the passphrase that opens it (undefined: from the environment). */
export function validatedFile(opts: ValidateOptions): { file: string; passphrase?: string } {
  const base = path.resolve(opts.configFile ?? path.join(ROOT, `Pulumi.${opts.stack}.yaml`));
  if (opts.sandbox) {
    const dir = sandboxDir(opts.stack);
    const generated = path.join(dir, `Pulumi.${opts.stack}.yaml`);
    const secret = path.join(dir, "passphrase");
    if (fs.existsSync(generated))
      return { file: generated, ...(fs.existsSync(secret) ? { passphrase: fs.readFileSync(secret, "utf8").trim() } : {}) };
  }
  return { file: base };
}

const SECURE = /^\s*secure: /m;

/** The stack file's config as allConfig() would give it (secrets decrypted), read in a throwaway workspace. */
export async function readStackFile(stack: string, file: string, passphrase?: string): Promise<Record<string, string>> {
  return (await readStackConfig(stack, file, passphrase)).values;
}

/** readStackFile's values, and the keys the file stores encrypted. */
export async function readStackConfig(stack: string, file: string, passphrase?: string): Promise<CliConfig> {
  if (!fs.existsSync(file)) throw new Error(`no stack config for "${stack}": ${file} does not exist`);
  const text = fs.readFileSync(file, "utf8");
  const pass = passphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE;
  const passFile = passphrase === undefined ? process.env.PULUMI_CONFIG_PASSPHRASE_FILE : undefined;
  if (SECURE.test(text) && pass === undefined && passFile === undefined) {
    throw new Error(
      `${file} holds encrypted secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's secrets passphrase`,
    );
  }
  const source = passphrase === undefined ? process.env : { PULUMI_CONFIG_PASSPHRASE: passphrase };
  const fast = await decryptStackFile(
    text,
    passphraseFromEnv(source, (p) => fs.readFileSync(p, "utf8")),
    PROJECT,
  );
  if (fast !== undefined) return fast;
  // What the fast path leaves (another secrets provider, a wrong passphrase, YAML it does not read alike): the CLI.
  await ensureToolchain();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-validate-"));
  try {
    fs.mkdirSync(path.join(work, "state"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(work, "Pulumi.yaml"));
    fs.writeFileSync(path.join(work, `Pulumi.${stack}.yaml`), text, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${TOOLS_BIN}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: path.join(TOOLS_DIR, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      // A file without secrets needs no passphrase; any one opens its (empty) secrets.
      PULUMI_CONFIG_PASSPHRASE: pass ?? (passFile === undefined ? "quantlab-validate" : ""),
    };
    if (pass !== undefined || passFile === undefined) delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
    else delete env.PULUMI_CONFIG_PASSPHRASE;
    const init = await run(PULUMI, ["stack", "init", stack, "--non-interactive"], { cwd: work, env });
    if (/incorrect passphrase/.test(init.stderr)) throw new Error(`cannot decrypt ${file}: incorrect passphrase`);
    if (init.code !== 0) throw new Error(`cannot open ${file}: ${init.stderr.trim()}`);
    const r = await run(PULUMI, ["config", "--show-secrets", "--json", "--stack", stack], { cwd: work, env });
    if (r.code !== 0) throw new Error(`cannot read ${file}: ${r.stderr.trim().replace(/^error: /, "")}`);
    return configFromCliJson(r.stdout, text);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export async function validate(opts: ValidateOptions): Promise<Validation> {
  const { file, passphrase } = validatedFile(opts);
  const { values, secretKeys } = await readStackConfig(opts.stack, file, passphrase);
  try {
    return { file, ok: true, parsed: parseStackConfig(values, { secretKeys }) };
  } catch (e) {
    if (e instanceof ConfigError) return { file, ok: false, problems: e.problems };
    throw e;
  }
}

/** What validate prints. */
export function validationText(v: Validation): string {
  if (v.ok) {
    const { model } = v.parsed;
    return `${v.file}: valid (${model.services.length} services, ${model.cronJobs.length} cron jobs)`;
  }
  return `${v.file}: invalid stack config (${v.problems.length} problem${v.problems.length === 1 ? "" : "s"}):\n${v.problems.map((p) => `  - ${p}`).join("\n")}`;
}
