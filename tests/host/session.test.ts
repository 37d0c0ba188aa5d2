/**
 * The host session (host/session.ts): the command line that puts a deadline
 * on a script, and what run / must / stream hand back (redacted), over a
 * connection that runs the command line with this machine's bash, or
 * answers with canned results.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { afterEach, describe, expect, it } from "vitest";
import { asUser, root } from "../../host/script";
import { commandLine, DEFAULT_DEADLINE_S, HostCommandError, HostSession } from "../../host/session";
import type { ExecResult, SshConnection } from "../../host/ssh";
import { user, word } from "../../host/values";

const SECRET_A = "tok-session-4e1b7c9a2d";
const SECRET_B = "tok-session-8f3d6a0c5e";

interface Call {
  readonly command: string;
  readonly stdin: string;
  readonly timeoutMs: number;
}

/** A connection whose "host" is this machine: each command line runs under bash, as the SSH server would run it. */
function localConnection(calls: Call[] = []) {
  const exec = (command: string, stdin: string | Buffer = "", timeoutMs = 0): Promise<ExecResult> => {
    calls.push({ command, stdin: String(stdin), timeoutMs });
    return new Promise((resolve, reject) => {
      const p = spawn("bash", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      p.on("error", reject);
      p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      p.stdin.end(stdin);
    });
  };
  const stream = async (script: string, onStdout: (d: Buffer) => void, onStderr: (d: Buffer) => void) => {
    calls.push({ command: script, stdin: "", timeoutMs: 0 });
    const p = spawn("bash", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
    p.stdout.on("data", onStdout);
    p.stderr.on("data", onStderr);
    const done = new Promise<number>((res) => p.on("close", (code) => res(code ?? -1)));
    return { done, stop: () => p.stdin.end() };
  };
  return { exec, stream } as unknown as SshConnection;
}

/** A connection that answers each exec with the next canned result. */
function cannedConnection(results: ExecResult[], calls: Call[] = []) {
  return {
    exec: async (command: string, stdin: string | Buffer = "", timeoutMs = 0) => {
      calls.push({ command, stdin: String(stdin), timeoutMs });
      return results.shift()!;
    },
  } as unknown as SshConnection;
}

const session = (conn: SshConnection, secrets: readonly string[] = [SECRET_A, SECRET_B]) =>
  new HostSession(
    async () => conn,
    "research-a",
    () => secrets,
  );

describe("commandLine", () => {
  it("puts the script's own command line under timeout, which stops its whole process group (KILL 5 s after TERM)", () => {
    expect(commandLine(root`echo "it's"`, 30)).toBe(`timeout -k 5 30 bash -c 'echo "it'\\''s"'`);
    expect(commandLine(asUser(user("qlrun"))`id -un`, 1)).toBe("timeout -k 5 1 runuser -u 'qlrun' -- env -C / bash -c 'id -un'");
    expect(commandLine(root`true`, 86_400)).toBe("timeout -k 5 86400 bash -c 'true'");
  });

  it("refuses a deadline that is not a whole number of seconds from 1 s to a day", () => {
    expect(() => commandLine(root`true`, 0)).toThrow(new RangeError("invalid deadline 0"));
    expect(() => commandLine(root`true`, 1.5)).toThrow(new RangeError("invalid deadline 1.5"));
    expect(() => commandLine(root`true`, 86_401)).toThrow(new RangeError("invalid deadline 86401"));
  });
});

describe("run", () => {
  it("sends the deadline's command line and the stdin; gives the channel 15 s more than the host's deadline", async () => {
    const calls: Call[] = [];
    const s = session(localConnection(calls));
    expect(await s.run(root`cat; echo " err" >&2`, { stdin: "in-1", deadline: 7 })).toEqual({ code: 0, stdout: "in-1", stderr: " err\n" });
    expect(await s.run(root`exit 3`)).toEqual({ code: 3, stdout: "", stderr: "" });
    expect(calls).toEqual([
      { command: `timeout -k 5 7 bash -c 'cat; echo " err" >&2'`, stdin: "in-1", timeoutMs: 22_000 },
      { command: "timeout -k 5 60 bash -c 'exit 3'", stdin: "", timeoutMs: 75_000 },
    ]);
    expect(DEFAULT_DEADLINE_S).toBe(60);
  });

  it("redacts every secret of the stack from stdout and stderr, asking for the secrets at each run", async () => {
    let secrets = [SECRET_A];
    const s = new HostSession(
      async () => localConnection(),
      "research-a",
      () => secrets,
    );
    expect(await s.run(root`cat`, { stdin: `${SECRET_A} and ${SECRET_B}\n` })).toEqual({
      code: 0,
      stdout: `[redacted] and ${SECRET_B}\n`,
      stderr: "",
    });
    secrets = [SECRET_A, SECRET_B];
    expect(await s.run(root`cat >&2`, { stdin: `${SECRET_A}${SECRET_B}` })).toEqual({
      code: 0,
      stdout: "",
      stderr: "[redacted][redacted]",
    });
  });
});

describe("must", () => {
  it("returns stdout when the script succeeds", async () => {
    expect(await session(cannedConnection([{ code: 0, stdout: "ok\n", stderr: "warn\n" }])).must("stat", root`true`)).toBe("ok\n");
  });

  it("a failure: `<what> on <host>: ` and the last 30 lines of stderr (else of stdout, else the exit status), redacted", async () => {
    const lines = Array.from({ length: 35 }, (_, i) => `line ${i + 1}`);
    const err = (r: ExecResult) =>
      session(cannedConnection([r]))
        .must("write /etc/quantlab/a.env", root`true`)
        .then(
          () => {
            throw new Error("accepted");
          },
          (e: unknown) => e as HostCommandError,
        );
    const e1 = await err({ code: 1, stdout: "out\n", stderr: `${lines.join("\n")}\n` });
    expect(e1).toBeInstanceOf(HostCommandError);
    expect(e1.message).toBe(`write /etc/quantlab/a.env on research-a: ${lines.slice(5).join("\n")}`);
    expect(e1.result).toEqual({ code: 1, stdout: "out\n", stderr: `${lines.join("\n")}\n` });
    expect((await err({ code: 2, stdout: `token ${SECRET_B} refused\n`, stderr: "  \n" })).message).toBe(
      "write /etc/quantlab/a.env on research-a: token [redacted] refused",
    );
    expect((await err({ code: 5, stdout: "", stderr: "" })).message).toBe("write /etc/quantlab/a.env on research-a: exit status 5");
    expect((await err({ code: 1, stdout: "", stderr: `curl: bad header Authorization: Bearer ${SECRET_A}\n` })).message).toBe(
      "write /etc/quantlab/a.env on research-a: curl: bad header Authorization: Bearer [redacted]",
    );
  });

  it("a deadline reached (124, or 137 when it had to be killed) is said as such, with stderr if any", async () => {
    const fail = async (r: ExecResult, deadline?: number) => {
      try {
        await session(cannedConnection([r])).must("health gate of quantlab-a.service", root`true`, deadline ? { deadline } : {});
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(await fail({ code: 124, stdout: "half", stderr: "" }, 12)).toBe(
      "health gate of quantlab-a.service on research-a: stopped after its deadline of 12 s",
    );
    expect(await fail({ code: 137, stdout: "", stderr: `still waiting ${SECRET_A}\n` })).toBe(
      "health gate of quantlab-a.service on research-a: stopped after its deadline of 60 s: still waiting [redacted]",
    );
  });
});

describe("stream", () => {
  it("runs the script with no deadline and hands over its output redacted, until stop() closes its stdin", async () => {
    const calls: Call[] = [];
    const s = session(localConnection(calls));
    let out = "";
    let err = "";
    const h = await s.stream(
      root`echo "start \${x:-}"; echo "e "${word(SECRET_B)} >&2; cat >/dev/null; echo stopped`,
      (d) => (out += d),
      (d) => (err += d),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(out).toBe("start \n");
    h.stop();
    expect(await h.done).toBe(0);
    expect([out, err]).toEqual(["start \nstopped\n", "e [redacted]\n"]);
    expect(calls.map((c) => c.command)).toEqual([
      `bash -c 'echo "start \${x:-}"; echo "e "'\\''${SECRET_B}'\\'' >&2; cat >/dev/null; echo stopped'`,
    ]);
  });

  it("redacts a secret cut across two chunks of output", async () => {
    const s = session(localConnection());
    let out = "";
    const half = SECRET_A.length / 2;
    const h = await s.stream(
      root`printf '%s' ${word(SECRET_A.slice(0, half))}; sleep 0.3; printf '%s\n' ${word(SECRET_A.slice(half))}; cat >/dev/null`,
      (d) => (out += d),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 600));
    h.stop();
    await h.done;
    expect(out).toBe("[redacted]\n");
  });

  it("hands over whole lines: a character cut across chunks arrives whole, a last line without a newline when the script ends", async () => {
    const s = session(localConnection());
    const chunks: string[] = [];
    // "é" is two bytes (\303\251): the first ends one chunk, the second starts the next.
    const h = await s.stream(
      root`printf 'caf\303'; sleep 0.3; printf '\251\nno newline'; cat >/dev/null`,
      (d) => chunks.push(d),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 600));
    expect(chunks).toEqual(["café\n"]);
    h.stop();
    await h.done;
    expect(chunks).toEqual(["café\n", "no newline"]);
  });

  it("redact(): the stack's secrets out of text an operator reads", () => {
    expect(session(cannedConnection([])).redact(`a ${SECRET_A} b ${SECRET_B}`)).toBe("a [redacted] b [redacted]");
  });
});

describe("a script past its deadline, on this machine", () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  });

  /** Running, and not a zombie waiting for a parent that no longer reaps it. */
  function alive(pid: number): boolean {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  }
  const waitGone = async (pid: number) => {
    for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    return !alive(pid);
  };
  // The sleep's output goes elsewhere, so a survivor does not hold the script's stdout open.
  const sleeper = root`sleep 300 >/dev/null 2>&1 & echo "$!"; wait`;

  it("is stopped with exit status 124, and the process it started is gone too", async () => {
    const t0 = Date.now();
    const r = await session(localConnection()).run(sleeper, { deadline: 1 });
    const pid = Number(r.stdout.trim());
    started.push(pid);
    expect(r.code).toBe(124);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(pid).toBeGreaterThan(1);
    expect(await waitGone(pid)).toBe(true);
  });

  it("(the check above sees a survivor: with timeout --foreground, which signals only its child, the sleep lives on)", async () => {
    const r = await localConnection().exec(`timeout --foreground 1 ${sleeper.commandLine}`);
    const pid = Number(r.stdout.trim());
    started.push(pid);
    expect(r.code).toBe(124);
    expect(alive(pid)).toBe(true);
  });
});
