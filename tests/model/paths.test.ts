/**
 * The trees root owns (model/paths.ts ROOT_TREES), where host scripts run as
 * root may name paths, lie inside the system trees config/rules.ts refuses
 * as runtime directories: so no runtime directory (the runtime user's) can
 * lie in one of root's trees.
 */
import { describe, expect, it } from "vitest";
import { runtimeDirProblem, SYSTEM_TREES } from "../../config/rules";
import { OWNER_DIR, ROOT_TREES, STATE_ROOT } from "../../model/paths";

const within = (p: string, tree: string) => p === tree || p.startsWith(`${tree}/`);

describe("ROOT_TREES", () => {
  it("each lies in one of SYSTEM_TREES", () => {
    expect(ROOT_TREES.filter((t) => !SYSTEM_TREES.some((s) => within(t, s)))).toEqual([]);
    // The check sees a tree outside them.
    expect(["/srv/quantlab", ...ROOT_TREES].filter((t) => !SYSTEM_TREES.some((s) => within(t, s)))).toEqual(["/srv/quantlab"]);
  });

  it("so a runtime directory in any of them, or below, is refused", () => {
    expect(ROOT_TREES.flatMap((t) => [t, `${t}/quantlab-run`]).filter((d) => runtimeDirProblem(d) === undefined)).toEqual([]);
    expect(runtimeDirProblem(`${STATE_ROOT}/spool`)).toBe(
      "expected a directory outside /var/lib/quantlab-infra (the runtime user would be handed a system path)",
    );
    expect(runtimeDirProblem(`${OWNER_DIR}/spool`)).toBe(
      "expected a directory outside /var/lib/quantlab (the runtime user would be handed a system path)",
    );
  });
});
