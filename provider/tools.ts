/**
 * HostTools: the commands the runbook's procedures use are on the host.
 * read() reports which are there (a removed tool is drift, named by its
 * package); create/update install the missing ones with apt-get, or fail
 * with the exact command to run. Every other host resource depends on it,
 * so a host that cannot get its tools is not touched at all.
 */
import type * as pulumi from "@pulumi/pulumi";
import { run } from "./context";
import { installToolsScript, parseToolsState, toolsStateScript, type ToolSpec } from "./scripts";

export interface HostToolsInputs {
  readonly host: string;
  /** Debian package -> the command it provides. */
  readonly commands: Readonly<Record<string, string>>;
  /** Debian package -> on the host (wanted: all true; read() reports the host). */
  readonly installed: Readonly<Record<string, boolean>>;
}

const LABEL = "HostTools";
const specs = (p: HostToolsInputs): ToolSpec[] => Object.entries(p.commands).map(([pkg, command]) => ({ package: pkg, command }));

async function install(p: HostToolsInputs): Promise<HostToolsInputs> {
  await run(p.host, LABEL, installToolsScript(specs(p)));
  return { ...p, installed: Object.fromEntries(Object.keys(p.commands).map((k) => [k, true])) };
}

export const tools: pulumi.dynamic.ResourceProvider<HostToolsInputs, HostToolsInputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:tools`, outs: await install(inputs) };
  },

  async read(id, stored) {
    const props = stored!;
    const state = parseToolsState(await run(props.host, LABEL, toolsStateScript(specs(props))));
    const refreshed = { ...props, installed: Object.fromEntries(Object.keys(props.commands).map((k) => [k, state[k] === true])) };
    return { id, props: refreshed, inputs: refreshed };
  },

  async diff(_id, olds, news) {
    const changes = olds.host !== news.host || JSON.stringify(olds.commands) !== JSON.stringify(news.commands) || Object.values(olds.installed).some((v) => !v);
    return { changes, replaces: olds.host !== news.host ? ["host"] : [] };
  },

  async update(_id, _olds, news) {
    return { outs: await install(news) };
  },

  // Removing the stack leaves the tools: other software may use them.
  async delete() {},
};
