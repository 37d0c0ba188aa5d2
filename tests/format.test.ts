/** The formatter decides line breaks: every source file is as prettier (.prettierrc.json) writes it. */
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./fixtures/stack";

describe("formatting", () => {
  it("prettier --check finds nothing to change (npm run format writes it)", () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "**/*.{ts,js,mjs,cjs,json}"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });
});
