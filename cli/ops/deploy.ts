/**
 * `quantlab deploy --ref REF`: the runbook's "Restart After Deploy" as code.
 * Sets the stack's `quantlab:code.git.ref` and runs the normal `up`: the host
 * checks the ref out as the runtime user, and only the services whose code
 * directories changed restart, health-gated like every `up`.
 */
import * as path from "path";
import { parseStackConfig } from "../../config/parse";
import { decryptedConfig, type OpenStack } from "../engine";
import { TOOLS_BIN } from "../paths";
import { must } from "../run";

/** Sets quantlab:code.git.ref in the stack's config (plain: a ref is no secret); returns the ref it replaced. */
export async function setCodeRef(o: OpenStack, ref: string): Promise<string> {
  const { config } = parseStackConfig(await decryptedConfig(o));
  if (!config.code.git) {
    throw new Error("deploy: quantlab:code.git is not set; add code.git.remote and code.git.ref to the stack config (deploy moves the ref)");
  }
  await must(path.join(TOOLS_BIN, "pulumi"), ["config", "set", "--path", "quantlab:code.git.ref", ref, "--stack", o.stack.name, "--config-file", o.configFile, "--non-interactive"], {
    cwd: o.workDir,
    env: { ...process.env, ...o.env },
  });
  return config.code.git.ref;
}
