/**
 * HostBundle: a set of code files under a root, written by their owner
 * (the runtime user). read() hashes each file on the host.
 */
import type * as pulumi from "@pulumi/pulumi";
import { run } from "./context";
import { deleteBundleScript, statBundleScript, writeBundleScript } from "./scripts";

export interface HostBundleInputs {
  readonly host: string;
  /** Absolute root on the host. */
  readonly root: string;
  /** Owner of the files. */
  readonly user: string;
  /** relative path -> "<mode> <sha256>" */
  readonly files: Readonly<Record<string, string>>;
  /** JSON list of {path, mode, content(base64)}: what create/update write. */
  readonly payload: string;
}

const label = (p: { root: string }) => `HostBundle ${p.root}`;

async function write(p: HostBundleInputs): Promise<HostBundleInputs> {
  await run(p.host, label(p), writeBundleScript(p.root, p.user), p.payload);
  return p;
}

export const bundle: pulumi.dynamic.ResourceProvider<HostBundleInputs, HostBundleInputs> = {
  async create(inputs) {
    return { id: `${inputs.host}:${inputs.root}`, outs: await write(inputs) };
  },

  async read(id, stored) {
    const props = stored!;
    const out = await run(props.host, label(props), statBundleScript(props.root, Object.keys(props.files)));
    const hashes = Object.fromEntries(out.trim().split("\n").filter(Boolean).map((l) => [l.slice(65), l.slice(0, 64)] as const));
    if (Object.keys(hashes).length === 0 || Object.values(hashes).every((h) => h === "absent")) return { id: "", props: {} as HostBundleInputs };
    // Mode is not read back; a changed hash keeps the wanted mode so the diff names the content only.
    const files = Object.fromEntries(Object.entries(props.files).map(([f, v]) => [f, `${v.split(" ")[0]} ${hashes[f] ?? "absent"}`]));
    const refreshed = { ...props, files };
    return { id, props: refreshed, inputs: refreshed };
  },

  async diff(_id, olds, news) {
    const replaces = (["host", "root"] as const).filter((k) => olds[k] !== news[k]);
    const same = olds.user === news.user && JSON.stringify(olds.files) === JSON.stringify(news.files);
    return { changes: replaces.length > 0 || !same, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    const gone = Object.keys(olds.files).filter((f) => !(f in news.files));
    if (gone.length > 0) await run(news.host, label(news), deleteBundleScript(news.root, gone));
    return { outs: await write(news) };
  },

  async delete(_id, props) {
    await run(props.host, label(props), deleteBundleScript(props.root, Object.keys(props.files)));
  },
};
