/**
 * The main job on the built-in default target: boots (or reuses) the local
 * sandbox host in .sandbox/main, runs `pulumi up` of the sandbox stack
 * against it, and prints each service's health. Run via scripts/sandbox-converge.sh.
 */
import * as fs from "fs";
import * as path from "path";
import { missingToolchain, ROOT, Sandbox, SandboxStack } from "../tests/e2e/sandbox";
import { health, unitStates } from "../tests/e2e/host";
import { CATALOG, type ServiceName } from "../model/catalog";

async function main(): Promise<void> {
  const missing = missingToolchain();
  if (missing.length > 0) {
    // Checked before anything is booted or touched.
    console.error(
      `cannot run pulumi up: ${missing.join(", ")} missing from .tools/bin.\n` +
        "scripts/pulumi-toolchain.sh could not build them (its messages above say why: the Go module proxy refused a pinned module).\n" +
        "See README, \"Blocked\". The package's host scripts can still be exercised on a sandbox host: npx vitest run --project e2e tests/e2e/host-scripts.test.ts",
    );
    process.exit(2);
  }
  const stateDir = path.join(ROOT, ".sandbox", "main");
  let sandbox: Sandbox;
  const reuse = fs.existsSync(path.join(stateDir, "host.json")) ? await Sandbox.attach(stateDir) : undefined;
  if (reuse) {
    console.log(`sandbox: reusing the running host ${reuse.host.address}`);
    sandbox = reuse;
  } else {
    console.log("sandbox: booting a fresh Debian 12 host...");
    sandbox = await Sandbox.up(stateDir);
  }
  const stack = new SandboxStack(stateDir);
  await stack.init(sandbox);
  console.log(`pulumi up (stack sandbox, host ${sandbox.host.address})...`);
  const up = await stack.pulumi(["up", "--yes", "--skip-preview"]);
  process.stdout.write(up.stdout);
  process.stderr.write(up.stderr);
  if (up.code !== 0) process.exit(up.code);

  const outputs = await stack.outputs();
  const units = outputs.units as Record<ServiceName, string>;
  const urls = outputs.healthUrls as Record<string, { url: string; bearerToken: boolean }>;
  const states = await unitStates(sandbox, Object.values(units));
  console.log("\nservice        unit                              state    health");
  for (const [name, unit] of Object.entries(units) as [ServiceName, string][]) {
    const h = urls[name];
    let status = "-";
    if (h) {
      const token = h.bearerToken ? stack.tokens[CATALOG[name].token!] : undefined;
      status = `${await health(sandbox.host.address, h.url, token).catch((e: Error) => e.message)} ${h.url}`;
    }
    console.log(`${name.padEnd(14)} ${unit.padEnd(33)} ${states[unit]!.ActiveState.padEnd(8)} ${status}`);
  }
  console.log(`\nThe host keeps running. SSH: bash scripts/sandbox.sh ssh ${path.relative(ROOT, stateDir)}; stop it: bash scripts/sandbox.sh down ${path.relative(ROOT, stateDir)}`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
