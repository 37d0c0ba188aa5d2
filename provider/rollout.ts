/**
 * A HostService's rollout: (re)start behind the health gate; when the gate
 * passes, the files it read become its last good version; when it fails,
 * those files go back to the last good version, the service restarts on
 * them and must pass again, and the update fails with the service, what
 * changed and its journal. The failed update leaves the engine's record of
 * the service as it was, and the files restored on the host read back as
 * drift on the next refresh, so the next `up` tries the change again.
 */
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from "../model/model";
import { run, secretValues, tokenValue } from "./context";
import { gateScript, parseGate, recordGoodScript, restoreGoodScript, SETTLE_SECONDS, type GateResult } from "./gate";
import { bearer, type HealthProbe } from "./scripts";

export interface RolloutTarget {
  readonly host: string;
  readonly unit: string;
  /** path -> sha-256 of the version to start. */
  readonly reads: Readonly<Record<string, string>>;
  readonly probe?: { readonly url: string; readonly token?: string };
  /** @default 30 */
  readonly healthTimeoutSeconds?: number;
}

export type Rollback =
  | { readonly restored: readonly string[]; readonly again: GateResult }
  | { readonly impossible: string };

export interface RolloutFailure {
  readonly resource: string;
  readonly address: string;
  /** Why the new version failed (gateScript's reason). */
  readonly reason: string;
  /** What differs from the version that ran before (paths, "code", or why it restarted). */
  readonly changed: readonly string[];
  /** The unit's journal right after the new version failed. */
  readonly journal: readonly string[];
  readonly rollback: Rollback;
}

const indent = (lines: readonly string[]) => lines.map((l) => `  ${l}`);

/** The error an operator reads when a rollout fails: pure, so its whole text is tested. */
export function failureText(f: RolloutFailure): string {
  const rb = f.rollback;
  const rollback =
    "impossible" in rb
      ? [`not rolled back: ${rb.impossible}`]
      : rb.again.passed
        ? [
            `rolled back: ${rb.restored.length ? `restored ${rb.restored.join(", ")}` : "no file differed from the last good version"}; ` +
              `the last good version passed its health gate again (${(rb.again.ms / 1000).toFixed(1)} s)`,
            "the next `up` tries this change again: fix the config (or the code) first",
          ]
        : [
            `rolled back: ${rb.restored.length ? `restored ${rb.restored.join(", ")}` : "no file differed from the last good version"}; ` +
              `but the last good version FAILED its health gate too: ${rb.again.reason}`,
          ];
  return [
    `${f.resource} on ${f.address}: failed its health gate: ${f.reason}`,
    `changed: ${f.changed.length ? f.changed.join(", ") : "nothing (restarted because it was down or unhealthy)"}`,
    ...rollback,
    `last ${f.journal.length} journal lines:`,
    ...indent(f.journal),
  ].join("\n");
}

/** Replaces every secret value in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => t.split(s).join("[redacted]"), text);
}

function gate(t: Pick<RolloutTarget, "host" | "unit" | "probe" | "healthTimeoutSeconds">, resource: string, how: "restart" | "start", expect?: Readonly<Record<string, string>>): Promise<GateResult> {
  const token = t.probe?.token ? tokenValue(t.probe.token, resource) : undefined;
  const probe: HealthProbe | undefined = t.probe ? { url: t.probe.url, withToken: token !== undefined } : undefined;
  const script = gateScript({
    unit: t.unit,
    how,
    ...(probe ? { probe } : {}),
    timeoutSeconds: t.healthTimeoutSeconds ?? DEFAULT_HEALTH_TIMEOUT_SECONDS,
    settleSeconds: SETTLE_SECONDS,
    ...(expect ? { expect } : {}),
  });
  return run(t.host, resource, script, bearer(token)).then(parseGate);
}

/**
 * (Re)starts `t` and waits for its gate; records its files as good when it
 * passes; rolls back and throws when it fails. `before` is what ran until
 * now (its probe gates the rolled-back version; its files go back too).
 */
export async function rollout(
  t: RolloutTarget,
  resource: string,
  how: "restart" | "start",
  changed: readonly string[],
  before?: Pick<RolloutTarget, "reads" | "probe">,
): Promise<void> {
  const result = await gate(t, resource, how, t.reads);
  if (result.passed) {
    await run(t.host, resource, recordGoodScript(t.unit, t.reads));
    return;
  }
  let rollback: Rollback;
  try {
    const paths = [...new Set([...Object.keys(before?.reads ?? {}), ...Object.keys(t.reads)])];
    const out = await run(t.host, resource, restoreGoodScript(t.unit, paths));
    const restored = out.split("\n").flatMap((l) => (l.startsWith("restored ") ? [l.slice("restored ".length)] : []));
    // The version that comes back answers where it answered before.
    const probe = before ? before.probe : t.probe;
    rollback = { restored, again: await gate({ host: t.host, unit: t.unit, healthTimeoutSeconds: t.healthTimeoutSeconds, probe }, resource, "restart") };
  } catch (e) {
    rollback = { impossible: (e as Error).message.replace(`${resource} on ${t.host}: `, "") };
  }
  const text = failureText({ resource, address: t.host, reason: result.reason, changed, journal: result.journal, rollback });
  throw new Error(redact(text, secretValues()));
}
