/** Where the operator command keeps things, all inside the project directory (git-ignored). */
import * as path from "path";

/** The project root (this file runs compiled from dist/cli/). */
export const ROOT = path.resolve(__dirname, "..", "..");
/** The pinned Pulumi CLI and the dynamic-provider launcher (scripts/pulumi-toolchain.sh). */
export const TOOLS_DIR = path.join(ROOT, ".tools");
export const TOOLS_BIN = path.join(TOOLS_DIR, "bin");
/** The local file backend for real stacks, unless PULUMI_BACKEND_URL says otherwise. */
export const STATE_DIR = path.join(ROOT, ".quantlab", "state");
/** One directory per sandbox stack: its host, its stack config, its own backend. */
export const sandboxDir = (stack: string): string => path.join(ROOT, ".sandbox", stack);
