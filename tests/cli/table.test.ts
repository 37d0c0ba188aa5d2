/** Terminal helpers (cli/table.ts): tables, sizes, ages, times. */
import { describe, expect, it } from "vitest";
import { age, bytes, isoSeconds, table } from "../../cli/table";

describe("table and formats", () => {
  it("columns padded to their widest cell, no trailing spaces", () => {
    expect(
      table(
        ["a", "bb"],
        [
          ["xxx", "y"],
          ["z", ""],
        ],
      ),
    ).toBe("a    bb\nxxx  y\nz");
  });

  it("sizes, ages and times", () => {
    expect([bytes(512), bytes(1536), bytes(47185920), bytes(3 * 1024 ** 3)]).toEqual(["512B", "1.5K", "45.0M", "3.0G"]);
    expect([age(-5), age(42), age(300), age(7260), age(200000)]).toEqual(["0s", "42s", "5m", "2h01m", "2d7h"]);
    expect(isoSeconds(1795530000)).toBe("2026-11-24 14:20:00Z");
  });
});
