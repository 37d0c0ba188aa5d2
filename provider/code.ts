/** The code tree of `code.localDir`, read from the project directory (the program plans it, the provider ships it). */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export interface BundleFile {
  /** Relative to the backend root. */
  readonly path: string;
  readonly content: Buffer;
  /** Octal mode: 0755 for an executable file, else 0644. */
  readonly mode: string;
}

/** Every regular file below `dir`, sorted by path (so the listing is stable). */
export function readBundle(dir: string): BundleFile[] {
  const out: BundleFile[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(relPath);
      else if (entry.isFile()) {
        const stat = fs.statSync(path.join(dir, relPath));
        out.push({ path: relPath, content: fs.readFileSync(path.join(dir, relPath)), mode: (stat.mode & 0o111) !== 0 ? "0755" : "0644" });
      }
    }
  };
  walk("");
  return out;
}

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

/** relative path -> "<mode> <sha256>": what a HostBundle compares. */
export const bundleIndex = (files: readonly BundleFile[]): Record<string, string> =>
  Object.fromEntries(files.map((f) => [f.path, `${f.mode} ${sha(f.content)}`]));

/** The bundle's hash: every file's path, mode and content hash. */
export const bundleHash = (files: readonly BundleFile[]): string =>
  crypto
    .createHash("sha256")
    .update(JSON.stringify(bundleIndex(files)))
    .digest("hex");
