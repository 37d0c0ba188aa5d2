/**
 * HostBundle: the code tree shipped from `code.localDir`, written by the
 * runtime user who owns the backend tree. Its inputs list each file's mode
 * and sha-256; the content is read from the project directory when it is
 * written (checked against those hashes), so it is never in the state.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BUNDLE_DEADLINE_S, deleteBundleScript, parseBundleHashes, statBundleScript, writeBundleScript } from "../host/bundle";
import { tarball } from "../host/tar";
import type { HostContext } from "./context";
import { providerOf, type Kind } from "./kind";
import { bundleKey, observed } from "./reads";

export interface HostBundleInputs {
  readonly host: string;
  /** Absolute root on the host. */
  readonly root: string;
  /** Owner of the files. */
  readonly user: string;
  /** relative path -> "<mode> <sha256>" */
  readonly files: Readonly<Record<string, string>>;
}

const label = (p: { root: string }) => `HostBundle ${p.root}`;
const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");
const list = (files: readonly string[]) => files.map((f) => `${f}\n`).join("");

/** The local files, each checked against the hash the program planned. */
function localFiles(c: HostContext, p: HostBundleInputs) {
  const dir = c.parsed.config.code.localDir;
  if (!dir) throw new Error(`${label(p)}: quantlab:code.localDir is not set in this host's config`);
  return Object.entries(p.files).map(([rel, v]) => {
    const [mode, want] = v.split(" ") as [string, string];
    const content = fs.readFileSync(path.join(c.projectDir, dir, rel));
    if (sha(content) !== want) throw new Error(`${label(p)}: ${dir}/${rel} changed while this run was planned; run up again`);
    return { path: rel, mode, content };
  });
}

export const bundleKind: Kind<HostBundleInputs> = {
  name: "bundle",
  label,

  async apply(c, p, olds) {
    const gone = Object.keys(olds?.files ?? {}).filter((f) => !(f in p.files));
    if (gone.length) await c.session.must(label(p), deleteBundleScript(p.root, p.user), { stdin: list(gone) });
    const tar = tarball(localFiles(c, p));
    await c.session.must(label(p), writeBundleScript(p.root, p.user, sha(tar)), { stdin: tar, deadline: BUNDLE_DEADLINE_S });
    return p;
  },

  async observe(c, p) {
    const out = await observed(c, label(p), bundleKey(Object.keys(p.files)), () => ({
      script: statBundleScript(p.root, p.user),
      opts: { stdin: list(Object.keys(p.files)) },
    }));
    const hashes = parseBundleHashes(out);
    if (hashes.size === 0 || [...hashes.values()].every((h) => h === "absent")) return undefined;
    // Mode is not read back; a changed hash keeps the wanted mode so the diff names the content only.
    const files = Object.fromEntries(Object.entries(p.files).map(([f, v]) => [f, `${v.split(" ")[0]} ${hashes.get(f) ?? "absent"}`]));
    const seen = { ...p, files };
    return { inputs: seen, outputs: seen };
  },

  async remove(c, p) {
    await c.session.must(label(p), deleteBundleScript(p.root, p.user), { stdin: list(Object.keys(p.files)) });
  },
};

export const bundle = providerOf(bundleKind);
