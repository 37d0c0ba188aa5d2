/** The pinned Pulumi CLI in .tools/bin, built from Go modules on first use (scripts/pulumi-toolchain.sh). */
import * as fs from "fs";
import * as path from "path";
import { ROOT, TOOLS_BIN } from "./paths";
import { must } from "./run";

/** The CLI, for direct calls (config decryption, secrets set from stdin). */
export const PULUMI = path.join(TOOLS_BIN, "pulumi");

/** Builds the pinned CLI and the dynamic-provider launcher when missing (minutes, once; later runs reuse them). */
export async function ensureToolchain(): Promise<void> {
  const have = (b: string) => fs.existsSync(path.join(TOOLS_BIN, b));
  if (have("pulumi") && have("pulumi-resource-pulumi-nodejs")) return;
  console.error("quantlab: building the pinned Pulumi CLI from Go modules (first run only)...");
  await must("bash", [path.join(ROOT, "scripts", "pulumi-toolchain.sh"), "pulumi", "pulumi-resource-pulumi-nodejs"], { stderr: "inherit" });
}
