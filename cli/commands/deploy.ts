/**
 * `quantlab deploy --ref REF`: the runbook's "Restart After Deploy" as code.
 * Sets the stack's `quantlab:code.git.ref` and runs `up`: each host checks the
 * ref out as the runtime user, only the services whose code directories
 * changed restart, health-gated, and a host whose new code fails its gates
 * goes back to its last generation, code included.
 */
import { gitRefProblem } from "../../model/git";
import { usageError, type Command, type Invocation } from "../args";
import { parsedStack, stackContext } from "../context";
import { openStack, type OpenStack } from "../engine";
import { must } from "../run";
import { PULUMI } from "../toolchain";
import { print } from "../table";
import { converge } from "./up";

/** Sets quantlab:code.git.ref in the stack's config (plain: a ref is no secret); returns the ref it replaced. */
export async function setCodeRef(o: OpenStack, ref: string): Promise<string> {
  const { parsed } = await parsedStack(o);
  if (!parsed.config.code.git) {
    throw new Error(
      "deploy: quantlab:code.git is not set; add code.git.remote and code.git.ref to the stack config (deploy moves the ref)",
    );
  }
  await must(
    PULUMI,
    ["config", "set", "--path", "quantlab:code.git.ref", ref, "--stack", o.stack.name, "--config-file", o.configFile, "--non-interactive"],
    {
      cwd: o.workDir,
      env: { ...process.env, ...o.env },
    },
  );
  return parsed.config.code.git.ref;
}

export const deploy: Command = {
  name: "deploy",
  summary: "sets quantlab:code.git.ref and runs up (only the services whose code changed restart)",
  synopsis: "--ref REF",
  host: false,
  options: { ref: { type: "string", value: "REF", help: "branch, tag or full commit id" } },
  async run(inv: Invocation) {
    const ref = inv.options.ref;
    if (typeof ref !== "string") throw usageError("deploy: --ref is required", inv.commands);
    const problem = gitRefProblem(ref);
    if (problem) throw usageError(`deploy --ref: ${problem}, got ${JSON.stringify(ref)}`, inv.commands);
    const o = await openStack({ stack: inv.stack, sandbox: inv.sandbox, ...(inv.configFile ? { configFile: inv.configFile } : {}) });
    const was = await setCodeRef(o, ref);
    print(`deploy: quantlab:code.git.ref ${was} -> ${ref}`);
    return converge(await stackContext(inv), false);
  },
};
