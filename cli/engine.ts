/**
 * The stack as the operator command drives it: the Automation API in inline
 * mode (the program runs in this process; no language host), the pinned
 * Pulumi CLI from .tools/bin (built from Go modules on first use), and a
 * local file backend inside the project unless PULUMI_BACKEND_URL is set.
 *
 * A sandbox stack lives entirely in .sandbox/<stack>/: the host, a stack
 * config made from the base config plus the sandbox's address, host key,
 * SSH key and random tokens (secrets encrypted, never in a tracked file),
 * its passphrase (0600) and its own backend.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type * as Pulumi from "@pulumi/pulumi";
import type * as Automation from "@pulumi/pulumi/automation";
import type { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import type * as Semver from "semver";
import { PROVIDER_ENV } from "../provider/stub";
import { HANDSHAKES_ENV } from "../host/handshakes";
import { configFromCliJson, type CliConfig } from "../config/cliJson";
import { decryptStackFile, passphraseFromEnv } from "../config/passphrase";
import { PROJECT, ROOT, STATE_DIR, TOOLS_BIN, TOOLS_DIR, sandboxDir } from "./paths";
import { must, run } from "./run";
import { readDoc, sandboxHosts, sandboxPassphrase, sandboxSecrets, writeSandboxConfig, type SandboxHosts } from "./sandboxStack";
import { PULUMI, ensureToolchain } from "./toolchain";

/*
 * The SDK and the program load on first use, not with the command (about 0.17 s of imports on one core): openStack
 * starts the stack file's key derivation first (PBKDF2 with a million rounds, about 0.25 s on libuv's thread pool), and
 * they load meanwhile.
 */
const sdk = (): typeof Pulumi => require("@pulumi/pulumi") as typeof Pulumi;
const automation = (): typeof Automation => require("@pulumi/pulumi/automation") as typeof Automation;

export interface StackOptions {
  readonly stack: string;
  /** Base stack config. @default Pulumi.<stack>.yaml in the project root */
  readonly configFile?: string;
  /** Boot or reuse the sandbox host(s) in .sandbox/<stack> and target them. @default false */
  readonly sandbox?: boolean;
  /** The command reads the decrypted config next: its decryption starts at once. @default false */
  readonly decrypts?: boolean;
}

export interface OpenStack {
  readonly stack: Stack;
  /** The stack config file the engine reads. */
  readonly configFile: string;
  readonly workDir: string;
  readonly env: Record<string, string>;
  /** The sandbox host(s) it targets, with --sandbox. */
  readonly sandboxes?: SandboxHosts;
}

function baseEnv(backendDir: string, passphrase: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${TOOLS_BIN}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(TOOLS_DIR, "pulumi-home"),
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${backendDir}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The host provider the resources' stubs load (provider/stub.ts): this project's compiled one.
    [PROVIDER_ENV]: path.join(ROOT, "dist", "provider", "index.js"),
    // The handshake slots every provider process of a run shares (host/handshakes.ts).
    [HANDSHAKES_ENV]: path.join(backendDir, "..", ".handshakes"),
  };
  const nodeOptions = providerNodeOptions(process.env.NODE_OPTIONS, path.join(ROOT, "dist", "provider", "preload.js"));
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  if (passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = passphrase;
  if (env.PULUMI_BACKEND_URL === `file://${backendDir}`) fs.mkdirSync(backendDir, { recursive: true });
  return env;
}

/**
 * NODE_OPTIONS for the host provider's process (the engine passes its environment on to its plugins): the
 * operator's own, then `--require` of provider/preload.ts. A path NODE_OPTIONS cannot quote (one with `"` or `\`)
 * is left out, and the provider starts as the SDK ships it.
 */
