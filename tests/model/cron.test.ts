import { describe, expect, it } from "vitest";
import { scheduleProblem } from "../../model/cron";
import { cronFilePath, cronLogPath } from "../../model/paths";

describe("cron jobs", () => {
  it("names files without a dot", () => {
    expect(cronFilePath("daily-prod-dry")).toBe("/etc/cron.d/quantlab-daily-prod-dry");
    expect(cronLogPath("daily-prod-dry")).toBe("/var/log/quantlab-daily-prod-dry.log");
  });

  it.each([
    ["15 0 * * *", undefined],
    ["*/15 2-5 1,15 jan-mar mon-fri", undefined],
    ["0 0 * * 7", undefined],
    ["@weekly", undefined],
    ["60 0 * * *", 'minute "60": "60" is outside 0-59'],
    ["0 24 * * *", 'hour "24": "24" is outside 0-23'],
    ["0 0 0 * *", 'day of month "0": "0" is outside 1-31'],
    ["0 0 * 13 *", 'month "13": "13" is outside 1-12'],
    ["0 0 * * 8", 'day of week "8": "8" is outside 0-7'],
    ["0 5-2 * * *", 'hour "5-2": range runs backwards'],
    ["*/0 * * * *", 'minute "*/0": step must be at least 1'],
    ["0 0 * * funday", 'day of week "funday": "funday" is not a number or name'],
    ["0  0 * * *", "expected five space-separated fields (minute hour day-of-month month day-of-week)"],
    ["@sometimes", 'unknown schedule nickname "@sometimes" (expected one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)'],
  ])("schedule %j -> %s", (schedule, problem) => {
    expect(scheduleProblem(schedule)).toBe(problem);
  });
});
