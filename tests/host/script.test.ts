/**
 * The template every host script is built with (host/script.ts): only
 * checked values and other Scripts may be interpolated, a root script may
 * name only root's trees, a user's fragment embedded by root runs through
 * runuser (never the other way round), and the template text is taken raw.
 */
import { afterAll, describe, expect, it } from "vitest";
import { asUser, lines, quote, root, ROOT_WHO, Script } from "../../host/script";
import { inspect, int, path, unit, user, word } from "../../host/values";
import { runOnHost, runuserStub, scratchDir, stubLog } from "../fixtures/hostShell";

const qlrun = asUser(user("qlrun"));
const scratch = scratchDir("script");
afterAll(scratch.cleanup);

describe("what may be interpolated", () => {
  it("a plain string, number or object is refused, naming it", () => {
    expect(() => root`cat ${"/etc/shadow" as never}`).toThrow(
      new TypeError('unchecked value interpolated into a host script: "/etc/shadow" (use a checked value from host/values.ts)'),
    );
    expect(() => root`sleep ${5 as never}`).toThrow(
      new TypeError('unchecked value interpolated into a host script: "5" (use a checked value from host/values.ts)'),
    );
    expect(() => qlrun`echo ${"x; id" as never}`).toThrow(
      new TypeError('unchecked value interpolated into a host script: "x; id" (use a checked value from host/values.ts)'),
    );
  });

  it("checked values, each quoted where it is placed (an integer bare), and lists of them joined by a space", () => {
    expect(root`systemctl restart ${unit("quantlab-a.service")} && sleep ${int(3, 1, 9)} && echo ${[word("a"), word("b")]}`.text).toBe(
      "systemctl restart 'quantlab-a.service' && sleep 3 && echo 'a' 'b'",
    );
  });

  it("a Script is not text either: used as a string it throws", () => {
    const s = root`id`;
    expect(() => `${s}`).toThrow(
      new TypeError("a Script is not text: interpolate it into a root or asUser template, or run it with a host session"),
    );
  });
});

describe("who runs what", () => {
  it("a root script naming a path outside root's trees is refused with the way out", () => {
    expect(() => root`cat ${path("/srv/qlhome/backend/core/.env")}`).toThrow(
      new TypeError(
        "root script names /srv/qlhome/backend/core/.env, which is outside the trees root owns: run that part as the runtime user (asUser) or look with inspect()",
      ),
    );
    expect(root`cat ${path("/etc/quantlab/a.env")}`.text).toBe("cat '/etc/quantlab/a.env'");
  });

  it("inspect() lets root look at a runtime path's own entry; the runtime user may name any path", () => {
    expect(root`[ -L ${inspect("/srv/qlhome")} ] || stat -c %u -- ${inspect("/srv/qlhome")}`.text).toBe(
      "[ -L '/srv/qlhome' ] || stat -c %u -- '/srv/qlhome'",
    );
    expect(qlrun`cat ${path("/srv/qlhome/backend/core/.env")} ${path("/etc/quantlab/a.env")}`.text).toBe(
      "cat '/srv/qlhome/backend/core/.env' '/etc/quantlab/a.env'",
    );
  });

  it("a user's fragment embedded in a root script runs through runuser, from /, its text quoted once more", () => {
    const s = root`${qlrun`sha256sum < ${path("/srv/ql/core/.env")} | cut -c1-64`} > ${path("/var/lib/quantlab-infra/x")}`;
    expect(s.who).toEqual({ kind: "root" });
    expect(s.text).toBe(
      `runuser -u 'qlrun' -- env -C / bash -c 'sha256sum < '\\''/srv/ql/core/.env'\\'' | cut -c1-64' > '/var/lib/quantlab-infra/x'`,
    );
  });

  it("a fragment of the same user is inlined; a root or other user's script cannot be embedded in a user's", () => {
    expect(qlrun`cd / && ${qlrun`id -un`}`.text).toBe("cd / && id -un");
    expect(() => qlrun`${root`id`}`).toThrow(new TypeError("a script run as user qlrun cannot embed one run as root"));
    expect(() => qlrun`${asUser(user("qlops"))`id`}`).toThrow(
      new TypeError("a script run as user qlrun cannot embed one run as user qlops"),
    );
  });

  it("asUser takes only a checked user name, and never root", () => {
    expect(() => asUser(user("root"))).toThrow(new TypeError("asUser(root): a root script is written with the root template"));
    expect(() => asUser(word("qlrun"))).toThrow(new TypeError("asUser needs a checked user name (values.user)"));
  });

  it("the command line of a whole script: bash -c as root, runuser for a user's", () => {
    expect(root`echo "it's $HOME"`.commandLine).toBe(`bash -c 'echo "it'\\''s $HOME"'`);
    expect(root`echo hi`.asRootCommand).toBe("echo hi");
    expect(qlrun`echo "it's"`.commandLine).toBe(`runuser -u 'qlrun' -- env -C / bash -c 'echo "it'\\''s"'`);
    expect(qlrun`echo "it's"`.asRootCommand).toBe(qlrun`echo "it's"`.commandLine);
  });

  it("lines(): one script a line, each rendered for the identity it is given", () => {
    const s = lines(ROOT_WHO, [root`set -eu`, qlrun`touch ${path("/srv/ql/x")}`, root`echo done`]);
    expect(s.text).toBe("set -eu\nrunuser -u 'qlrun' -- env -C / bash -c 'touch '\\''/srv/ql/x'\\'''\necho done");
    expect(() => lines({ kind: "user", user: "qlrun" }, [root`id`])).toThrow(
      new TypeError("a script run as user qlrun cannot embed one run as root"),
    );
  });
});

