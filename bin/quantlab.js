#!/usr/bin/env node
// The operator command: compiles the package to dist/ when a source is newer
// than the last build (the host provider stored in state loads dist/provider),
// then runs dist/cli/main.js.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const stamp = path.join(root, "dist", ".build-stamp");
const SOURCES = ["index.ts", "program.ts", "tsconfig.json", "tsconfig.build.json", "config", "components", "units", "envfiles", "hostfiles", "host", "model", "provider", "cli"];

function newest(p) {
  let st;
  try { st = fs.statSync(p); } catch { return 0; }
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

const built = newest(stamp);
if (built === 0 || SOURCES.some((s) => newest(path.join(root, s)) > built)) {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
  fs.writeFileSync(stamp, new Date().toISOString() + "\n");
}
// `quantlab up | head`: a reader that goes away must not end a run half-way (the engine would
// die on its next write and leave the stack locked): the run goes on to its end, output dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
  });
}
require(path.join(root, "dist", "cli", "main.js"))
  .main(process.argv.slice(2))
  .then(async (code) => { process.exitCode = code; })
  .catch((e) => { console.error(`quantlab: ${e && e.message ? e.message : e}`); process.exitCode = e && e.name === "UsageError" ? 64 : 1; })
  .finally(() => require(path.join(root, "dist", "host", "ssh.js")).closeAll());
