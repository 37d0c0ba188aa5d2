// Restores package-lock.json entries for rollup's platform packages that the
// registry reachable here does not serve (404), so that `npm ci` accepts the
// lock. npm install drops them again: run this after every `npm install`.
//   node scripts/lock-optional.mjs
// Each entry carries os/cpu/libc, so npm ci skips it on this platform and
// never fetches it.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const rollup = lock.packages["node_modules/rollup"];
let added = 0;
for (const [name, version] of Object.entries(rollup?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu, libc] = name.split("/rollup-")[1].split("-");
  lock.packages[key] = {
    version,
    cpu: [cpu],
    dev: true,
    license: "MIT",
    ...(os === "linux" ? { libc: [libc.startsWith("musl") ? "musl" : "glibc"] } : {}),
    optional: true,
    os: [os],
  };
  added++;
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`lock-optional: ${added} entries added`);
