/**
 * `quantlab doctor [SERVICE]`: the runbook's "Troubleshooting" recipes, run
 * on each host (host/ops/doctor.ts) and judged here: unit state, recent
 * journal errors, who holds the port, env files present with the expected
 * keys (key names only: values never leave the host), health; for a service
 * that writes the spool its directory (exists, owner, free space, newest
 * file) and the /metrics queue size; for the S3 users whether the endpoint
 * answers. Ends with a verdict per service and what to do next; exit 1 when
 * a service fails.
 */
import { has } from "../../model/catalog";
import { TMPFILES_PATH } from "../../model/paths";
import { bucketsOf, type PlannedUnit } from "../../hostfiles/plan";
import type { Model, ResolvedService } from "../../model/model";
import { bucketProblem, parseBucketCheck } from "../../host/s3";
import { doctorScript, parseSections, type DoctorSpec } from "../../host/ops/doctor";
import { bearer } from "../../host/units";
import type { Command, Invocation } from "../args";
import { probeToken, stackContext, type StackContext, type Target } from "../context";
import { age, bytes, print, table } from "../table";
import { pickUnits } from "./restart";

/** Less free space than this on the spool's filesystem is a warning. */
export const SPOOL_MIN_FREE_BYTES = 1024 ** 3;
const S3_URL = /^https?:\/\/[A-Za-z0-9._~:@/+-]+$/;

const S3_NEXT: Readonly<Record<string, string>> = {
  missing: "create the bucket on the endpoint, or name the right one in the stack file",
  denied: "set keys the bucket accepts (npx quantlab secret --key s3.accessKeyId, --key s3.secretAccessKey), then npx quantlab up",
  unreachable: "check quantlab:s3.endpoint and the host's network route to it",
  other: "npx quantlab logs SERVICE -n 50; check the endpoint's own logs",
};

export type Level = "ok" | "warn" | "fail";

export interface Finding {
  readonly level: Level;
  readonly text: string;
  /** What to do about it. */
  readonly next?: string;
}

export interface Diagnosis {
  readonly service: string;
  readonly unit: string;
  readonly verdict: Level;
  readonly findings: readonly Finding[];
}

export interface Expected {
  readonly service: string;
  readonly port?: number;
  readonly healthUrl?: string;
  /** env file path -> the keys it should hold. */
  readonly envKeys: Readonly<Record<string, readonly string[]>>;
  readonly runtimeUser: string;
  readonly runtimeGroup: string;
  readonly spoolDir?: string;
  /** An S3 user's buckets (each with the config key naming it), and whether its requests are signed. */
  readonly s3?: {
    readonly endpoint: string;
    readonly signed: boolean;
    readonly buckets: readonly { readonly name: string; readonly key: string }[];
  };
  /** Epoch seconds, for ages. */
  readonly now?: number;
}

