// Reads vitest's JSON report and prints the one summary line CI reads:
// "N passed, N failed", as its last line. Skipped tests are counted on the
// line before it, with their names, so a blocked suite is visible.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "test-results.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.error(`summarize: no readable vitest JSON report at ${file}: ${e.message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A test file that failed to load counts as a failure too.
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === "failed" && (r.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.testResults ?? []).flatMap((r) =>
  (r.assertionResults ?? []).filter((a) => a.status === "pending" || a.status === "skipped" || a.status === "todo").map((a) => a.fullName),
);
if (skipped.length > 0) {
  console.log(`${skipped.length} skipped (not run, not counted as passed):\n${skipped.map((n) => `  - ${n}`).join("\n")}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