describe("the template text is taken raw", () => {
  it("\\n stays the two characters printf and tr read; \\${ and \\` become bash's ${ and `", () => {
    const s = root`printf '%s\n' "\${HOME:-/}" | tr '\n' ' '; echo \`id -u\``;
    expect(s.text).toBe("printf '%s\\n' \"${HOME:-/}\" | tr '\\n' ' '; echo `id -u`");
    expect(s.text.includes("\n")).toBe(false);
  });
});

describe("quote", () => {
  it("single-quotes a word for bash, a quote inside becoming '\\''", () => {
    expect([quote("plain"), quote("it's"), quote(""), quote("''")]).toEqual(["'plain'", `'it'\\''s'`, "''", `''\\'''\\'''`]);
  });
});

describe("under a real bash", () => {
  it("what bash runs is the text: quotes, expansions and the embedded user's fragment survive both quotings", () => {
    const bin = `${scratch.dir}/bin`;
    runuserStub(bin);
    const s = lines(ROOT_WHO, [
      root`x="it's"; printf '[%s]\n' "$x" \`echo tick\``,
      root`${qlrun`printf '[%s|%s]\n' ${word("a,b")} "\${PWD}" "it's"`}`,
    ]);
    const r = runOnHost(s, { bin });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "[it's]\n[tick]\n[a,b|/]\n[it's|]\n", ""]);
    expect(stubLog(bin, "runuser")).toBe("qlrun\n");
  });

  it("a user's whole script: its command line is the runuser one", () => {
    const bin = `${scratch.dir}/bin2`;
    runuserStub(bin);
    const r = runOnHost(qlrun`pwd; echo "$0"`, { bin });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "/\nbash\n", ""]);
    expect(stubLog(bin, "runuser")).toBe("qlrun\n");
  });
});

describe("Script", () => {
  it("keeps who runs it and its text", () => {
    const s = new Script({ kind: "user", user: "qlrun" }, "id");
    expect([s.who, s.text]).toEqual([{ kind: "user", user: "qlrun" }, "id"]);
  });
});
