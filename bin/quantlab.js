#!/usr/bin/env node
// The operator command: compiles the package to dist/ when a source is newer
// than the last build (scripts/build-dist.js; the host provider stored in
// state loads dist/provider), then runs dist/cli/main.js.
"use strict";
const path = require("path");

const root = path.resolve(__dirname, "..");
require(path.join(root, "scripts", "build-dist.js")).buildIfStale();
require(path.join(root, "dist", "provider", "preload.js")); // before @pulumi/pulumi is first imported
// `quantlab up | head`: a reader that goes away must not end a run half-way (the engine would
// die on its next write and leave the stack locked): the run goes on to its end, output dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
  });
}
require(path.join(root, "dist", "cli", "main.js"))
  .main(process.argv.slice(2))
  .then(async (code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    console.error(`quantlab: ${e && e.message ? e.message : e}`);
    process.exitCode = e && e.name === "UsageError" ? 64 : 1;
  })
  .finally(() => require(path.join(root, "dist", "host", "ssh.js")).closeAll());
