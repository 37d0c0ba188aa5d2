/**
 * decryptStackFile against the pinned CLI: for a stack file with secrets set
 * by the CLI itself (top level, map leaves, a list element) and every
 * plain shape the package writes, the in-process reading equals
 * `pulumi config --show-secrets --json`'s exactly; for what it declines,
 * it answers undefined (and the CLI answers instead).
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromCliJson } from "../../config/cliJson";
import { decryptStackFile, passphraseFromEnv } from "../../config/passphrase";
import { PROJECT } from "../../cli/paths";
import { cliStack, type CliStack } from "../fixtures/cliStack";
import { TEST_PRIVATE_KEY, TEST_TOKENS } from "../fixtures/stack";

const PASS = "passphrase-test-phrase";
let stack: CliStack;
let dir: string;
let file: string;
const pulumi = (args: string[], input = "") => stack.pulumi(args, input);

/** What the CLI reads from `text` (given as the stack's config file). */
async function cliReading(text: string) {
  const other = path.join(dir, "reading.yaml");
  fs.writeFileSync(other, text);
  return configFromCliJson(await pulumi(["config", "--show-secrets", "--json", "--config-file", other]), text);
}

beforeAll(async () => {
  stack = await cliStack(
    "pt",
    PASS,
    [
      "config:",
      "  quantlab:runtime:",
      "    user: deploy",
      "    group: staff",
      "    uid: 1201",
      "  quantlab:services:",
      "    strategyd: { port: 4031, enabled: true }",
      "    labeld:",
      "      enabled: false",
      "  quantlab:hosts:",
      "    - name: research-b",
      "      address: 10.0.0.12",
      "      port: 2222",
      "    - name: research-a",
      "      address: 10.0.0.11",
      "  quantlab:cron:",
      "    ml:",
      "      schedule: 15 0 * * *",
      '  quantlab:note: "quoted: with a colon"',
      "  quantlab:banner: |",
      "    two lines",
      "    of text",
      "  quantlab:count: 3",
      "  quantlab:flag: false",
      "  aws:region: eu-west-1",
      "  bare: without a namespace",
      "  quantlab:order:",
      "    zeta: 1",
      "    Alpha: 2",
      "    alpha: 3",
      "    émile: 4",
      "",
    ].join("\n"),
  );
  ({ dir, file } = stack);
  for (const [name, value] of Object.entries(TEST_TOKENS)) {
    await pulumi(["config", "set", "--secret", "--path", `quantlab:tokens.${name}`], value);
  }
  await pulumi(["config", "set", "--secret", "quantlab:sshPrivateKey"], TEST_PRIVATE_KEY);
  await pulumi(["config", "set", "--secret", "--path", "quantlab:hosts[1].hostKey"], "ssh-ed25519 AAAA-host-a");
}, 900_000);

afterAll(() => stack.cleanup());

