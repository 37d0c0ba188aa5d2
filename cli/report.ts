/**
 * What a preview or a drift check means for the hosts, from the engine's
 * step events: which files and units differ from the stack and how (the
 * kinds table names the properties a kind compares), and which services a
 * run will restart because of which of their files. In a fleet each line
 * names its host.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { differing } from "../provider/kind";
import { KINDS, kindOfType, type KindName } from "../provider/kinds";
import { restartCauses } from "../provider/service";
import { hostOfUrn } from "./messages";

export interface HostChange {
  /** create | update | replace | delete */
  readonly op: string;
  readonly kind: KindName;
  /** The host, in a fleet. */
  readonly host?: string;
  /** The file path, unit or root ("host tools", "owner record", "generation" for the others). */
  readonly target: string;
  /** What differs (e.g. sha256, mode, active, /etc/quantlab/x.env). */
  readonly what: readonly string[];
}

const CHANGING = new Set(["create", "update", "replace", "create-replacement", "delete"]);
type Props = Record<string, unknown>;
const NAMES: Partial<Record<KindName, string>> = {
  tools: "host tools",
  owner: "owner record",
  generation: "generation",
  wave: "rollout wave",
};

/** What differs for one changed resource, in words. */
function what(kind: KindName, olds: Props, news: Props): string[] {
  const keys = differing(kind, olds, news);
  switch (kind) {
    case "service": {
      // In a preview after a code change, a service's code fingerprint is unknown until the checkout has run.
      const known = news.extra === undefined || typeof news.extra === "object";
      const causes = restartCauses(olds as never, (known ? news : { ...news, extra: olds.extra }) as never);
      const state = keys.filter((k) => k === "enabled" || k === "active" || k === "probe");
      // Unhealthy while running: a stopped unit is unhealthy too, and "active" says it already.
      const health =
        olds.healthy === false && olds.active !== false ? [`health ${typeof olds.health === "string" ? olds.health : "failing"}`] : [];
      return [...causes, ...state, ...health, ...(known ? [] : ["code (if its directories changed)"])];
    }
    case "checkout": {
      const out = keys.filter((k) => k !== "current");
      if (keys.includes("current"))
        out.push(`host has ${String(olds.commit ?? "?").slice(0, 12)}, not what ${String(news.ref)} names (or tracked files edited)`);
      return out;
    }
    case "tools":
      return Object.entries((olds.installed ?? {}) as Record<string, boolean>)
        .filter(([, ok]) => !ok)
        .map(([pkg]) => `missing ${pkg}`);
    case "generation":
      return ["the host's generation differs (a rollback, or this run's changes)"];
    default:
      return keys;
  }
}

/** The host-level changes among the engine's step events (provider, component and stack steps left out). */
export function hostChanges(events: readonly EngineEvent[], fleet = false): HostChange[] {
  const changes: HostChange[] = [];
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || !CHANGING.has(m.op)) continue;
    const kind = kindOfType(m.type);
    if (!kind) continue;
    const olds = (m.old?.outputs ?? {}) as Props;
    const news = (m.new?.inputs ?? {}) as Props;
    const field = KINDS[kind].target;
    const target = field ? String(news[field] ?? olds[field] ?? m.urn) : NAMES[kind]!;
    const host = fleet ? hostOfUrn(m.urn) : undefined;
    const words = m.op === "create" ? ["missing on the host"] : m.op === "delete" ? ["no longer in the stack"] : what(kind, olds, news);
    changes.push({ op: m.op === "create-replacement" ? "replace" : m.op, kind, ...(host ? { host } : {}), target, what: words });
  }
  return changes;
}

const sorted = (changes: readonly HostChange[]) =>
  [...changes].sort(
    (a, b) => (a.host ?? "").localeCompare(b.host ?? "") || KINDS[a.kind].order - KINDS[b.kind].order || a.target.localeCompare(b.target),
  );

const prefix = (c: HostChange) => (c.host ? `${c.host}: ` : "");

const CODE_UNKNOWN = "code (if its directories changed)";

/** A service that differs only in code a checkout has yet to fetch: the checkout's line says it. */
const onlyUnknownCode = (c: HostChange) => c.kind === "service" && c.op === "update" && c.what.length === 1 && c.what[0] === CODE_UNKNOWN;

/** One line per changed host object, files first, each group by path or unit; the generation and the services that wait on a checkout are not lines of their own. */
export function changesText(changes: readonly HostChange[]): string {
  const shown = changes.filter((c) => c.kind !== "generation" && c.kind !== "wave" && !onlyUnknownCode(c));
  if (shown.length === 0) return "host matches the stack";
  return [
    shown.some((c) => c.host) ? "hosts differ from the stack:" : "host differs from the stack:",
    ...sorted(shown).map(
      (c) => `${prefix(c)}${c.op.padEnd(7)} ${KINDS[c.kind].type.padEnd(12)} ${c.target}${c.what.length ? `  (${c.what.join(", ")})` : ""}`,
    ),
  ].join("\n");
}

/** Per service: will it (re)start, and why. */
export function restartsText(changes: readonly HostChange[]): string {
  const services = sorted(changes).filter((c) => c.kind === "service");
  if (services.length === 0) return "restarts: none";
  return [
    "restarts:",
    ...services.map((c) => {
      const why = c.op === "create" ? "new unit" : c.op === "delete" ? "stopped and removed" : c.what.join(", ");
      const action =
        c.op === "delete" ? "stop" : c.op === "create" || c.what.every((w) => w === "active" || w === "enabled") ? "start" : "restart";
      return `  ${prefix(c)}${c.target.padEnd(32)} ${action.padEnd(7)} (${why})`;
    }),
  ].join("\n");
}
