/**
 * What the commands work on: the stack (opened, its config decrypted and
 * validated: the package's own error before the engine or a host is
 * touched) and its hosts, each with its plan and a session over its pooled
 * SSH connection, the host key pinned exactly as its provider pins it.
 */
import { parseStackConfig, type ParsedHost, type ParsedStack } from "../config/parse";
import { planHost, type HostPlan } from "../hostfiles/plan";
import { HostSession } from "../host/session";
import { connect } from "../host/ssh";
import type { TokenName } from "../model/catalog";
import { usageError, type Invocation } from "./args";
import { SINGLE_HOST_LABEL } from "../config/fleet";
import { decryptedStackConfig, openStack, type OpenStack } from "./engine";

export interface Target {
  /** The host's name (`host` in a single-host stack). */
  readonly name: string;
  /** How lines name it: its name in a fleet, its address otherwise. */
  readonly label: string;
  /** The name its resources carry (`<resource>:<path>`): its name in a fleet, `quantlab` otherwise. */
  readonly resource: string;
  readonly host: ParsedHost;
  readonly plan: HostPlan;
  readonly session: HostSession;
}

export interface StackContext {
  readonly o: OpenStack;
  readonly all: Readonly<Record<string, string>>;
  readonly parsed: ParsedStack;
  /** The hosts the command works on (all, or the one --host names). */
  readonly targets: readonly Target[];
  readonly fleet: boolean;
  readonly tokens: Readonly<Partial<Record<TokenName, string>>>;
}

/** The stack's config, decrypted and validated. */
export async function parsedStack(o: OpenStack): Promise<{ all: Record<string, string>; parsed: ParsedStack }> {
  const { values: all, secretKeys } = await decryptedStackConfig(o);
  return { all, parsed: parseStackConfig(all, { secretKeys }) };
}

/** A session to a host of the parsed stack (no connection opened until the first script). */
export function sessionTo(parsed: ParsedStack, all: Readonly<Record<string, string>>, h: ParsedHost, label: string): HostSession {
  const t = h.target;
  const tokens = Object.values(parsed.secrets.tokens).filter((v): v is string => typeof v === "string");
  return new HostSession(
    () =>
      connect(
        {
          address: t.address,
          port: t.port,
          user: t.user,
          hostKey: t.insecureSkipHostKeyCheck ? undefined : t.hostKey,
          ...(t.bastion ? { bastion: t.bastion } : {}),
        },
        {
          privateKey: parsed.secrets.sshPrivateKey || undefined,
          passphrase: all["quantlab:sshKeyPassphrase"] || undefined,
          agent: t.useAgent ? process.env.SSH_AUTH_SOCK : undefined,
        },
      ),
    label,
    () => tokens,
  );
}

/** Opens the stack the invocation names and the hosts it works on. */
export async function stackContext(inv: Invocation, opts: { needsOneHost?: string } = {}): Promise<StackContext> {
  const commands = inv.commands;
  const o = await openStack({
    stack: inv.stack,
    sandbox: inv.sandbox,
    decrypts: true,
    ...(inv.configFile ? { configFile: inv.configFile } : {}),
  });
  const { all, parsed } = await parsedStack(o);
  const fleet = all["quantlab:hosts"] !== undefined;
  const names = parsed.hosts.map((h) => h.name);
  if (inv.host !== undefined && !names.includes(inv.host))
    throw usageError(`--host: "${inv.host}" is not a host of stack ${inv.stack} (hosts: ${names.join(", ")})`, commands);
  if (opts.needsOneHost && parsed.hosts.length > 1 && inv.host === undefined)
    throw usageError(
      `${opts.needsOneHost}: the stack has ${parsed.hosts.length} hosts: name one with --host (${names.join(", ")})`,
      commands,
    );
  const chosen = parsed.hosts.filter((h) => inv.host === undefined || h.name === inv.host);
  const targets = chosen.map((h): Target => {
    const label = fleet ? h.name : h.target.address;
    return {
      name: h.name,
      label,
      resource: fleet ? h.name : SINGLE_HOST_LABEL,
      host: h,
      plan: planHost(h.model, parsed.secrets.tokens, parsed.secrets.s3),
      session: sessionTo(parsed, all, h, label),
    };
  });
  return { o, all, parsed, targets, fleet, tokens: parsed.secrets.tokens };
}

/** The token value a unit's health probe sends, if it wants one. */
export const probeToken = (tokens: StackContext["tokens"], u: { readonly health?: { readonly token?: TokenName } }): string | undefined =>
  u.health?.token ? tokens[u.health.token] : undefined;
