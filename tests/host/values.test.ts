/**
 * The checked values a host script may carry (host/values.ts): each
 * constructor's refusals by exact message, where a path lies (root's trees
 * or not), and how each value is placed in a script (an integer bare,
 * everything else single-quoted).
 */
import { describe, expect, it } from "vitest";
import {
  gitRef,
  gitRemote,
  httpUrl,
  inRootTree,
  inspect,
  int,
  InvalidValue,
  mode,
  path,
  pkg,
  probeUrl,
  relPath,
  sha256,
  since,
  unit,
  user,
  word,
} from "../../host/values";

const refusal = (make: () => unknown): string => {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidValue);
    return (e as Error).message;
  }
  throw new Error("accepted");
};

describe("each constructor refuses what it cannot place safely, naming the value", () => {
  it("path and inspect: absolute, plain characters, no .., no trailing /, at most 1024 characters", () => {
    expect(refusal(() => path("etc/x"))).toBe('host script: invalid path "etc/x"');
    expect(refusal(() => path("/etc/a b"))).toBe('host script: invalid path "/etc/a b"');
    expect(refusal(() => path("/etc/../root"))).toBe('host script: invalid path "/etc/../root"');
    expect(refusal(() => path("/etc/quantlab/"))).toBe('host script: invalid path "/etc/quantlab/"');
    expect(refusal(() => path("/etc/$(id)"))).toBe('host script: invalid path "/etc/$(id)"');
    expect(refusal(() => path("/etc/x'y"))).toBe(`host script: invalid path "/etc/x'y"`);
    expect(refusal(() => path(""))).toBe('host script: invalid path ""');
    expect(refusal(() => path(`/${"a".repeat(1024)}`))).toBe(`host script: invalid path "/${"a".repeat(1024)}"`);
    expect(path(`/${"a".repeat(1023)}`).raw).toBe(`/${"a".repeat(1023)}`);
    expect(path("/").raw).toBe("/");
    expect(refusal(() => inspect("srv/x"))).toBe('host script: invalid path "srv/x"');
    expect(refusal(() => inspect("/srv/x/../y"))).toBe('host script: invalid path "/srv/x/../y"');
  });

  it("relPath: relative, no .., plain characters", () => {
    expect(refusal(() => relPath("/core"))).toBe('host script: invalid relative path "/core"');
    expect(refusal(() => relPath("../etc"))).toBe('host script: invalid relative path "../etc"');
    expect(refusal(() => relPath("core/a b"))).toBe('host script: invalid relative path "core/a b"');
    expect([relPath(".").raw, relPath("HEAD:services/strategyd").raw]).toEqual([".", "HEAD:services/strategyd"]);
  });

  it("unit, user, mode, sha256", () => {
    expect(refusal(() => unit("x; reboot"))).toBe('host script: invalid unit name "x; reboot"');
    expect(refusal(() => unit("quantlab-a"))).toBe('host script: invalid unit name "quantlab-a"');
    expect(refusal(() => unit("data.mount"))).toBe('host script: invalid unit name "data.mount"');
    expect([unit("quantlab-a.service"), unit("quantlab-ml.timer"), unit("q@1.socket"), unit("quantlab.target")].map((v) => v.raw)).toEqual([
      "quantlab-a.service",
      "quantlab-ml.timer",
      "q@1.socket",
      "quantlab.target",
    ]);
    expect(refusal(() => user("root;id"))).toBe('host script: invalid user or group name "root;id"');
    expect(refusal(() => user("Qlrun"))).toBe('host script: invalid user or group name "Qlrun"');
    expect(refusal(() => user("1qlrun"))).toBe('host script: invalid user or group name "1qlrun"');
    expect(refusal(() => user("q".repeat(33)))).toBe(`host script: invalid user or group name "${"q".repeat(33)}"`);
    expect(user("q".repeat(32)).raw).toBe("q".repeat(32));
    expect(refusal(() => mode("644"))).toBe('host script: invalid mode "644"');
    expect(refusal(() => mode("0648"))).toBe('host script: invalid mode "0648"');
    expect(refusal(() => mode("00644"))).toBe('host script: invalid mode "00644"');
    expect(refusal(() => sha256("zz"))).toBe('host script: invalid sha256 "zz"');
    expect(refusal(() => sha256("A".repeat(64)))).toBe(`host script: invalid sha256 "${"A".repeat(64)}"`);
    expect(refusal(() => sha256("a".repeat(63)))).toBe(`host script: invalid sha256 "${"a".repeat(63)}"`);
  });

  it("int: an integer inside its range", () => {
    expect(refusal(() => int(2.5, 1, 600))).toBe("host script: invalid integer 1-600 2.5");
    expect(refusal(() => int(0, 1, 600))).toBe("host script: invalid integer 1-600 0");
    expect(refusal(() => int(601, 1, 600))).toBe("host script: invalid integer 1-600 601");
    expect([int(1, 1, 600).raw, int(600, 1, 600).raw, int(-3, -5, 0).raw]).toEqual(["1", "600", "-3"]);
  });

  it("word: the characters systemd, cron and a shell all read literally, at most 1024", () => {
    expect(refusal(() => word("a b"))).toBe('host script: invalid word "a b"');
    expect(refusal(() => word("$(id)"))).toBe('host script: invalid word "$(id)"');
    expect(refusal(() => word("it's"))).toBe(`host script: invalid word "it's"`);
    expect(refusal(() => word(""))).toBe('host script: invalid word ""');
    expect(refusal(() => word("w".repeat(1025)))).toBe(`host script: invalid word "${"w".repeat(1025)}"`);
    expect(word("--symbol=btcusdt,ethusdt").raw).toBe("--symbol=btcusdt,ethusdt");
  });

  it("probeUrl: http on the host's loopback with a port; httpUrl: plain http(s), at most 400 characters", () => {
    expect(refusal(() => probeUrl("http://10.0.0.1:80/x"))).toBe('host script: invalid health URL "http://10.0.0.1:80/x"');
    expect(refusal(() => probeUrl("http://127.0.0.1/health"))).toBe('host script: invalid health URL "http://127.0.0.1/health"');
    expect(refusal(() => probeUrl("https://127.0.0.1:3051/health"))).toBe(
      'host script: invalid health URL "https://127.0.0.1:3051/health"',
    );
    expect(refusal(() => probeUrl("http://127.0.0.1:3051/health?x=1"))).toBe(
      'host script: invalid health URL "http://127.0.0.1:3051/health?x=1"',
    );
    expect(probeUrl("http://127.0.0.1:3051/health").raw).toBe("http://127.0.0.1:3051/health");
    expect(refusal(() => httpUrl("ftp://minio.fixture.test"))).toBe('host script: invalid URL "ftp://minio.fixture.test"');
    expect(refusal(() => httpUrl("http://minio.fixture.test/$(id)"))).toBe('host script: invalid URL "http://minio.fixture.test/$(id)"');
    expect(refusal(() => httpUrl(`https://m.test/${"p".repeat(400)}`))).toBe(
      `host script: invalid URL "https://m.test/${"p".repeat(400)}"`,
    );
    expect(httpUrl("https://minio.fixture.test:9000").raw).toBe("https://minio.fixture.test:9000");
  });

  it("gitRemote and gitRef: nothing git would read as an option or a command", () => {
    expect(refusal(() => gitRemote("--upload-pack=touch /tmp/x"))).toBe('host script: invalid git remote "--upload-pack=touch /tmp/x"');
    expect(refusal(() => gitRemote("ext::sh -c id"))).toBe('host script: invalid git remote "ext::sh -c id"');
    expect(refusal(() => gitRemote("/srv/../etc/repo.git"))).toBe('host script: invalid git remote "/srv/../etc/repo.git"');
    expect(refusal(() => gitRef("--force"))).toBe('host script: invalid git ref "--force"');
    expect(refusal(() => gitRef("a/../b"))).toBe('host script: invalid git ref "a/../b"');
    expect([gitRemote("git@example.com:ql/backend.git").raw, gitRef("release/2026-01").raw, gitRef("0".repeat(40)).raw]).toEqual([
      "git@example.com:ql/backend.git",
      "release/2026-01",
      "0".repeat(40),
    ]);
  });

  it("since and pkg", () => {
    expect(refusal(() => since("today; reboot"))).toBe('host script: invalid --since time "today; reboot"');
    expect(refusal(() => since(""))).toBe('host script: invalid --since time ""');
    expect(refusal(() => since("1".repeat(41)))).toBe(`host script: invalid --since time "${"1".repeat(41)}"`);
    expect([since("2026-01-15 10:00").raw, since("-1h").raw]).toEqual(["2026-01-15 10:00", "-1h"]);
    expect(refusal(() => pkg("jq;reboot"))).toBe('host script: invalid package or command name "jq;reboot"');
    expect(refusal(() => pkg("Jq"))).toBe('host script: invalid package or command name "Jq"');
    expect(refusal(() => pkg("-y"))).toBe('host script: invalid package or command name "-y"');
    expect(pkg("g++").raw).toBe("g++");
  });
});

