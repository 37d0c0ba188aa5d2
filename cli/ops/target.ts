/**
 * What every operations command works on: the stack's config (decrypted,
 * validated), its host plan, and the pooled SSH connection with the pinned
 * host key, exactly as the host provider opens it.
 */
import type { StackConfig } from "../../config/schema";
import { parseStackConfig } from "../../config/parse";
import { planHost, type HostPlan, type PlannedUnit } from "../../hostfiles/plan";
import type { TokenName } from "../../model/catalog";
import type { Model } from "../../model/model";
import { connectionFromConfig } from "../../provider/context";
import { connect, type SshConnection } from "../../provider/ssh";
import { decryptedConfig, type OpenStack } from "../engine";
import { OpsUsageError } from "./args";

export interface Target {
  readonly host: SshConnection;
  readonly config: StackConfig;
  readonly model: Model;
  readonly plan: HostPlan;
  readonly tokens: Readonly<Partial<Record<TokenName, string>>>;
}

export async function openTarget(o: OpenStack): Promise<Target> {
  const all = await decryptedConfig(o);
  const { config, model, secrets } = parseStackConfig(all);
  const conn = connectionFromConfig((k) => all[k]);
  const host = await connect(conn.target, conn.credentials);
  return { host, config, model, plan: planHost(model, secrets.tokens), tokens: secrets.tokens };
}

/** The enabled services named, in startup order; an unknown or disabled name is a usage error listing the enabled ones. */
export function pickUnits(plan: HostPlan, names: readonly string[], command: string): PlannedUnit[] {
  const known = plan.units.map((u) => u.service as string);
  for (const n of names) {
    if (!known.includes(n)) throw new OpsUsageError(`${command}: "${n}" is not an enabled service of this stack (enabled: ${known.join(", ")})`);
  }
  return names.length === 0 ? [...plan.units] : plan.units.filter((u) => names.includes(u.service));
}

/** The token value a unit's health probe sends, if it wants one. */
export const probeToken = (t: Pick<Target, "tokens">, u: PlannedUnit): string | undefined => (u.health?.token ? t.tokens[u.health.token] : undefined);

/** Runs a script on the host and fails with its stderr when it exits non-zero. */
export async function must(t: Pick<Target, "host">, what: string, script: string, stdin = ""): Promise<string> {
  const r = await t.host.exec(script, stdin);
  if (r.code !== 0) throw new Error(`${what}: ${(r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).split("\n").slice(-30).join("\n")}`);
  return r.stdout;
}
