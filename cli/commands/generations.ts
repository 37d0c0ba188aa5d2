/**
 * `quantlab generations`: each host's generations (number, time, code, what
 * changed, which one is live), and `quantlab rollback [--to K]`: one host put
 * back on an earlier generation by hand, health-gated, its files, code and
 * the units that change; the stack's next `preview` shows the difference
 * to the config.
 */
import { generations as listGenerations, restoreGeneration, type GenerationRecord } from "../../host/rollout";
import { rollbackText } from "../../host/report";
import { planUnits } from "../../provider/units";
import { usageError, type Command, type Invocation } from "../args";
import { stackContext, type StackContext, type Target } from "../context";
import { isoSeconds, print, table } from "../table";

const codeOf = (g: GenerationRecord): string =>
  g.code.kind === "git"
    ? `commit ${g.code.commit.slice(0, 12)}`
    : g.code.kind === "bundle"
      ? `bundle of ${Object.keys(g.code.files).length} files`
      : "-";

export interface GenerationRow {
  readonly host?: string;
  readonly n: number;
  readonly time: string;
  readonly code: string;
  readonly changed: readonly string[];
  readonly live: boolean;
}

export function generationsText(rows: readonly GenerationRow[]): string {
  if (rows.length === 0) return "no generations recorded yet (an up records one when every service passed its gates)";
  const fleet = rows.some((r) => r.host);
  return table(
    [...(fleet ? ["host"] : []), "gen", "time", "code", "live", "changed"],
    rows.map((r) => [
      ...(fleet ? [r.host!] : []),
      String(r.n),
      isoSeconds(Math.floor(Date.parse(r.time) / 1000)),
      r.code,
      r.live ? "live" : "",
      r.changed.length > 4 ? `${r.changed.slice(0, 4).join(", ")}, +${r.changed.length - 4} more` : r.changed.join(", "),
    ]),
  );
}

async function rowsOf(ctx: StackContext, t: Target): Promise<GenerationRow[]> {
  const listed = await listGenerations(t.session);
  return listed.generations.map((g) => ({
    ...(ctx.fleet ? { host: t.name } : {}),
    n: g.n,
    time: g.record.time,
    code: codeOf(g.record),
    changed: g.record.changed,
    live: g.n === listed.current,
  }));
}

export const generations: Command = {
  name: "generations",
  summary: "each host's generations: number, time, code, what changed, which one is live",
  synopsis: "",
  json: true,
  async run(inv: Invocation) {
    const ctx = await stackContext(inv);
    const rows = (await Promise.all(ctx.targets.map((t) => rowsOf(ctx, t)))).flat();
    print(inv.json ? JSON.stringify(rows, null, 2) : generationsText(rows));
    return 0;
  },
};

/** The units a move from generation `from` to `to` restarts for its code: all with a bundle, those whose code directories' trees differ with git. */
function codeTouched(t: Target, from: GenerationRecord | undefined, to: GenerationRecord): string[] {
  if (!from || JSON.stringify(from.code) === JSON.stringify(to.code)) return [];
  if (from.code.kind !== "git" || to.code.kind !== "git") return to.units.map((u) => u.unit);
  const [a, b] = [from.code.trees, to.code.trees];
  return t.plan.units.filter((u) => u.codeDirs.some((d) => a[d] !== b[d])).map((u) => u.unit);
}

export const rollback: Command = {
  name: "rollback",
  summary: "puts a host back on an earlier generation (default: the one before the live one), health-gated",
  synopsis: "[--to K]",
  json: true,
  options: { to: { type: "string", value: "K", help: "the generation to go back to" } },
  async run(inv: Invocation) {
    const to = inv.options.to;
    if (to !== undefined && !/^[1-9]\d{0,8}$/.test(String(to)))
      throw usageError(`rollback --to: expected a generation number, got ${JSON.stringify(to)}`, inv.commands);
    const ctx = await stackContext(inv, { needsOneHost: "rollback" });
    const t = ctx.targets[0]!;
    const listed = await listGenerations(t.session);
    const current = listed.generations.find((g) => g.n === listed.current);
    const earlier = listed.generations.filter((g) => current === undefined || g.n < current.n);
    const target = to !== undefined ? listed.generations.find((g) => g.n === Number(to)) : earlier[earlier.length - 1];
    if (!target) {
      throw new Error(
        to !== undefined
          ? `rollback: ${t.label} has no generation ${to} (it has ${listed.generations.map((g) => g.n).join(", ") || "none"}; see npx quantlab generations)`
          : `rollback: ${t.label} has no generation before the live one ${listed.current ?? "(none)"}`,
      );
    }
    const units = planUnits(t.plan);
    const outcome = await restoreGeneration(
      t.session,
      {
        gen: target.record,
        n: target.n,
        touched: new Set(codeTouched(t, current?.record, target.record)),
        extraFiles: t.plan.files.map((f) => ({ path: f.path, onChange: f.onChange, owner: f.owner })),
        extraUnits: units.map((u) => u.unit),
        runtimeUser: t.host.model.runtime.user,
      },
      (name) => ctx.tokens[name as keyof typeof ctx.tokens] ?? "",
    );
    const text = rollbackText({ cause: "rollback", outcome: { generation: target.n, restore: outcome } });
    const ok = outcome.gates.every((g) => g.result.passed) && outcome.settled.every((s) => s.settled);
    print(
      inv.json
        ? JSON.stringify({ ok, generation: target.n, ...outcome }, null, 2)
        : ok
          ? `${t.label}: ${text[0]!.replace(/^rolled back: /, "")}\nthe stack's config still says otherwise: npx quantlab preview shows the difference, npx quantlab up puts the config back`
          : text.join("\n"),
    );
    return ok ? 0 : 1;
  },
};
