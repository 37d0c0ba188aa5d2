/**
 * The ustar archive (host/tar.ts), read back by this machine's GNU tar (what
 * the host runs): names (a long one split into prefix and name, a UTF-8
 * one), modes, sizes on and off the 512-byte blocks, and the refusals.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { tarball, type TarFile } from "../../host/tar";
import { scratchDir } from "../fixtures/hostShell";

const scratch = scratchDir("tar");
afterAll(scratch.cleanup);

const longDir = `services/${"d".repeat(90)}`;
const longName = `${"f".repeat(60)}.js`;
const files: TarFile[] = [
  { path: "core/index.js", mode: "0644", content: Buffer.from("console.log('hi');\n") },
  { path: "bin/run.sh", mode: "0755", content: Buffer.from("#!/bin/sh\nexec node core/index.js\n") },
  { path: "empty", mode: "0600", content: Buffer.alloc(0) },
  { path: "block", mode: "0640", content: Buffer.alloc(512, "b") },
  { path: "block-and-one", mode: "0644", content: Buffer.alloc(513, "c") },
  { path: `${longDir}/${longName}`, mode: "0644", content: Buffer.from("long\n") },
  { path: "docs/café.md", mode: "0644", content: Buffer.from("# café\n") },
];

/** GNU tar on the archive in `dir`: its listing (numeric owners, UTC), or its extraction with modes kept. */
const gnuTar = (args: string[], input: Buffer, cwd = scratch.dir) =>
  spawnSync("tar", args, { input, cwd, encoding: "utf8", env: { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" } });

describe("tarball, read by GNU tar", () => {
  const archive = tarball(files);

  it("is whole 512-byte blocks, ending in two zero blocks", () => {
    // Headers 7 x 512; contents padded: 19 -> 512, 34 -> 512, 0, 512, 513 -> 1024, 5 -> 512, 8 -> 512; end 1024.
    expect(archive.length).toBe(7 * 512 + 512 + 512 + 0 + 512 + 1024 + 512 + 512 + 1024);
    expect(archive.subarray(archive.length - 1024).equals(Buffer.alloc(1024))).toBe(true);
  });

  it("lists every file with its mode, owner 0/0, size, epoch time and full name (the long one joined from prefix and name)", () => {
    const r = gnuTar(["-tv", "--numeric-owner", "-f", "-"], archive);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(
      [
        "-rw-r--r-- 0/0              19 1970-01-01 00:00 core/index.js",
        "-rwxr-xr-x 0/0              34 1970-01-01 00:00 bin/run.sh",
        "-rw------- 0/0               0 1970-01-01 00:00 empty",
        "-rw-r----- 0/0             512 1970-01-01 00:00 block",
        "-rw-r--r-- 0/0             513 1970-01-01 00:00 block-and-one",
        `-rw-r--r-- 0/0               5 1970-01-01 00:00 ${longDir}/${longName}`,
        "-rw-r--r-- 0/0               8 1970-01-01 00:00 docs/café.md",
        "",
      ].join("\n"),
    );
  });

  it("extracts to the same bytes and modes", () => {
    const dir = fs.mkdtempSync(path.join(scratch.dir, "x-"));
    const r = gnuTar(["-x", "-p", "--no-same-owner", "-f", "-"], archive, dir);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    for (const f of files) {
      expect([
        f.path,
        fs.readFileSync(path.join(dir, f.path)).equals(f.content),
        (fs.statSync(path.join(dir, f.path)).mode & 0o7777).toString(8).padStart(4, "0"),
      ]).toEqual([f.path, true, f.mode]);
    }
  });

  it("an empty list is an empty archive", () => {
    expect(tarball([]).equals(Buffer.alloc(1024))).toBe(true);
    expect(gnuTar(["-t", "-f", "-"], tarball([]))).toMatchObject({ status: 0, stdout: "", stderr: "" });
  });

  it("refuses a path that is not relative, or too long for ustar", () => {
    expect(() => tarball([{ path: "/etc/passwd", mode: "0644", content: Buffer.from("x") }])).toThrow(
      "tar: not a relative path: /etc/passwd",
    );
    expect(() => tarball([{ path: "core/../../etc/x", mode: "0644", content: Buffer.from("x") }])).toThrow(
      "tar: not a relative path: core/../../etc/x",
    );
    expect(() => tarball([{ path: "n".repeat(101), mode: "0644", content: Buffer.from("x") }])).toThrow(
      `tar: path too long for ustar: ${"n".repeat(101)}`,
    );
    expect(() => tarball([{ path: `${"p".repeat(156)}/x`, mode: "0644", content: Buffer.from("x") }])).toThrow(
      `tar: path too long for ustar: ${"p".repeat(156)}/x`,
    );
    expect(tarball([{ path: `${"p".repeat(155)}/${"n".repeat(100)}`, mode: "0644", content: Buffer.from("x") }]).length).toBe(512 * 4);
  });
});
