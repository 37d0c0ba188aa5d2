/**
 * `quantlab validate` offline: a throwaway stack file with encrypted
 * secrets (made by the pinned CLI), checked with no host and no engine run.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../cli/paths";
import { must, run } from "../../cli/run";
import { readStackFile, validate, validationText } from "../../cli/validate";
import { cliStack, type CliStack } from "../fixtures/cliStack";
import { TEST_PRIVATE_KEY, TEST_TOKENS } from "../fixtures/stack";

const PASS = "validate-test-passphrase";
let stack: CliStack;
let dir: string;
let file: string;
const pulumi = (args: string[], input = "") => stack.pulumi(args, input);

beforeAll(async () => {
  stack = await cliStack(
    "vt",
    PASS,
    [
      "config:",
      "  quantlab:host:",
      "    address: 10.1.2.3",
      "    insecureSkipHostKeyCheck: true",
      "  quantlab:services:",
      "    strategyd:",
      "      port: 70000",
      "  quantlab:runtime:",
      "    spoolDir: /etc/quantlab-spool",
      "  quantlab:s3:",
      "    mode: adopt",
      "    endpoint: http://127.0.0.1:9000",
      "    compactBucket: vt-compact",
      "    archiveBucket: vt-archive",
      "",
    ].join("\n"),
  );
  ({ dir, file } = stack);
  // Every token but labeld's; observer's too short; the key set.
  for (const [name, value] of Object.entries(TEST_TOKENS)) {
    if (name === "labeld") continue;
    await pulumi(["config", "set", "--secret", "--path", `quantlab:tokens.${name}`], name === "observer" ? "short" : value);
  }
  await pulumi(["config", "set", "--secret", "quantlab:sshPrivateKey"], TEST_PRIVATE_KEY);
}, 900_000);

afterAll(() => stack.cleanup());

describe("quantlab validate", () => {
  it("the stack file holds its secrets encrypted (so validate must decrypt them)", () => {
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain("secure: v1:");
    expect(text).not.toContain(TEST_TOKENS.strategyd);
  });

  it("lists schema, rule and secret problems in one go", async () => {
    process.env.PULUMI_CONFIG_PASSPHRASE = PASS;
    try {
      const v = await validate({ stack: "vt", configFile: file });
      expect(validationText(v)).toBe(
        [
          `${file}: invalid stack config (4 problems):`,
          '  - quantlab:runtime.spoolDir: expected a directory outside /etc (the runtime user would be handed a system path), got "/etc/quantlab-spool"',
          "  - quantlab:services.strategyd.port: expected 1-65535, got 70000",
          "  - quantlab:tokens.labeld: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.labeld",
          "  - quantlab:tokens.observer: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)",
        ].join("\n"),
      );
    } finally {
      delete process.env.PULUMI_CONFIG_PASSPHRASE;
    }
  });

  it("decrypts with the passphrase and leaves the file untouched", async () => {
    const before = fs.readFileSync(file, "utf8");
    const all = await readStackFile("vt", file, PASS);
    expect(JSON.parse(all["quantlab:tokens"]!).strategyd).toBe(TEST_TOKENS.strategyd);
    // The CLI stores stdin without its final newline.
    expect(all["quantlab:sshPrivateKey"]).toBe(TEST_PRIVATE_KEY.trimEnd());
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });

  it("a wrong passphrase is named as such", async () => {
    await expect(readStackFile("vt", file, "wrong")).rejects.toThrow(`cannot decrypt ${file}: incorrect passphrase`);
  });

  it("without a passphrase it says how to give one", async () => {
    const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
    delete process.env.PULUMI_CONFIG_PASSPHRASE;
    await expect(readStackFile("vt", file)).rejects.toThrow(
      `${file} holds encrypted secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's secrets passphrase`,
    );
    if (saved !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE = saved;
  });

  it("the operator command exits 1 and prints the list; a fixed file exits 0", async () => {
    const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASS };
    const bad = await run(process.execPath, [path.join(ROOT, "bin", "quantlab.js"), "validate", "--stack", "vt", "--config-file", file], {
      cwd: ROOT,
      env,
    });
    expect([bad.code, bad.stdout.split("\n")[0]]).toEqual([1, `${file}: invalid stack config (4 problems):`]);

    const good = path.join(dir, "good.yaml");
    const text = fs.readFileSync(file, "utf8").replace("port: 70000", "port: 4031").replace("/etc/quantlab-spool", "/srv/ql/spool");
    fs.writeFileSync(good, text);
    await pulumi(["config", "set", "--secret", "--path", "quantlab:tokens.labeld", "--config-file", good], TEST_TOKENS.labeld);
    await pulumi(["config", "set", "--secret", "--path", "quantlab:tokens.observer", "--config-file", good], TEST_TOKENS.observer);
    const ok = await run(process.execPath, [path.join(ROOT, "bin", "quantlab.js"), "validate", "--stack", "vt", "--config-file", good], {
      cwd: ROOT,
      env,
    });
    expect([ok.code, ok.stdout]).toEqual([0, `${good}: valid (10 services, 1 cron jobs)\n`]);
  });
});
