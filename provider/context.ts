/**
 * The provider's view of its host. Each host of a stack has its own
 * provider resource (components/host.ts), configured with that host's
 * single-host config and the stack's secrets: configure() parses them with
 * the package's own parser (the same rules as the program), plans the host,
 * and keeps it for the process (one provider process serves one host). The
 * SSH key stays in memory; resources carry no connection details, so a
 * rotated key, a re-pinned host key or a moved address needs no resource
 * change.
 */
import { withSecrets } from "../config/hostconfig";
import { parseStackConfig, type ParsedStack } from "../config/parse";
import { planHost, type HostPlan } from "../hostfiles/plan";
import { daemonReloader } from "../host/reload";
import { HostSession } from "../host/session";
import { connect } from "../host/ssh";
import type { TokenName } from "../model/catalog";

export interface HostProviderConfig {
  /** JSON of the host's `quantlab:*` config map (config/hostconfig.ts), no secrets. */
  readonly config: string;
  /** JSON of the secret `quantlab:*` keys (tokens, SSH key and its passphrase). */
  readonly secrets: string;
  /** `<project>/<stack>`: who owns the host. */
  readonly stack: string;
}

export interface HostContext {
  readonly parsed: ParsedStack;
  readonly plan: HostPlan;
  /** `<project>/<stack>` */
  readonly stack: string;
  /** How messages name the host. */
  readonly label: string;
  /** The project directory (for code.localDir). */
  readonly projectDir: string;
  /** A host of a fleet of several: a failure is recorded and reported (the wave's barrier counts it), not thrown. */
  readonly softFailures: boolean;
  readonly session: HostSession;
  /**
   * Runs a unit file's write, then asks for systemd's daemon-reload without waiting for it: the reload is shared by
   * the unit files of the run and starts once those in flight are written (host/reload.ts). A unit file is done once
   * it is written (and verified), so the env file after it need not wait for PID 1; what starts a unit waits for
   * `loaded()`.
   */
  writeUnit(write: () => Promise<unknown>): Promise<void>;
  /** Once the unit files written so far are loaded (rejects with systemd's error when the last reload failed). */
  loaded(): Promise<void>;
  /** The value of a bearer token, for a health probe. */
  token(name: string): string;
  /** Every secret value (tokens, the S3 secret key), for redaction. */
  secrets(): string[];
}

const KEY = Symbol.for("quantlab-infra.host-context");
/** The context, and the inputs it was made from (kept in memory only, as the context's own secrets are). */
type Holder = { [KEY]?: { readonly context: HostContext; readonly made: string } };

function parseInputs(raw: Record<string, unknown>): HostProviderConfig {
  const get = (k: string): string => {
    const v = raw[k];
    if (typeof v !== "string")
      throw new Error(
        `quantlab host provider: its configuration lacks "${k}" (a stack deployed by an older version: run \`npx quantlab up\` once)`,
      );
    return v;
  };
  return { config: get("config"), secrets: get("secrets"), stack: get("stack") };
}

/**
 * Called by the stub's configure() with the provider resource's inputs. The SDK configures each kind's provider on
 * its first request, so a process is configured once per kind it serves, with the same inputs: the host is parsed
 * and planned once, and every kind shares its session (one connection, one snapshot) and its daemon-reload.
 */
export function configure(raw: Record<string, unknown>, projectDir: string): void {
  const inputs = parseInputs(raw);
  const made = JSON.stringify([inputs.config, inputs.secrets, inputs.stack, projectDir]);
  const held = (globalThis as Holder)[KEY];
  if (held?.made === made) return;
  const all = withSecrets(JSON.parse(inputs.config) as Record<string, string>, JSON.parse(inputs.secrets) as Record<string, string>);
  const parsed = parseStackConfig(all);
  const plan = planHost(parsed.model, parsed.secrets.tokens, parsed.secrets.s3);
  const target = parsed.config.host;
  const label = target.address;
  const tokens = parsed.secrets.tokens as Readonly<Partial<Record<TokenName, string>>>;
  const secrets = (): string[] =>
    [...Object.values(tokens), parsed.secrets.s3?.secretAccessKey].filter((v): v is string => typeof v === "string" && v.length > 0);
  const ssh = {
    address: target.address,
    port: target.port,
    user: target.user,
    hostKey: target.insecureSkipHostKeyCheck ? undefined : target.hostKey,
    ...(target.bastion ? { bastion: target.bastion } : {}),
  };
  const credentials = {
    privateKey: parsed.secrets.sshPrivateKey || undefined,
    passphrase: all["quantlab:sshKeyPassphrase"] || undefined,
    agent: target.useAgent ? process.env.SSH_AUTH_SOCK : undefined,
  };
  const session = new HostSession(() => connect(ssh, credentials), label, secrets);
  const reloader = daemonReloader(session);
  const context: HostContext = {
    parsed,
    plan,
    stack: inputs.stack,
    label,
    projectDir,
    softFailures: all["quantlab:rollout"] !== undefined,
    session,
    writeUnit: reloader.write,
    loaded: reloader.loaded,
    token(name) {
      const value = tokens[name as TokenName];
      if (!value) throw new Error(`quantlab:tokens.${name} is not set`);
      return value;
    },
    secrets,
  };
  (globalThis as Holder)[KEY] = { context, made };
}

/** The host this provider process serves. */
export function context(): HostContext {
  const c = (globalThis as Holder)[KEY]?.context;
  if (!c) throw new Error("quantlab host provider: not configured (no provider configuration)");
  return c;
}
