/**
 * What a preview or a drift check means for the host, from the engine's
 * step events: which files and units differ from the stack and how, and
 * which services a run will restart because of which of their files.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { restartCauses } from "../provider/service";

export interface HostChange {
  /** create | update | replace | delete | ... (the engine's op) */
  readonly op: string;
  readonly kind: (typeof KINDS)[number];
  /** The file path, unit or bundle root. */
  readonly target: string;
  /** The properties that differ (e.g. sha256, mode, active, /etc/quantlab/x.env). */
  readonly what: readonly string[];
}

const KINDS = ["HostTools", "HostFile", "HostService", "HostBundle", "HostCheckout"] as const;
const CHANGING = new Set(["create", "update", "replace", "create-replacement", "delete", "delete-replaced"]);
type Props = Record<string, unknown>;

function changedKeys(olds: Props, news: Props): string[] {
  const keys = ["sha256", "mode", "owner", "group", "onChange", "createParent", "files", "user", "probe", "enabled", "active"];
  const keysOut = keys.filter((k) => k in news && JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
  if ("probe" in olds && typeof olds.health === "string" && olds.health !== "200") keysOut.push(`health ${olds.health}`);
  if ("reads" in news) {
    // In a preview after a code change, a service's code fingerprint is unknown until the checkout has run.
    const known = news.extra === undefined || typeof news.extra === "object";
    keysOut.push(...restartCauses(olds as never, (known ? news : { ...news, extra: olds.extra }) as never), ...(known ? [] : ["code (if its directories changed)"]));
  }
  if ("commit" in olds && "ref" in news) {
    keysOut.push(...["remote", "ref", "paths"].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])));
    if (olds.clean === false) keysOut.push("tracked files edited");
    if (keysOut.length === 0) keysOut.push(`host has ${String(olds.commit).slice(0, 12)}, not what ${String(news.ref)} names`);
  }
  if ("installed" in olds) keysOut.push(...Object.entries(olds.installed as Record<string, boolean>).filter(([, ok]) => !ok).map(([pkg]) => `missing ${pkg}`));
  return keysOut;
}

/** The host-level changes among the engine's step events (component and stack steps left out). */
export function hostChanges(events: readonly EngineEvent[]): HostChange[] {
  const changes: HostChange[] = [];
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || !CHANGING.has(m.op)) continue;
    const kind = KINDS.find((k) => m.type === `pulumi-nodejs:dynamic/quantlab:${k}`);
    if (!kind || m.op === "delete-replaced") continue;
    const olds = (m.old?.outputs ?? {}) as Props;
    const news = (m.new?.inputs ?? {}) as Props;
    const target = kind === "HostTools" ? "host tools" : String(news.path ?? news.unit ?? news.root ?? olds.path ?? olds.unit ?? olds.root ?? m.urn);
    const what = m.op === "create" ? ["missing on the host"] : m.op === "delete" ? ["no longer in the stack"] : changedKeys(olds, news);
    changes.push({ op: m.op === "create-replacement" ? "replace" : m.op, kind, target, what });
  }
  return changes;
}

const ORDER = { HostTools: 0, HostFile: 1, HostBundle: 2, HostCheckout: 2, HostService: 3 } as const;
const sorted = (changes: readonly HostChange[]) => [...changes].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.target.localeCompare(b.target));

/** One line per changed host object, files first, each group by path or unit. */
export function changesText(changes: readonly HostChange[]): string {
  if (changes.length === 0) return "host matches the stack";
  return [
    "host differs from the stack:",
    ...sorted(changes).map((c) => `${c.op.padEnd(7)} ${c.kind.padEnd(11)} ${c.target}${c.what.length ? `  (${c.what.join(", ")})` : ""}`),
  ].join("\n");
}

/** Per service: will it (re)start, and why. */
export function restartsText(changes: readonly HostChange[]): string {
  const services = sorted(changes).filter((c) => c.kind === "HostService");
  if (services.length === 0) return "restarts: none";
  return [
    "restarts:",
    ...services.map((c) => {
      const why = c.op === "create" ? "new unit" : c.op === "delete" ? "stopped and removed" : c.what.join(", ");
      const action = c.op === "delete" ? "stop" : c.op === "create" || c.what.every((w) => w === "active" || w === "enabled") ? "start" : "restart";
      return `  ${c.target.padEnd(32)} ${action.padEnd(7)} (${why})`;
    }),
  ].join("\n");
}
