/** `quantlab restart` (cli/commands/restart.ts): the levels it walks, the services it picks, what it says when one does not come up. */
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../../cli/commands";
import { failureText, pickUnits, restartLevels } from "../../../cli/commands/restart";
import { parseStackConfig } from "../../../config/parse";
import { planHost } from "../../../hostfiles/plan";
import { distinctConfig, TEST_TOKENS } from "../../fixtures/stack";

const plan = planHost(parseStackConfig(distinctConfig()).model, TEST_TOKENS);

describe("restartLevels and pickUnits", () => {
  it("the startup levels restricted to the chosen services, empty levels dropped", () => {
    expect(restartLevels(plan, plan.units)).toEqual(plan.levels.map((l) => [...l]));
    expect(restartLevels(plan, [{ service: "console-ui" }, { service: "replayd" }, { service: "labeld" }])).toEqual([
      ["replayd"],
      ["labeld"],
      ["console-ui"],
    ]);
    expect(restartLevels(plan, [])).toEqual([]);
  });

  it("the named services in startup order, all of them for none; an unknown name refused, listing the enabled ones", () => {
    expect(pickUnits(plan, ["console-ui", "replayd"], "restart", COMMANDS).map((u) => u.service)).toEqual(["replayd", "console-ui"]);
    expect(pickUnits(plan, [], "restart", COMMANDS)).toEqual(plan.units);
    expect(() => pickUnits(plan, ["mysql"], "doctor", COMMANDS)).toThrow(
      'doctor: "mysql" is not an enabled service of this stack (enabled: replayd, collector, featurexd, strategyd, labeld, backtestd, job-worker, observer, observer-api, console-ui)',
    );
  });
});

describe("failureText", () => {
  it("a gate that failed: the service, why, and its journal", () => {
    expect(
      failureText({
        service: "labeld",
        result: {
          passed: false,
          reason: "no 200 from http://127.0.0.1:3061/health within 30 s (unit active, last answer 503)",
          journal: ["2026-11-24T14:00:00+0000 h npm[9]: boom", "  at main"],
        },
      }),
    ).toBe(
      [
        "restart: labeld did not come up: no 200 from http://127.0.0.1:3061/health within 30 s (unit active, last answer 503)",
        "last 2 journal lines of labeld:",
        "  2026-11-24T14:00:00+0000 h npm[9]: boom",
        "    at main",
      ].join("\n"),
    );
  });

  it("a settle that failed, with no journal", () => {
    expect(
      failureText({
        service: "job-worker",
        result: {
          unit: "quantlab-worker.service",
          settled: false,
          reason: "not running the invocation that passed its gate (now: ActiveState=failed InvocationID=x )",
          journal: [],
        },
      }),
    ).toBe(
      "restart: job-worker did not come up: not running the invocation that passed its gate (now: ActiveState=failed InvocationID=x )\nlast 0 journal lines of job-worker:",
    );
  });
});