const props = (lines: readonly string[] = []): Record<string, string> =>
  Object.fromEntries(lines.filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

/** The findings from a doctor script's output, judged against what the stack expects. */
export function diagnose(e: Expected, unit: string, out: string): Diagnosis {
  const s = parseSections(out);
  const f: Finding[] = [];
  const svc = e.service;
  const st = props(s.get("state"));
  if (st.LoadState === "not-found") f.push({ level: "fail", text: `${unit} is not installed`, next: `npx quantlab up (installs it)` });
  else if (st.ActiveState !== "active") {
    f.push({
      level: "fail",
      text: `${unit} is ${st.ActiveState} (${st.SubState}, result ${st.Result})`,
      next: `npx quantlab logs ${svc} -n 50, fix the cause, then npx quantlab restart ${svc}`,
    });
  } else f.push({ level: "ok", text: `${unit} active (${st.SubState}), ${st.NRestarts ?? "0"} automatic restarts` });

  const errors = s.get("errors") ?? [];
  if (errors.length > 0) {
    f.push({
      level: "warn",
      text: `error lines in the last 24 h of the journal (last ${errors.length}):\n${errors.map((l) => `      ${l.length > 160 ? `${l.slice(0, 157)}...` : l}`).join("\n")}`,
      next: `npx quantlab logs ${svc} -n 100`,
    });
  }

  if (e.port !== undefined) {
    const holders = (s.get("port") ?? []).map((l) => /^holder (\d+) (\S*) ?(\S*)$/.exec(l)).filter((m) => m !== null);
    const ours = holders.filter((m) => m[3]!.endsWith(`/${unit}`));
    const others = holders.filter((m) => !m[3]!.endsWith(`/${unit}`));
    if (others.length > 0) {
      const who = others.map((m) => `${m[2]} (pid ${m[1]}, ${m[3] || "no cgroup"})`).join(", ");
      f.push({
        level: "fail",
        text: `port ${e.port} is held by ${who}, not by ${unit}`,
        next: `stop that process (it keeps ${svc} from listening), then npx quantlab restart ${svc}`,
      });
    } else if (ours.length > 0)
      f.push({ level: "ok", text: `port ${e.port} held by ${ours.map((m) => `${m[2]} (pid ${m[1]})`).join(", ")} of ${unit}` });
    else f.push({ level: "fail", text: `nothing listens on port ${e.port}`, next: `npx quantlab logs ${svc} -n 50` });
  }

  for (const [path, want] of Object.entries(e.envKeys)) {
    const lines = s.get(`env ${path}`) ?? [];
    if (lines[0] !== "present") {
      f.push({ level: "fail", text: `env file ${path} is missing`, next: "npx quantlab up (writes it again)" });
      continue;
    }
    const have = lines.slice(1).map((l) => l.slice(4));
    const missing = want.filter((k) => !have.includes(k));
    const extra = have.filter((k) => !want.includes(k));
    if (missing.length > 0)
      f.push({ level: "fail", text: `env file ${path} lacks ${missing.join(", ")}`, next: "npx quantlab up (writes it again)" });
    else f.push({ level: "ok", text: `env file ${path} present with ${have.length} keys: ${have.join(", ")}` });
    if (extra.length > 0)
      f.push({
        level: "warn",
        text: `env file ${path} has keys the stack does not set: ${extra.join(", ")}`,
        next: "npx quantlab drift (hand edits show there); npx quantlab up restores the file",
      });
  }

  if (e.healthUrl) {
    const code = s.get("health")?.[0] ?? "?";
    if (code === "200") f.push({ level: "ok", text: `health ${e.healthUrl} answers 200` });
    else
      f.push({
        level: "fail",
        text: `health ${e.healthUrl} answered ${code === "000" ? "nothing" : code}`,
        next: `npx quantlab logs ${svc} -n 50`,
      });
  }

  if (e.spoolDir) {
    const sp = s.get("spool") ?? ["absent"];
    const tmpfiles = `systemd-tmpfiles --create ${TMPFILES_PATH} on the host, then npx quantlab restart ${svc}`;
    if (sp[0] === "absent") f.push({ level: "fail", text: `spool directory ${e.spoolDir} does not exist`, next: tmpfiles });
    else {
      const owner = /^owner (\S+) (\S+) (\d+)$/.exec(sp.find((l) => l.startsWith("owner ")) ?? "");
      const free = Number(/^free_kb (\d+)$/.exec(sp.find((l) => l.startsWith("free_kb ")) ?? "")?.[1] ?? NaN) * 1024;
      const newest = /^newest (\d+)(?:\.\d+)? (.+)$/.exec(sp.find((l) => l.startsWith("newest ")) ?? "");
      const now = Number(/^now (\d+)$/.exec(sp.find((l) => l.startsWith("now ")) ?? "")?.[1] ?? e.now ?? 0);
      if (owner && (owner[1] !== e.runtimeUser || owner[2] !== e.runtimeGroup)) {
        f.push({
          level: "fail",
          text: `spool directory ${e.spoolDir} is owned by ${owner[1]}:${owner[2]}, not ${e.runtimeUser}:${e.runtimeGroup}`,
          next: tmpfiles,
        });
      } else
        f.push({
          level: "ok",
          text: `spool directory ${e.spoolDir} exists, ${owner ? `${owner[1]}:${owner[2]} ${owner[3]}` : "owner unknown"}`,
        });
      if (!Number.isNaN(free))
        f.push(
          free < SPOOL_MIN_FREE_BYTES
            ? { level: "warn", text: `only ${bytes(free)} free for the spool`, next: "free space on the spool's filesystem" }
            : { level: "ok", text: `${bytes(free)} free for the spool` },
        );
      if (newest) f.push({ level: "ok", text: `newest spool file ${newest[2]}, written ${age(now - Number(newest[1]))} ago` });
      else
        f.push({
          level: "warn",
          text: "spool directory is empty: the collector has written nothing",
          next: `npx quantlab logs ${svc} -n 50`,
        });
    }
    const metrics = (s.get("metrics") ?? []).join("\n").trim();
    let queue: unknown;
    try {
      queue = metrics ? (JSON.parse(metrics) as { queue_size?: unknown }).queue_size : undefined;
    } catch {
      queue = undefined;
    }
    if (typeof queue === "number") f.push({ level: "ok", text: `/metrics queue size ${queue}` });
    else f.push({ level: "warn", text: "/metrics gave no queue_size", next: `npx quantlab logs ${svc} -n 50` });
  }

  if (e.s3) {
    const answers = parseBucketCheck((s.get("s3") ?? []).join("\n"), e.s3.signed);
    const whose = e.s3.signed ? `${svc}'s keys` : "unsigned requests (the host's own role is not checked)";
    for (const b of e.s3.buckets) {
      const answer = answers[b.name] ?? "unreachable";
      if (answer === "ok") f.push({ level: "ok", text: `S3 bucket ${b.name} answers to ${whose}` });
      else
        f.push({
          level: "fail",
          text: bucketProblem(b.name, b.key, answer, e.s3.endpoint, `${svc}'s`),
          next: S3_NEXT[answer] ?? S3_NEXT.other!,
        });
    }
  }

  const verdict: Level = f.some((x) => x.level === "fail") ? "fail" : f.some((x) => x.level === "warn") ? "warn" : "ok";
  return { service: svc, unit, verdict, findings: f };
}

const MARKS: Record<Level, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };

