/**
 * The health table `up` prints: each enabled unit's state and health as the
 * run that just ended saw it (the service resources' outputs from its
 * events), so it opens no connection of its own.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { PlannedUnit } from "../hostfiles/plan";
import type { StackContext } from "./context";
import { serviceOutputs } from "./outcome";
import { table } from "./table";

export interface HealthRow {
  readonly host?: string;
  readonly service: string;
  readonly unit: string;
  /** active | inactive */
  readonly state: string;
  /** HTTP status, or "-" without an endpoint. */
  readonly health: string;
  readonly url?: string;
  readonly ok: boolean;
}

export function healthRow(u: PlannedUnit, state: { active: boolean; health?: string }, host?: string): HealthRow {
  const health = u.health ? (state.health ?? "no answer") : "-";
  return {
    ...(host ? { host } : {}),
    service: u.service,
    unit: u.unit,
    state: state.active ? "active" : "inactive",
    health,
    url: u.health?.url,
    ok: state.active && (!u.health || health === "200"),
  };
}

/** Every host's units as the run's events left them (a unit the run did not report is inactive). */
export function healthFromEvents(ctx: StackContext, events: readonly EngineEvent[]): HealthRow[] {
  const outputs = serviceOutputs(events);
  return ctx.targets.flatMap((t) =>
    t.plan.units.map((u) => {
      const out = outputs.get(`${t.resource}:${u.unit}`) ?? {};
      return healthRow(
        u,
        { active: out.active === true, ...(typeof out.health === "string" ? { health: out.health } : {}) },
        ctx.fleet ? t.name : undefined,
      );
    }),
  );
}

export function healthTable(rows: readonly HealthRow[]): string {
  const fleet = rows.some((r) => r.host);
  const head = [...(fleet ? ["host"] : []), "service", "unit", "state", "health", "endpoint"];
  return table(
    head,
    rows.map((r) => [...(fleet ? [r.host!] : []), r.service, r.unit, r.state, r.health, r.url ?? "-"]),
  );
}
