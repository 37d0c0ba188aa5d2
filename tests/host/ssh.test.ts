/**
 * The transport (host/ssh.ts) against an SSH server in this process (ssh2's
 * Server), which runs each command with bash as sshd does and reports how
 * it ended as sshd does: exit-status, or exit-signal when a signal killed
 * it. Host key pinning, authentication, the pool, and a session's deadline
 * end to end.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Server, utils, type Connection } from "ssh2";
import { root } from "../../host/script";
import { HostCommandError, HostSession } from "../../host/session";
import { closeAll, connect, type SshTarget } from "../../host/ssh";

const hostKey = utils.generateKeyPairSync("ed25519");
const otherHostKey = utils.generateKeyPairSync("ed25519");
const clientKey = utils.generateKeyPairSync("ed25519");
const strangerKey = utils.generateKeyPairSync("ed25519");
/** The "ssh-ed25519 AAAA..." part of a public key line. */
const keyLine = (pub: string) => pub.split(" ").slice(0, 2).join(" ");
const allowed = utils.parseKey(clientKey.public);

let server: Server;
let port = 0;
const started: number[] = [];

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client: Connection) => {
    client.on("authentication", (ctx) => {
      const ok =
        ctx.method === "publickey" && ctx.username === "ops" && !(allowed instanceof Error) && ctx.key.data.equals(allowed.getPublicSSH());
      return ok ? ctx.accept() : ctx.reject(["publickey"]);
    });
    client.on("ready", () =>
      client.on("session", (accept) => {
        const session = accept();
        session.on("exec", (acceptExec, _reject, info) => {
          const ch = acceptExec();
          const p = spawn("bash", ["-c", info.command], { stdio: ["pipe", "pipe", "pipe"] });
          if (p.pid) started.push(p.pid);
          ch.pipe(p.stdin);
          // Not ended by the pipes: the exit status goes first, then the end of the channel.
          p.stdout.pipe(ch, { end: false });
          p.stderr.pipe(ch.stderr, { end: false });
          p.on("close", (code, signal) => {
            // As sshd: a command killed by a signal ends with exit-signal (its name without SIG), not an exit status.
            if (signal) ch.exit(signal.replace(/^SIG/, ""), false, "");
            else ch.exit(code ?? 0);
            ch.end();
          });
        });
      }),
    );
    client.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await closeAll();
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const target = (over: Partial<SshTarget> = {}): SshTarget => ({
  address: "127.0.0.1",
  port,
  user: "ops",
  hostKey: keyLine(hostKey.public),
  ...over,
});

describe("connect and exec", () => {
  it("runs a command with stdin, and hands back its exit code, stdout and stderr", async () => {
    const conn = await connect(target(), { privateKey: clientKey.private });
    expect(await conn.exec("cat; echo err >&2; exit 3", "from stdin\n")).toEqual({ code: 3, stdout: "from stdin\n", stderr: "err\n" });
  });

  it("pools one connection per target", async () => {
    const a = await connect(target(), { privateKey: clientKey.private });
    const b = await connect(target(), { privateKey: clientKey.private });
    expect(a).toBe(b);
  });

  it("refuses a host that does not present the pinned key, and a key the host does not accept", async () => {
    await expect(connect(target({ hostKey: keyLine(otherHostKey.public) }), { privateKey: clientKey.private })).rejects.toThrow(
      `cannot connect to ops@127.0.0.1:${port}: host key mismatch: the host did not present the pinned key (${keyLine(otherHostKey.public).slice(0, 40)}...); check quantlab:host.hostKey`,
    );
    await expect(connect(target({ user: "stranger" }), { privateKey: clientKey.private })).rejects.toThrow(
      `cannot connect to stranger@127.0.0.1:${port}: authentication failed (check quantlab:sshPrivateKey and quantlab:host.user)`,
    );
  });
});

describe("a session's deadline over SSH", () => {
  const session = () => new HostSession(() => connect(target(), { privateKey: clientKey.private }), "research-a");
  const alive = (pid: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  };

  it("a script past its deadline ends with 124", async () => {
    const r = await session().run(root`sleep 300 >/dev/null 2>&1 & echo "$!"; wait`, { deadline: 1 });
    started.push(Number(r.stdout.trim()));
    expect(r.code).toBe(124);
  });

  it("a script that ignores TERM is killed 5 s later: 137, said as stopped at its deadline (timeout itself dies by KILL, so sshd reports a signal)", async () => {
    const e = await session()
      .must("settle check", root`trap '' TERM; sleep 300 >/dev/null 2>&1 & echo "$!" >&2; wait; wait`, { deadline: 1 })
      .then(
        () => undefined,
        (x: unknown) => x as HostCommandError,
      );
    expect(e).toBeInstanceOf(HostCommandError);
    if (!e) return;
    const pid = Number(e.result?.stderr.trim());
    started.push(pid);
    expect([e.result?.code, e.message]).toEqual([137, `settle check on research-a: stopped after its deadline of 1 s: ${pid}`]);
    for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  }, 20_000);
});
