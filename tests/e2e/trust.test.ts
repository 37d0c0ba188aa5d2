/**
 * A host you can trust with root, end to end on a real sandbox host: neither
 * the runtime user (who owns the backend tree, core/, the spool and the runs)
 * nor a careless stack file can turn the package against the host. Each
 * scenario is one of issue 15's findings, made to fail on the code before
 * the host layer: root deleting, writing or reading through the runtime
 * user's symlinks; tmpfiles re-moding directories the package does not own;
 * a privileged runtime account; a bastion hop that hung; journal lines that
 * reached the operator with a token in them; and the keys and addresses a
 * host changes over its life, which `up` must follow.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../cli/run";
import { run } from "../../cli/run";
import type { Sandbox } from "../../cli/sandbox";
import * as YAML from "yaml";
import { RealStack, removeSandbox, SandboxStack, stopwatch } from "./host";

const NAME = `e2e-trust-${process.pid}`;
const { timed, report } = stopwatch();
let stack: SandboxStack;
let sandbox: Sandbox;
let pristine: string;

const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

async function mustQuantlab(command: string, ...extra: string[]): Promise<RunResult> {
  const r = await stack.quantlab(command, ...extra);
  expect(r.code, `quantlab ${command}:\n${output(r)}`).toBe(0);
  return r;
}

/** A shell line as the runtime user (what a hostile service could do). */
const asDeploy = (cmd: string) => sandbox.sh(`runuser -u deploy -- sh -c '${cmd.replace(/'/g, `'\\''`)}'`);

/** Root-owned decoys the runtime user's links point at: path -> `sha mode owner:group` (or `dir mode owner:group` plus its files). */
async function decoys(): Promise<string> {
  return sandbox.sh(
    "find /root/decoys -printf '%p %m %u:%g ' -exec sh -c '[ -f \"$1\" ] && sha256sum < \"$1\" | cut -c1-16 || echo dir' _ {} \\; | sort",
  );
}

beforeAll(async () => {
  stack = new SandboxStack(NAME);
  pristine = fs.readFileSync(stack.base, "utf8");
  const up = await timed("fresh up incl. sandbox boot", () => stack.quantlab("up"));
  expect(up.code, output(up)).toBe(0);
  sandbox = stack.sandbox();
});

afterAll(async () => {
  report("trust e2e timings", "e2e-trust-timings.json");
  if (stack) await removeSandbox(stack.dir);
});

describe("the runtime user's links never lead root", () => {
  it("every command, run against a tree whose runtime paths are links to root-owned decoys, leaves the decoys as they were", async () => {
    const backend = "/home/deploy/quantlab-backend";
    // Decoys named like what root used to touch there: the bundle's files, the dotenv, the runs, a log file.
    await sandbox.sh(
      [
        "install -d -m 0700 /root/decoys",
        "for d in collector core runs observer-api; do install -d -m 0755 /root/decoys/$d; done",
        "echo decoy > /root/decoys/collector/collector.py",
        "echo DECOY=1 > /root/decoys/core/.env",
        "echo decoy-run > /root/decoys/runs/run-1.json",
        "echo decoy-log > /root/decoys/observer-api/server.log",
        "echo decoy-file > /root/decoys/package.json",
        "chmod 0600 /root/decoys/collector/collector.py /root/decoys/core/.env /root/decoys/runs/run-1.json /root/decoys/observer-api/server.log /root/decoys/package.json",
        // /root is 0700: the runtime user cannot read the decoys; the links still point there.
        "chmod 0755 /root /root/decoys",
      ].join(" && "),
    );
    const before = await decoys();
    await asDeploy(
      [
        `cd ${backend}`,
        "mv collector collector.real && ln -s /root/decoys/collector collector",
        "mv core core.real && ln -s /root/decoys/core core",
        "mv services/strategyd/runs services/strategyd/runs.real && ln -s /root/decoys/runs services/strategyd/runs",
        "rm -f core.real/observer-api/server.log; ln -s /root/decoys/observer-api/server.log core.real/observer-api/server.log",
        "rm services/replayd/package.json && ln -s /root/decoys/package.json services/replayd/package.json",
      ].join(" && "),
    );
    const commands: string[][] = [
      ["status"],
      ["doctor"],
      ["logs", "observer-api"],
      ["run", "ml"],
      ["generations"],
      ["drift"],
      ["preview"],
      ["up"],
      ["restart", "--all"],
      ["destroy"],
    ];
    const codes: Record<string, number> = {};
    try {
      for (const c of commands) {
        const r = await timed(`${c.join(" ")} through the links`, () => stack.quantlab(c[0]!, ...c.slice(1)));
        codes[c.join(" ")] = r.code;
        expect([c.join(" "), await decoys()]).toEqual([c.join(" "), before]);
      }
      // up could not rewrite the code through the links (the runtime user may not write root's decoys); the decoys kept owner and mode.
      expect(codes.up).toBe(1);
      expect(await sandbox.sh("stat -c '%a %U' /root/decoys/core/.env /root/decoys/collector/collector.py")).toBe("600 root\n600 root\n");
    } finally {
      // Put the tree back and converge again: the next scenarios start from a healthy host.
      await asDeploy(
        [
          `cd ${backend}`,
          "rm -f collector core services/strategyd/runs services/replayd/package.json core.real/observer-api/server.log",
          "mv collector.real collector && mv core.real core && mv services/strategyd/runs.real services/strategyd/runs",
        ].join(" && "),
      );
      await sandbox.sh("rm -rf /root/decoys && chmod 0700 /root");
      await mustQuantlab("up");
    }
  });
});

describe("directories the package does not own", () => {
  it("the spool's parent is made if missing and never re-moded; a home that belongs to another user is refused, naming the key, and left as it was", async () => {
    // A parent of the operator's with a mode of its own: the old tmpfiles line set it to 0755 root:root.
    await sandbox.sh("install -d -m 0711 -o root -g root /srv/data");
    stack.setBase("runtime.spoolDir", "/srv/data/qlspool");
    try {
      await mustQuantlab("up");
      expect(await sandbox.sh("stat -c '%a %U' /srv/data /srv/data/qlspool")).toBe("711 root\n750 deploy\n");
    } finally {
      fs.writeFileSync(stack.base, pristine);
    }
    await mustQuantlab("up");

    await sandbox.sh("useradd -m -d /home/alice -s /bin/bash alice && chmod 0700 /home/alice");
    stack.setBase("runtime.home", "/home/alice");
    stack.setBase("runtime.backendRoot", "/home/alice/quantlab-backend");
    try {
      const r = await stack.quantlab("up");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /quantlab:runtime\.home: \/home\/alice exists on \S+ and belongs to alice \(uid \d+\), not to the runtime user deploy: refusing to take it over/,
      );
      expect(await sandbox.sh("stat -c '%a %U %G' /home/alice; ls -A /home/alice")).toBe(
        "700 alice alice\n.bash_logout\n.bashrc\n.profile\n",
      );
    } finally {
      fs.writeFileSync(stack.base, pristine);
    }
    await mustQuantlab("up");
  });

  it("an existing runtime account in a privileged group is refused before it runs anything, naming quantlab:runtime.user", async () => {
    stack.setBase("runtime.user", "qlops");
    stack.setBase("runtime.group", "qlops");
    await sandbox.sh("groupadd qlops && useradd -g qlops -G sudo -M -s /usr/sbin/nologin qlops");
    try {
      const r = await stack.quantlab("preview");
      expect(r.code, output(r)).toBe(0); // preview changes nothing: the host is asked when the rules would be written
      const up = await stack.quantlab("up");
      expect(up.code).toBe(1);
      expect(up.stderr).toContain("quantlab:runtime.user: qlops exists on");
      expect(up.stderr).toContain("is in the privileged group sudo: refusing to run services with its rights");
      expect(await sandbox.sh("ls /etc/systemd/system | grep -c quantlab- ; grep -c qlops /etc/sysusers.d/quantlab.conf || true")).toBe(
        "10\n0\n",
      );
    } finally {
      fs.writeFileSync(stack.base, pristine);
      await sandbox.sh("userdel qlops; groupdel qlops 2>/dev/null; true");
    }
    await mustQuantlab("up");
  });
});

describe("what reaches the operator", () => {
  it("a token a service wrote into its journal is redacted in doctor, logs and restart", async () => {
    const { tokens } = await stack.expected();
    await sandbox.ssh(
      `printf 'MESSAGE=error: refused with %s\\nOBJECT_SYSTEMD_UNIT=quantlab-featurexd.service\\n' '${tokens.featurexd}' | logger --journald`,
    );
    expect(await sandbox.sh("journalctl -u quantlab-featurexd.service --no-pager | grep -c 'refused with' || true")).toBe("1\n");
    for (const c of [
      ["doctor", "featurexd"],
      ["logs", "featurexd"],
    ]) {
      const r = await stack.quantlab(c[0]!, ...c.slice(1));
      expect(output(r)).toContain("error: refused with [redacted]");
      expect(Object.values(tokens).filter((t) => output(r).includes(t))).toEqual([]);
    }
  });
});

describe("a hop that fails ends the command", () => {
  it("status through a bastion to a host whose key differs exits at once, naming the mismatch", async () => {
    const info = JSON.parse(fs.readFileSync(path.join(stack.dir, "host.json"), "utf8"));
    const { tokens } = await stack.expected();
    // The bastion is the sandbox itself; the target is its own sshd on the bastion's loopback, pinned to a key it does not have.
    const wrongKey = (
      await run("bash", ["-c", "d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f $d/k && cut -d' ' -f1,2 $d/k.pub && rm -rf $d"])
    ).stdout.trim();
    const base = YAML.parse(pristine) as { config: Record<string, unknown> };
    const real = new RealStack(`${NAME}-bastion`, {
      ...base.config,
      "quantlab:host": {
        address: "127.0.0.1",
        port: 22,
        user: "root",
        hostKey: wrongKey,
        bastion: { address: info.address, port: info.port, user: "root", hostKey: info.hostKey },
      },
    });
    try {
      await real.secrets({
        sshPrivateKey: fs.readFileSync(path.join(stack.dir, "id_ed25519"), "utf8"),
        ...Object.fromEntries(Object.entries(tokens).map(([k, v]) => [`tokens.${k}`, v])),
      });
      const started = Date.now();
      const r = await real.quantlab("status");
      expect(r.code, output(r)).toBe(1);
      expect(r.stderr).toContain("cannot connect to root@127.0.0.1:22: host key mismatch");
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      real.dispose();
    }
  });
});

describe("keys and hosts change, and up follows", () => {
  const hostJson = () => path.join(stack.dir, "host.json");

  it("a rotated deploy key", async () => {
    const keyFile = path.join(stack.dir, "id_ed25519");
    const oldPub = fs.readFileSync(`${keyFile}.pub`, "utf8").trim();
    await run("bash", ["-c", `rm -f ${keyFile}.new ${keyFile}.new.pub && ssh-keygen -q -t ed25519 -N '' -f ${keyFile}.new`]);
    await sandbox.authorize(fs.readFileSync(`${keyFile}.new.pub`, "utf8"));
    fs.renameSync(`${keyFile}.new`, keyFile);
    fs.renameSync(`${keyFile}.new.pub`, `${keyFile}.pub`);
    // The old key no longer opens the host.
    await stack
      .sandbox()
      .sh(`grep -vxF '${oldPub}' /root/.ssh/authorized_keys > /root/.ssh/k && mv /root/.ssh/k /root/.ssh/authorized_keys`);
    const up = await timed("up after a key rotation", () => mustQuantlab("up"));
    // Only the host's provider changes (its configuration holds the key): no host resource is touched.
    expect(up.stdout).toMatch(/Resources:\n\s+~ 1 updated\n\s+\d+ unchanged\n/);
  });

  it("a re-keyed host (new host key, re-pinned)", async () => {
    const key = (
      await stack
        .sandbox()
        .sh(
          "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh && cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub",
        )
    ).trim();
    const info = JSON.parse(fs.readFileSync(hostJson(), "utf8"));
    fs.writeFileSync(hostJson(), JSON.stringify({ ...info, hostKey: key }));
    fs.writeFileSync(path.join(stack.dir, "known_hosts"), `${info.address} ${key}\n`);
    const up = await timed("up after a host re-key", () => mustQuantlab("up"));
    expect(up.stdout).toMatch(/Resources:\n\s+~ 1 updated\n\s+\d+ unchanged\n/);
  });

  it("a moved address", async () => {
    const info = JSON.parse(fs.readFileSync(hostJson(), "utf8"));
    const [a, b, c] = info.address.split(".");
    const veth = (
      await run("bash", [
        "-c",
        `ip -o link | grep -o 'qlh-[0-9a-f]*' | while read v; do ip -4 -o addr show dev $v | grep -q '${a}.${b}.${c}.1/' && echo $v; done`,
      ])
    ).stdout.trim();
    await run("bash", [
      "-c",
      `ip addr add ${a}.${b}.${c}.5/30 dev ${veth} && ip -n ${info.namespace} addr add ${a}.${b}.${c}.6/30 dev eth0`,
    ]);
    try {
      fs.writeFileSync(hostJson(), JSON.stringify({ ...info, address: `${a}.${b}.${c}.6` }));
      const up = await timed("up after an address move", () => mustQuantlab("up"));
      expect(up.stdout).toMatch(/Resources:\n\s+~ 1 updated\n\s+\d+ unchanged\n/);
    } finally {
      fs.writeFileSync(hostJson(), JSON.stringify(info));
      await run("bash", [
        "-c",
        `ip addr del ${a}.${b}.${c}.5/30 dev ${veth}; ip -n ${info.namespace} addr del ${a}.${b}.${c}.6/30 dev eth0`,
      ]);
    }
    await mustQuantlab("up");
  });

  it("a recreated sandbox (down, then up): everything is put on the new host", async () => {
    await run("bash", ["scripts/sandbox.sh", "down", stack.dir]);
    const up = await timed("up on a recreated sandbox", () => mustQuantlab("up"));
    expect(up.stdout).toMatch(/^replayd +quantlab-replayd\.service +active +200 /m);
  });
});