describe("where a path lies", () => {
  it("inside one of root's trees (model/paths.ts ROOT_TREES), by whole path components", () => {
    const tree = (p: string) => path(p).tree;
    expect(
      [
        "/etc",
        "/etc/quantlab/a.env",
        "/var/log/quantlab-ml.log",
        "/var/lib/quantlab/owner",
        "/var/lib/quantlab-infra/store/x",
        "/usr/bin/node",
      ].map(tree),
    ).toEqual(["root", "root", "root", "root", "root", "root"]);
    expect(
      ["/etcetera/x", "/var/lib/quantlabx", "/var/logs/x", "/srv/qlhome/backend/core/.env", "/data/ql/spool", "/", "/var"].map(tree),
    ).toEqual(["runtime", "runtime", "runtime", "runtime", "runtime", "runtime", "runtime"]);
    expect([inRootTree("/var/lib/quantlab-infra"), inRootTree("/var/lib/quantlab-infra2")]).toEqual([true, false]);
  });
});

describe("how a value is placed", () => {
  it("an integer bare (arithmetic reads it), everything else single-quoted", () => {
    expect(
      [
        int(30, 1, 600),
        path("/etc/quantlab"),
        inspect("/srv/ql"),
        relPath("core"),
        unit("quantlab-a.service"),
        user("qlrun"),
        mode("0640"),
        word("x"),
        probeUrl("http://127.0.0.1:1/h"),
      ].map((v) => v.shell),
    ).toEqual([
      "30",
      "'/etc/quantlab'",
      "'/srv/ql'",
      "'core'",
      "'quantlab-a.service'",
      "'qlrun'",
      "'0640'",
      "'x'",
      "'http://127.0.0.1:1/h'",
    ]);
  });

  it("is not text: a value used as a string throws, so it cannot leave the template unquoted", () => {
    const p = path("/etc/quantlab");
    expect(() => `cat ${p}`).toThrow(new TypeError("a checked path is not text: interpolate it into a host script template"));
    expect(() => String(user("qlrun"))).toThrow(new TypeError("a checked user is not text: interpolate it into a host script template"));
  });
});
