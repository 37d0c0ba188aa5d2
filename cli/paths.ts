/** Where the operator command keeps things, all inside the project directory (git-ignored). */
import * as fs from "fs";
import * as path from "path";

/** The nearest directory above `from` holding the quantlab-infra package.json (works from cli/ and from dist/cli/). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "quantlab-infra") return dir;
    if (path.dirname(dir) === dir) throw new Error(`quantlab: no quantlab-infra project above ${from}`);
  }
}

/** The Pulumi project's name (Pulumi.yaml). */
export const PROJECT = "quantlab-infra";
/** The project root. */
export const ROOT = projectRoot(__dirname);
/** The pinned Pulumi CLI and the dynamic-provider launcher (scripts/pulumi-toolchain.sh). */
export const TOOLS_DIR = path.join(ROOT, ".tools");
export const TOOLS_BIN = path.join(TOOLS_DIR, "bin");
/** The local file backend for real stacks, unless PULUMI_BACKEND_URL says otherwise. */
export const STATE_DIR = path.join(ROOT, ".quantlab", "state");
/** One directory per sandbox stack: its host, its stack config, its own backend. */
export const sandboxDir = (stack: string): string => path.join(ROOT, ".sandbox", stack);
