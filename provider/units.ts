/** The host plan's units as the rollout sees them (startup level, probe, deadline, the files they read). */
import type { HostPlan } from "../hostfiles/plan";
import type { RolloutUnit } from "../host/rollout";

export function planUnits(plan: HostPlan): RolloutUnit[] {
  const level = new Map(plan.levels.flatMap((services, i) => services.map((s) => [s as string, i] as const)));
  return plan.units.map((u) => ({
    unit: u.unit,
    service: u.service,
    level: level.get(u.service) ?? 0,
    ...(u.health ? { probe: { url: u.health.url, ...(u.health.token ? { token: u.health.token } : {}) } } : {}),
    timeoutSeconds: u.healthTimeoutSeconds,
    reads: u.reads,
  }));
}

export const rolloutUnits = (c: { readonly plan: HostPlan }): RolloutUnit[] => planUnits(c.plan);
