/**
 * HostTools: the commands the runbook's procedures use are on the host.
 * Observing reports which are there (a removed tool is drift, named by its
 * package); applying installs the missing ones with apt-get, or fails with
 * the exact command to run. Every other host resource depends on it, so a
 * host that cannot get its tools is not touched at all. Removing the stack
 * leaves the tools: other software may use them.
 */
import { INSTALL_DEADLINE_S, installToolsScript, parseToolsState, toolsStateScript, type ToolSpec } from "../host/tools";
import { providerOf, type Kind } from "./kind";
import { observed } from "./reads";

export interface HostToolsInputs {
  readonly host: string;
  /** Debian package -> the command it provides. */
  readonly commands: Readonly<Record<string, string>>;
  /** Debian package -> on the host (wanted: all true). */
  readonly installed: Readonly<Record<string, boolean>>;
}

const LABEL = "HostTools";
const specs = (p: HostToolsInputs): ToolSpec[] => Object.entries(p.commands).map(([pkg, command]) => ({ package: pkg, command }));
const all = (p: HostToolsInputs, present: (pkg: string) => boolean) =>
  Object.fromEntries(Object.keys(p.commands).map((k) => [k, present(k)]));

export const toolsKind: Kind<HostToolsInputs> = {
  name: "tools",
  label: () => LABEL,

  async apply(c, p) {
    await c.session.must(LABEL, installToolsScript(specs(p)), { deadline: INSTALL_DEADLINE_S });
    return { ...p, installed: all(p, () => true) };
  },

  async observe(c, p) {
    const state = parseToolsState(await observed(c, LABEL, "tools", () => ({ script: toolsStateScript(specs(p)) })));
    const seen = { ...p, installed: all(p, (k) => state[k] === true) };
    return { inputs: seen, outputs: seen };
  },

  async remove() {},
};

export const tools = providerOf(toolsKind);
