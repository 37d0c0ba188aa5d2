// Compiles the package to dist/ (tsc -p tsconfig.build.json) when a source is
// newer than the last build, dist/.build-stamp: the host provider stored in
// state loads dist/provider, the operator command is dist/cli. One rule for
// bin/quantlab.js (before every command) and scripts/setup.sh
// (`node scripts/build-dist.js`).
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const stamp = path.join(root, "dist", ".build-stamp");
const SOURCES = [
  "index.ts",
  "program.ts",
  "tsconfig.json",
  "tsconfig.build.json",
  "config",
  "components",
  "units",
  "envfiles",
  "hostfiles",
  "host",
  "model",
  "provider",
  "cli",
];

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

/** Runs tsc when dist/ is older than a source; says whether it did. */
function buildIfStale() {
  const built = newest(stamp);
  if (built !== 0 && !SOURCES.some((s) => newest(path.join(root, s)) > built)) return false;
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [root] }), "-p", path.join(root, "tsconfig.build.json")], {
    stdio: "inherit",
    cwd: root,
  });
  fs.writeFileSync(stamp, new Date().toISOString() + "\n");
  return true;
}

module.exports = { buildIfStale };

if (require.main === module) console.error(buildIfStale() ? "dist: compiled" : "dist: up to date");