export function doctorText(ds: readonly Diagnosis[]): string {
  const detail = ds.map((d) =>
    [`${d.service} (${d.unit})`, ...d.findings.map((x) => `  ${MARKS[x.level]} ${x.text}${x.next ? `\n       next: ${x.next}` : ""}`)].join(
      "\n",
    ),
  );
  const firstNext = (d: Diagnosis) => d.findings.find((x) => x.level === d.verdict && x.next)?.next ?? "-";
  const verdicts = table(
    ["service", "verdict", "next"],
    ds.map((d) => [d.service, d.verdict.toUpperCase(), d.verdict === "ok" ? "-" : firstNext(d)]),
  );
  return `${detail.join("\n\n")}\n\n${verdicts}`;
}

/** Keys of a rendered env file (KEY='value' lines). */
export const envKeys = (content: string): string[] => [...content.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]!);

/** What doctor checks for one unit, and what it expects to find: from the plan and the service's capabilities. */
export function expected(
  ctx: Pick<StackContext, "tokens">,
  t: Pick<Target, "host" | "plan">,
  u: PlannedUnit,
): { spec: DoctorSpec; want: Expected } {
  const files = t.plan.files.filter((f) => (f.kind === "env" || f.kind === "dotenv") && u.reads.includes(f.path));
  const keys = Object.fromEntries(files.map((f) => [f.path, envKeys(f.content)]));
  const svc = t.host.model.services.find((s) => s.def.name === u.service)!;
  const spoolDir = has(svc.def, "writes-spool") ? t.host.model.runtime.spoolDir : undefined;
  const token = probeToken(ctx.tokens, u);
  const s3 = s3Expected(t.host.model, svc, t.plan.buckets?.signed ?? false);
  const ownEnv = files.find((f) => f.kind === "env")?.path;
  const runtime = t.host.model.runtime;
  return {
    spec: {
      unit: u.unit,
      ...(u.port !== undefined ? { port: u.port } : {}),
      ...(u.health ? { probe: { url: u.health.url, withToken: token !== undefined } } : {}),
      envFiles: files.map((f) => f.path),
      ...(spoolDir ? { spoolDir } : {}),
      ...(s3 && ownEnv
        ? {
            s3: {
              ask: { endpoint: s3.endpoint, region: t.host.model.s3.region, signed: s3.signed, buckets: s3.buckets.map((b) => b.name) },
              envFile: ownEnv,
            },
          }
        : {}),
      runtimeUser: runtime.user,
    },
    want: {
      service: u.service,
      ...(u.port !== undefined ? { port: u.port } : {}),
      ...(u.health ? { healthUrl: u.health.url } : {}),
      envKeys: keys,
      runtimeUser: runtime.user,
      runtimeGroup: runtime.group,
      ...(spoolDir ? { spoolDir } : {}),
      ...(s3 && ownEnv ? { s3 } : {}),
    },
  };
}

/** An S3 user's buckets, when its endpoint is one curl can ask. */
function s3Expected(model: Model, svc: ResolvedService, signed: boolean): Expected["s3"] {
  const buckets = bucketsOf(model, [svc.def]);
  return buckets.length && S3_URL.test(model.s3.endpoint) ? { endpoint: model.s3.endpoint, signed, buckets } : undefined;
}

export const doctor: Command = {
  name: "doctor",
  summary: "the troubleshooting recipes per service, with a verdict and the next step; exit 1 when one fails",
  synopsis: "[SERVICE]",
  json: true,
  positionals: { min: 0, max: 1, what: "at most one service" },
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    const all = await Promise.all(
      ctx.targets.map(async (t) => {
        const units = pickUnits(t.plan, inv.positionals, "doctor", inv.commands);
        return Promise.all(
          units.map(async (u) => {
            const { spec, want } = expected(ctx, t, u);
            const r = await t.session.run(doctorScript(spec), { stdin: bearer(probeToken(ctx.tokens, u)), deadline: 60 });
            const d = diagnose(want, u.unit, r.stdout);
            return ctx.fleet ? { ...d, service: `${t.name}/${d.service}` } : d;
          }),
        );
      }),
    );
    const ds = all.flat();
    print(inv.json ? JSON.stringify({ ok: ds.every((d) => d.verdict !== "fail"), services: ds }, null, 2) : doctorText(ds));
    return ds.some((d) => d.verdict === "fail") ? 1 : 0;
  },
};
