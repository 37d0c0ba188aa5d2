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
    [
      "@sometimes",
      'unknown schedule nickname "@sometimes" (expected one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)',
    ],
    // A step follows * or a range: cron refuses "5/10" and then ignores the whole file.
    ["5/10 * * * *", 'minute "5/10": a step follows * or a range (such as 5-59/10), not a single value'],
    ["0 0 * * 1/2", 'day of week "1/2": a step follows * or a range (such as 1-7/2), not a single value'],
    ["0-59/10 * * * *", undefined],
    // Days a month never has: cron accepts the line and never runs the job.
    ["0 0 30 2 *", 'day of month "30" never comes in month "2" (the job would never run)'],
    ["0 0 31 4,6,9,11 *", 'day of month "31" never comes in month "4,6,9,11" (the job would never run)'],
    ["0 0 30,31 feb *", 'day of month "30,31" never comes in month "feb" (the job would never run)'],
    ["0 0 31 4-6/2 *", 'day of month "31" never comes in month "4-6/2" (the job would never run)'],
    // A day-of-week field starting with * still ANDs (cron's DOW_STAR): Feb 31 on even weekdays never comes either.
    ["0 0 31 2 */2", 'day of month "31" never comes in month "2" (the job would never run)'],
    ["0 0 29 2 *", undefined], // leap years
    ["0 0 31 2-12/2 *", undefined], // August
    ["0 0 31 2 1", undefined], // both restricted: cron ORs them, so it runs on Mondays in February
    ["0 0 */31 2 *", undefined], // "*/31" is day 1
  ])("schedule %j -> %s", (schedule, problem) => {
    expect(scheduleProblem(schedule)).toBe(problem);
  });
});
