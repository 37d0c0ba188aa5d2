/** The commands about the stack itself: `secret` (stdin -> an encrypted key), `validate` (no host, no engine), `unlock` (a stale lock). */
import * as fs from "fs";
import { usageError, type Command, type Invocation } from "../args";
import { openStack, setSecret } from "../engine";
import { PROJECT } from "../paths";
import { liveHolder, stackLocks } from "../interrupt";
import { print } from "../table";
import { validate as validateStack, validationText } from "../validate";

const SECRET_KEY = /^(tokens\.[a-z-]+|sshPrivateKey|sshKeyPassphrase|s3\.accessKeyId|s3\.secretAccessKey)$/;

export const secret: Command = {
  name: "secret",
  summary: "stores stdin as the encrypted secret quantlab:KEY (a token, the SSH key or its passphrase, an S3 key)",
  synopsis: "--key KEY < VALUE",
  host: false,
  options: {
    key: { type: "string", value: "KEY", help: "tokens.<name>, sshPrivateKey, sshKeyPassphrase, s3.accessKeyId or s3.secretAccessKey" },
  },
  async run(inv: Invocation) {
    const key = inv.options.key;
    if (typeof key !== "string" || !SECRET_KEY.test(key))
      throw usageError(
        "secret: --key must be tokens.<name>, sshPrivateKey, sshKeyPassphrase, s3.accessKeyId or s3.secretAccessKey",
        inv.commands,
      );
    const o = await openStack({ stack: inv.stack, sandbox: inv.sandbox, ...(inv.configFile ? { configFile: inv.configFile } : {}) });
    const input = fs.readFileSync(0, "utf8");
    // A key file keeps its final newline; a token piped from `openssl rand` loses it.
    const value = key === "sshPrivateKey" ? input : input.replace(/\n$/, "");
    if (value === "") throw usageError("secret: nothing on stdin", inv.commands);
    await setSecret(o, `quantlab:${key}`, value);
    print(`quantlab:${key} set (encrypted) in ${o.configFile}`);
    return 0;
  },
};

export const validate: Command = {
  name: "validate",
  summary: "checks the stack file (secrets decrypted) with no host and no engine run, listing every problem",
  synopsis: "",
  host: false,
  async run(inv: Invocation) {
    const v = await validateStack({ stack: inv.stack, sandbox: inv.sandbox, ...(inv.configFile ? { configFile: inv.configFile } : {}) });
    print(validationText(v));
    return v.ok ? 0 : 1;
  },
};

export const unlock: Command = {
  name: "unlock",
  summary: "releases the stack lock a killed run left behind (refused while that run is alive)",
  synopsis: "",
  host: false,
  async run(inv: Invocation) {
    const o = await openStack({ stack: inv.stack, sandbox: inv.sandbox, ...(inv.configFile ? { configFile: inv.configFile } : {}) });
    const backend = o.env.PULUMI_BACKEND_URL ?? "";
    if (!backend.startsWith("file://")) throw new Error(`unlock: only for a file backend (PULUMI_BACKEND_URL is ${backend})`);
    const locks = stackLocks(backend.slice("file://".length), PROJECT, inv.stack);
    if (locks.length === 0) {
      print(`stack ${inv.stack} is not locked`);
      return 0;
    }
    const live = liveHolder(locks);
    if (live)
      throw new Error(
        `unlock: stack ${inv.stack} is locked by a run that is still active (pid ${live.pid}, started ${live.timestamp}); stop that run instead (Ctrl-C)`,
      );
    await o.stack.cancel();
    print(`released ${locks.length} stale lock(s) of stack ${inv.stack}`);
    return 0;
  },
};