export function providerNodeOptions(inherited: string | undefined, preload: string): string | undefined {
  const own = /["\\]/.test(preload) ? [] : [`--require "${preload}"`];
  const all = [inherited?.trim() ?? "", ...own].filter((o) => o !== "");
  return all.length ? all.join(" ") : undefined;
}

/** Sets a secret through the CLI with the value on stdin (the Automation API would put it in argv). */
export async function setSecret(
  o: { workDir: string; env: Record<string, string>; stack: string | Stack; configFile: string },
  key: string,
  value: string,
): Promise<void> {
  const stack = typeof o.stack === "string" ? o.stack : o.stack.name;
  await must(PULUMI, ["config", "set", "--secret", "--path", key, "--stack", stack, "--config-file", o.configFile, "--non-interactive"], {
    input: value,
    cwd: o.workDir,
    env: { ...process.env, ...o.env },
  });
}

export async function openStack(opts: StackOptions): Promise<OpenStack> {
  const base = path.resolve(opts.configFile ?? path.join(ROOT, `Pulumi.${opts.stack}.yaml`));
  if (!fs.existsSync(base)) throw new Error(`no stack config for "${opts.stack}": ${base} does not exist`);
  await ensureToolchain();

  let workDir = ROOT;
  let configFile = base;
  let env: Record<string, string>;
  let sandboxes: SandboxHosts | undefined;
  if (opts.sandbox) {
    workDir = sandboxDir(opts.stack);
    sandboxes = await sandboxHosts(workDir, readDoc(base));
    env = baseEnv(path.join(workDir, "state"), sandboxPassphrase(workDir));
    configFile = path.join(workDir, `Pulumi.${opts.stack}.yaml`);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));
    writeSandboxConfig(readDoc(base), configFile, sandboxes);
  } else {
    if (base !== path.join(ROOT, `Pulumi.${opts.stack}.yaml`)) {
      throw new Error(
        `--config-file: outside --sandbox the stack's config is Pulumi.${opts.stack}.yaml in ${ROOT} (Pulumi keeps the stack's secrets salt there)`,
      );
    }
    if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
      throw new Error("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's secrets passphrase");
    }
    env = baseEnv(STATE_DIR, undefined);
  }

  // The key derivation starts before the SDK and the program load (see `sdk` above).
  const reading = opts.decrypts ? readStackFile({ configFile, workDir, env }) : undefined;
  const { runProgram } = await import("../program");
  const program = async () => {
    const out = runProgram(sdk().runtime.allConfig(), ROOT);
    return { units: out.units, healthUrls: out.healthUrls, buckets: out.buckets, startupLevels: out.startupLevels };
  };
  // The workspace's project is workDir's Pulumi.yaml (the project root's, or its copy in the sandbox directory).
  const workspace = await automation().LocalWorkspace.create({ program, workDir, envVars: env, pulumiCommand: pinnedCommand() });
  const stack = await selectStack(workspace, opts.stack, env.PULUMI_BACKEND_URL!);
  skipResultQueries(stack);

  if (sandboxes) {
    const o = { workDir, env, stack: opts.stack, configFile };
    await sandboxSecrets(configFile, workDir, sandboxes, (k, v) => setSecret(o, k, v), readDoc(base));
  }
  const o: OpenStack = { stack, configFile, workDir, env, ...(sandboxes ? { sandboxes } : {}) };
  // The early reading stands unless sandboxSecrets rewrote the file meanwhile (decryptedStackConfig then reads it again).
  if (reading?.stamp === stampOf(configFile)) decryption(o, reading);
  return o;
}

/**
 * The pinned CLI as the Automation API drives it. PulumiCommand.get() would run `pulumi version` (half a second) to
 * learn a version the toolchain pins: the CLI in .tools/bin is the SDK's version (scripts/pulumi-toolchain.sh builds
 * or accepts only that one).
 */
function pinnedCommand(): PulumiCommand {
  const { version } = require("@pulumi/pulumi/version") as { version: string };
  const { SemVer } = require("semver") as typeof Semver;
  return Reflect.construct(automation().PulumiCommand, [PULUMI, new SemVer(version)]) as PulumiCommand;
}

/**
 * The stack, created when the backend has none of that name. A stack the file backend already holds is taken as it
 * is: every command names it with --stack, so `pulumi stack select` (half a second, to record a selection nothing
 * reads) is skipped.
 */
