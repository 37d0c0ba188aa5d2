/** cli/run: a program that exits without reading its input is reported by its exit status, not by a crash. */
import { describe, expect, it } from "vitest";
import { must, run } from "../../cli/run";

const BIG = "x".repeat(4 << 20); // larger than any pipe buffer: the write outlives the reader

describe("run", () => {
  it("passes stdin and collects stdout and stderr", async () => {
    expect(await run("sh", ["-c", "cat; echo err >&2"], { input: "secret\n" })).toEqual({ code: 0, stdout: "secret\n", stderr: "err\n" });
  });

  it("a program that exits without reading its input: its status, no EPIPE crash", async () => {
    expect(await run("sh", ["-c", "echo gone >&2; exit 3"], { input: BIG })).toEqual({ code: 3, stdout: "", stderr: "gone\n" });
    await expect(must("true", [], { input: BIG })).resolves.toBe("");
  });
});
