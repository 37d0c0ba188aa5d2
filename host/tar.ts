/**
 * A ustar archive of regular files, for shipping a code tree on a script's
 * stdin (GNU tar on the host reads it). Pure; paths are relative, at most
 * 255 bytes (split into ustar's prefix and name fields).
 */

export interface TarFile {
  /** Relative path. */
  readonly path: string;
  /** Octal mode, e.g. "0644". */
  readonly mode: string;
  readonly content: Buffer;
}

const BLOCK = 512;

function field(buf: Buffer, offset: number, length: number, text: string): void {
  buf.write(text, offset, Math.min(length, Buffer.byteLength(text)), "utf8");
}

const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, "0") + "\0";

function splitPath(p: string): { prefix: string; name: string } {
  if (Buffer.byteLength(p) <= 100) return { prefix: "", name: p };
  for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1)) {
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`tar: path too long for ustar: ${p}`);
}

function header(f: TarFile): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const { prefix, name } = splitPath(f.path);
  field(h, 0, 100, name);
  field(h, 100, 8, octal(parseInt(f.mode, 8) & 0o7777, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(f.content.length, 12));
  field(h, 136, 12, octal(0, 12));
  field(h, 148, 8, "        ");
  field(h, 156, 1, "0");
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  field(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** The archive: each file's header and content (padded to 512 bytes), then two zero blocks. */
export function tarball(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (f.path.startsWith("/") || f.path.split("/").includes("..")) throw new Error(`tar: not a relative path: ${f.path}`);
    parts.push(header(f), f.content);
    const pad = (BLOCK - (f.content.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