describe("decryptStackFile", () => {
  it("reads the CLI's own file exactly as the CLI does: values, structure, key order, secret leaves", async () => {
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain("secure: v1:");
    const mine = await decryptStackFile(text, PASS, PROJECT);
    const cli = await cliReading(text);
    expect(mine).toBeDefined();
    expect(mine!.values).toStrictEqual(cli.values);
    expect([...mine!.secretKeys].sort()).toStrictEqual([...cli.secretKeys].sort());
    // The secrets did come out, and the shapes are the ones the program sees.
    expect(JSON.parse(mine!.values["quantlab:tokens"]!)).toStrictEqual(Object.fromEntries(Object.entries(TEST_TOKENS).sort()));
    expect(mine!.values["quantlab:sshPrivateKey"]).toBe(TEST_PRIVATE_KEY.trimEnd());
    expect(JSON.parse(mine!.values["quantlab:hosts"]!)[1].hostKey).toBe("ssh-ed25519 AAAA-host-a");
    expect([mine!.values["quantlab:count"], mine!.values["quantlab:flag"], mine!.values["quantlab-infra:bare"]]).toStrictEqual([
      "3",
      "false",
      "without a namespace",
    ]);
    expect([...mine!.secretKeys].sort()).toStrictEqual([
      "quantlab:hosts.1.hostKey",
      "quantlab:sshPrivateKey",
      ...Object.keys(TEST_TOKENS)
        .map((t) => `quantlab:tokens.${t}`)
        .sort(),
    ]);
  });

  it("a file without secrets needs no passphrase", async () => {
    const text = "config:\n  quantlab:runtime:\n    user: deploy\n";
    expect(await decryptStackFile(text, undefined, PROJECT)).toStrictEqual(await cliReading(text));
  });

  it("declines a passphrase that does not open the salt, or none, leaving the CLI to name it", async () => {
    const text = fs.readFileSync(file, "utf8");
    expect(await decryptStackFile(text, "not-the-passphrase", PROJECT)).toBeUndefined();
    expect(await decryptStackFile(text, undefined, PROJECT)).toBeUndefined();
  });

  it("declines a tampered ciphertext", async () => {
    const text = fs.readFileSync(file, "utf8");
    const tampered = text.replace(
      /(sshPrivateKey:\n\s+secure: v1:[^:]+:)(.)/,
      (_, head: string, c: string) => head + (c === "A" ? "B" : "A"),
    );
    expect(tampered).not.toBe(text);
    expect(await decryptStackFile(tampered, PASS, PROJECT)).toBeUndefined();
  });

  it("declines another secrets provider and an ESC environment", async () => {
    const text = fs.readFileSync(file, "utf8");
    expect(await decryptStackFile(`secretsprovider: awskms://alias/x\n${text}`, PASS, PROJECT)).toBeUndefined();
    expect(await decryptStackFile(`environment:\n  - team/prod\n${text}`, PASS, PROJECT)).toBeUndefined();
  });

  // Words this YAML parser and the CLI's could read apart: the CLI decides.
  it.each([
    ["a null", "quantlab:x:"],
    ["a YAML 1.1 boolean word", "quantlab:x: yes"],
    ["an on/off word in a map", "quantlab:x:\n    enabled: on"],
    ["a leading-zero number", "quantlab:x: 017"],
    ["a float", "quantlab:x: 1.5"],
    ["a hex number", "quantlab:x: 0x1F"],
    ["a timestamp", "quantlab:x: 2026-12-02"],
    ["a sexagesimal number", "quantlab:x: 1:30"],
    ["an explicit tag", "quantlab:x: !!str 3"],
    ["an alias", "quantlab:a: &v abc\n  quantlab:b: *v"],
    ["a merge key", "quantlab:x:\n    <<: { a: 1 }"],
    ["a duplicate key", "quantlab:x: a\n  quantlab:x: b"],
    ["a key with two namespaces", "a:b:c: d"],
  ])("declines %s", async (_, line) => {
    expect(await decryptStackFile(`config:\n  ${line}\n`, PASS, PROJECT)).toBeUndefined();
  });

  it("one such word is read apart indeed: the CLI's 017 is not this parser's 17", async () => {
    const cli = await cliReading("config:\n  quantlab:x: 017\n");
    expect(cli.values["quantlab:x"]).not.toBe("17");
  });
});

describe("passphraseFromEnv", () => {
  const files: Record<string, string> = { "/run/pass": "  from-the-file\n" };
  const read = (p: string) =>
    files[p] ??
    (() => {
      throw new Error(`ENOENT ${p}`);
    })();

  it("takes the variable first, even empty, then the file trimmed, as Pulumi does", () => {
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE: "v", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pass" }, read)).toBe("v");
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pass" }, read)).toBe("");
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pass" }, read)).toBe("from-the-file");
  });

  it("none, an empty file name or an unreadable file: undefined (the CLI names the problem)", () => {
    expect(passphraseFromEnv({}, read)).toBeUndefined();
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "" }, read)).toBeUndefined();
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "/run/missing" }, read)).toBeUndefined();
  });
});
