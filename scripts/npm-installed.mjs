#!/usr/bin/env node
// Exits 0 when node_modules holds what package-lock.json locks, as `npm ci`
// leaves it, whoever ran it (scripts/setup.sh or a user): npm's own record of
// the installed tree, node_modules/.package-lock.json, has every locked
// package at its locked version, source and integrity, and nothing else; only
// optional packages may be missing (the lock's other-platform builds, which npm
// ci skips here). Otherwise exits 1, saying why on stderr. scripts/setup.sh
// runs `npm ci` only then, so the packages are never installed twice.
import fs from "node:fs";

const read = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

/** Why node_modules does not match the lock, or "" when it does. */
function mismatch(lock, tree) {
  if (!lock?.packages) return 'package-lock.json has no "packages" (lockfileVersion 2 or later expected)';
  if (!tree?.packages) return "node_modules/.package-lock.json is missing (nothing installed yet)";
  for (const [where, locked] of Object.entries(lock.packages)) {
    if (where === "") continue; // the project itself
    const installed = tree.packages[where];
    if (!installed) {
      if (locked.optional) continue;
      return `${where} is not installed`;
    }
    for (const key of ["version", "resolved", "integrity", "link"]) {
      if (installed[key] !== locked[key]) return `${where}: ${key} ${installed[key]} installed, ${locked[key]} locked`;
    }
  }
  const extra = Object.keys(tree.packages).find((where) => !(where in lock.packages));
  return extra ? `${extra} is installed but not locked` : "";
}

const why = mismatch(read("package-lock.json"), read("node_modules/.package-lock.json"));
if (why) {
  console.error(`npm-installed: ${why}`);
  process.exit(1);
}
