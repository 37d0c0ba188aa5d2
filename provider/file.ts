/**
 * HostFile: one file on the host, written atomically, read back as its
 * sha-256, mode and owner. A missing file reads as gone; drift in any of
 * those shows as an update of exactly that property (the refreshed values
 * become the resource's inputs, so the engine's own diff names them).
 */
import type * as pulumi from "@pulumi/pulumi";
import { run, sha256 } from "./context";
import { deleteFileScript, parseFileState, statFileScript, writeFileScript, type FileTarget } from "./scripts";

/** A file on a host: where, with which owner and mode (FileTarget), and what. */
export interface HostFileInputs extends FileTarget {
  /** The host's address: the resource's identity (a new host is a new file). */
  readonly host: string;
  /** The content; a Pulumi secret when it holds tokens (stays ciphertext in state). */
  readonly content: string;
  /** sha-256 of `content`: what drift is measured by. */
  readonly sha256: string;
}

const label = (p: { path: string }) => `HostFile ${p.path}`;

async function write(p: HostFileInputs): Promise<HostFileInputs> {
  const hash = sha256(p.content);
  await run(p.host, label(p), writeFileScript(p, hash), p.content);
  return { ...p, sha256: hash };
}

/** Properties whose change rewrites the file in place. */
const UPDATABLE = ["sha256", "mode", "owner", "group", "onChange", "createParent"] as const;

export const file: pulumi.dynamic.ResourceProvider<HostFileInputs, HostFileInputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:${inputs.path}`, outs: await write(inputs) };
  },

  async read(id, stored) {
    const props = stored!;
    const state = parseFileState(await run(props.host, label(props), statFileScript(props.path)));
    if (!state) return { id: "", props: {} as HostFileInputs };
    const refreshed = { ...props, sha256: state.sha256, mode: state.mode, owner: state.owner, group: state.group };
    return { id, props: refreshed, inputs: refreshed };
  },

  async diff(_id, olds, news) {
    const replaces = (["host", "path"] as const).filter((k) => olds[k] !== news[k]);
    const changes = UPDATABLE.some((k) => olds[k] !== news[k]);
    return { changes: changes || replaces.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id, _olds, news) {
    return { outs: await write(news) };
  },

  async delete(_id, props) {
    await run(props.host, label(props), deleteFileScript(props.path, props.onChange));
  },
};
