#!/usr/bin/env node
// `npm run docs`: runs the generator (scripts/docs/main.ts) from its TypeScript
// sources, each file transpiled by the project's own TypeScript on require.
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
Module._extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
process.exitCode = require("./docs/main.ts").main(process.argv.slice(2), root);
