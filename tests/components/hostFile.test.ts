/**
 * HostFile's write and delete scripts, run by a real bash on this machine
 * against a scratch directory: atomic write with owner and mode, content from
 * stdin, parent creation only when asked, nothing left behind on failure.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { deleteScript, writeScript } from "../../components/hostFile";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "quantlab-hostfile-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const bash = (script: string, input = "") => spawnSync("bash", ["-c", script], { input, encoding: "utf8" });

describe("HostFile scripts under a real shell", () => {
  it("write: stdin becomes the file, with the given mode and owner, and no temp file remains", () => {
    const target = path.join(scratch, "app.env");
    const r = bash(writeScript({ path: target, mode: "0600", owner: "root", group: "root" }), "A='1'\n");
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(target, "utf8")).toBe("A='1'\n");
    expect((fs.statSync(target).mode & 0o777).toString(8)).toBe("600");
    expect(fs.readdirSync(scratch)).toEqual(["app.env"]);
  });

  it("write: a missing directory is an error naming it, unless createParent", () => {
    const target = path.join(scratch, "drop-in.d", "quantlab.conf");
    const refused = bash(writeScript({ path: target }), "x\n");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`quantlab: directory ${path.dirname(target)} does not exist\n`);
    const created = bash(writeScript({ path: target, createParent: true }), "x\n");
    expect([created.status, created.stderr]).toEqual([0, ""]);
    expect((fs.statSync(path.dirname(target)).mode & 0o777).toString(8)).toBe("755");
    expect(fs.readFileSync(target, "utf8")).toBe("x\n");
  });

  it("write: a failure after the temp file exists (unknown owner) leaves the old file and no temp file", () => {
    const dir = fs.mkdtempSync(path.join(scratch, "fail-"));
    const target = path.join(dir, "unit.service");
    fs.writeFileSync(target, "old\n");
    const r = bash(writeScript({ path: target, owner: "quantlab-no-such-user" }), "new\n");
    expect(r.status).not.toBe(0);
    expect(fs.readFileSync(target, "utf8")).toBe("old\n");
    expect(fs.readdirSync(dir)).toEqual(["unit.service"]);
  });

  it("delete: removes the file, runs afterDelete, and succeeds when the file is already gone", () => {
    const target = path.join(scratch, "gone.conf");
    fs.writeFileSync(target, "x\n");
    const marker = path.join(scratch, "after-delete-ran");
    const script = deleteScript({ path: target, afterDelete: `touch ${marker}` });
    expect(bash(script).status).toBe(0);
    expect([fs.existsSync(target), fs.existsSync(marker)]).toEqual([false, true]);
    expect(bash(script).status).toBe(0);
  });
});