async function selectStack(workspace: LocalWorkspace, name: string, backendUrl: string): Promise<Stack> {
  const dir = backendUrl.startsWith("file://") ? path.join(backendUrl.slice("file://".length), ".pulumi", "stacks", PROJECT) : undefined;
  const held = dir !== undefined && [".json", ".json.gz"].some((ext) => fs.existsSync(path.join(dir, `${name}${ext}`)));
  const { Stack } = automation();
  if (!held) return Stack.createOrSelect(name, workspace);
  const selectStackCommand = workspace.selectStack;
  workspace.selectStack = async () => {};
  try {
    return await Stack.select(name, workspace);
  } finally {
    workspace.selectStack = selectStackCommand;
  }
}

/**
 * The Automation API ends every up, refresh and destroy with `pulumi stack output` (twice, the
 * second with --show-secrets) and `pulumi stack history`, about 1.4 s of CLI runs whose results
 * this command never reads: it reports from the run's own events. Those two queries answer
 * empty here, so no plaintext output is fetched either.
 */
function skipResultQueries(stack: Stack): void {
  Object.assign(stack, { outputs: async () => ({}), info: async () => undefined });
}

/** The stack file as read at `stamp`, and its decryption in this process (undefined when the CLI must answer). */
interface Reading {
  readonly stamp: string;
  readonly text: string;
  readonly fast: Promise<CliConfig | undefined>;
}

const decrypted = new WeakMap<OpenStack, { stamp: string; config: Promise<CliConfig> }>();

const stampOf = (file: string): string => {
  const st = fs.statSync(file);
  return `${st.mtimeMs}:${st.size}`;
};

/** Reads the stack file and starts its decryption in this process (config/passphrase.ts): the key derivation runs on libuv's pool. */
function readStackFile(o: Pick<OpenStack, "configFile" | "workDir" | "env">): Reading {
  const stamp = stampOf(o.configFile);
  const text = fs.readFileSync(o.configFile, "utf8");
  const fast = (async () => {
    const passphrase = passphraseFromEnv({ ...process.env, ...o.env }, (p) => fs.readFileSync(path.resolve(o.workDir, p), "utf8"));
    return decryptStackFile(text, passphrase, PROJECT);
  })();
  fast.catch(() => undefined); // its error is the decryption's, reported where that is awaited
  return { stamp, text, fast };
}

/** The stack config with secrets decrypted, as the program sees it (kept in memory; one CLI call per command unless the file changes). */
export async function decryptedConfig(o: OpenStack): Promise<Record<string, string>> {
  return (await decryptedStackConfig(o)).values;
}

/** decryptedConfig's values, and the keys the stack file stores encrypted (for parseStackConfig's plaintext check). */
export function decryptedStackConfig(o: OpenStack): Promise<CliConfig> {
  const cached = decrypted.get(o);
  if (cached?.stamp === stampOf(o.configFile)) return cached.config;
  return decryption(o, readStackFile(o));
}

/** The reading's decryption, kept for `o` (the CLI answers where this process cannot; the stack exists by then). */
function decryption(o: OpenStack, reading: Reading): Promise<CliConfig> {
  const config = reading.fast.then((fast) => fast ?? decryptedByCli(o, reading.text));
  decrypted.set(o, { stamp: reading.stamp, config });
  config.catch(() => decrypted.delete(o));
  return config;
}

/** The CLI's decryption, whose word and errors stand where config/passphrase.ts cannot answer. */
async function decryptedByCli(o: OpenStack, text: string): Promise<CliConfig> {
  const r = await run(PULUMI, ["config", "--show-secrets", "--json", "--stack", o.stack.name, "--config-file", o.configFile], {
    cwd: o.workDir,
    env: { ...process.env, ...o.env },
  });
  if (r.code !== 0) throw new Error(`pulumi config: ${r.stderr.trim()}`);
  return configFromCliJson(r.stdout, text);
}
