/**
 * A fleet in one stack (`quantlab:hosts`, `quantlab:rollout`) and the
 * generations kept (`quantlab:generations`): the pure resolution (service
 * merge, waves, SSH targets) and the hostile fleet configs, by exact message.
 */
import { describe, expect, it } from "vitest";
import { hostTarget, mergeServices, rolloutWaves } from "../../config/fleet";
import { ConfigError, parseStackConfig } from "../../config/parse";
import type { ServicesConfig } from "../../config/schema";
import { distinctConfig, fleetConfig, FLEET_HOST_KEYS, TEST_TOKENS } from "../fixtures/stack";
import { LEAK, leakedSecrets, messageOf } from "./leaks";

type Config = Record<string, string>;
type Entry = Record<string, unknown>;

const HOSTS = (): Entry[] => JSON.parse(fleetConfig()["quantlab:hosts"]!) as Entry[];
/** fleetConfig() with host `i` merged with `patch` (a key set to undefined is dropped). */
const withHost = (i: number, patch: Entry, base: Config = fleetConfig()): Config => {
  const hosts = JSON.parse(base["quantlab:hosts"]!) as Entry[];
  hosts[i] = { ...hosts[i], ...patch };
  return { ...base, "quantlab:hosts": JSON.stringify(hosts) };
};
const withHosts = (hosts: unknown, base: Config = fleetConfig()): Config => ({ ...base, "quantlab:hosts": JSON.stringify(hosts) });
const withKey = (k: string, value: unknown, base: Config = fleetConfig()): Config => ({
  ...base,
  [`quantlab:${k}`]: JSON.stringify(value),
});
const STACK_SERVICES = JSON.parse(fleetConfig()["quantlab:services"]!) as Entry;

describe("mergeServices: a host's fields win, service by service", () => {
  const stack = {
    replayd: { enabled: true, port: 4030, after: [] },
    strategyd: { enabled: true, port: 4031, after: ["collector"], healthTimeoutSeconds: 45 },
  } as ServicesConfig;

  it("without overrides the stack's services are the host's", () => {
    expect(mergeServices(stack, undefined)).toEqual(stack);
  });

  it("a host field replaces the stack's; unset fields keep the stack's; a service the stack leaves out gets the defaults", () => {
    expect(mergeServices(stack, { replayd: { port: 4130 }, strategyd: { after: [], enabled: false }, labeld: { enabled: false } })).toEqual(
      {
        replayd: { enabled: true, port: 4130, after: [] },
        strategyd: { enabled: false, port: 4031, after: [], healthTimeoutSeconds: 45 },
        labeld: { enabled: false, after: [] },
      },
    );
  });
});

describe("rolloutWaves: host names in list order, the canary wave first", () => {
  const names = (n: number) => ["a", "b", "c", "d", "e"].slice(0, n);
  it.each<[title: string, n: number, rollout: { canary?: number; batchSize?: number | string }, waves: string[][]]>([
    ["one host, defaults", 1, {}, [["a"]]],
    ["three hosts, defaults: canary 1, then all the rest", 3, {}, [["a"], ["b", "c"]]],
    ["canary 1, batches of 2", 5, { canary: 1, batchSize: 2 }, [["a"], ["b", "c"], ["d", "e"]]],
    ["no canary, batches of 2", 5, { canary: 0, batchSize: 2 }, [["a", "b"], ["c", "d"], ["e"]]],
    [
      "canary 2, batches of 50% of 4 hosts",
      4,
      { canary: 2, batchSize: "50%" },
      [
        ["a", "b"],
        ["c", "d"],
      ],
    ],
    ["50% of 3 hosts rounds down (as Ansible's serial)", 3, { batchSize: "50%" }, [["a"], ["b"], ["c"]]],
    ["1% is still one host a wave", 3, { canary: 0, batchSize: "1%" }, [["a"], ["b"], ["c"]]],
    ["100% after the canary", 4, { batchSize: "100%" }, [["a"], ["b", "c", "d"]]],
    ["a canary of every host is one wave", 3, { canary: 3 }, [["a", "b", "c"]]],
    ["one host with canary 1", 1, { canary: 1 }, [["a"]]],
  ])("%s", (_title, n, rollout, waves) => {
    expect(rolloutWaves(names(n), rollout)).toEqual(waves);
  });
});

describe("a fleet stack", () => {
  const parsed = parseStackConfig(fleetConfig());

  it("one ParsedHost per entry, with its SSH target", () => {
    expect(parsed.hosts.map((h) => [h.name, h.target])).toEqual([
      [
        "research-a",
        { address: "10.9.8.11", port: 2201, user: "ops", hostKey: FLEET_HOST_KEYS.a, insecureSkipHostKeyCheck: false, useAgent: false },
      ],
      [
        "research-b",
        { address: "10.9.8.12", port: 2202, user: "opsb", hostKey: FLEET_HOST_KEYS.b, insecureSkipHostKeyCheck: false, useAgent: false },
      ],
      [
        "standby",
        {
          address: "standby.fixture.test",
          port: 22,
          user: "root",
          insecureSkipHostKeyCheck: true,
          useAgent: true,
          bastion: { address: "jump.fixture.test", port: 2022, user: "jump", hostKey: FLEET_HOST_KEYS.jump },
        },
      ],
    ]);
    expect("hostKey" in parsed.hosts[2]!.target).toBe(false);
  });

  it("each host's model has its own services; model and config.host are the first host's", () => {
    const services = (i: number) => parsed.hosts[i]!.model.services.map((s) => `${s.def.name}:${s.port ?? "-"}`);
    expect(services(1)).toEqual([
      "replayd:4130",
      "collector:9100",
      "featurexd:3051",
      "strategyd:4031",
      "backtestd:3041",
      "job-worker:-",
      "observer:-",
      "observer-api:3000",
    ]);
    expect(services(0)).toEqual(services(2));
    expect(services(0)).toContain("replayd:4030");
    expect(parsed.model).toBe(parsed.hosts[0]!.model);
    expect(parsed.config.host).toEqual({
      address: "10.9.8.11",
      port: 2201,
      user: "ops",
      hostKey: FLEET_HOST_KEYS.a,
      insecureSkipHostKeyCheck: false,
      useAgent: false,
    });
    expect(parsed.config.services).toEqual(parseStackConfig(distinctConfig()).config.services);
  });

  it("waves by default: the canary alone, then the rest; keeps 10 generations", () => {
    expect(parsed.rollout).toEqual({ waves: [["research-a"], ["research-b", "standby"]], maxFailedHosts: 0 });
    expect(parsed.generations).toEqual({ keep: 10 });
  });

  it("rollout and generations as configured", () => {
    const p = parseStackConfig(withKey("generations", { keep: 3 }, withKey("rollout", { canary: 0, batchSize: 2, maxFailedHosts: 1 })));
    expect([p.rollout, p.generations]).toEqual([{ waves: [["research-a", "research-b"], ["standby"]], maxFailedHosts: 1 }, { keep: 3 }]);
  });

  it("hostTarget: a host's target by name, and an unknown name listed against the known ones", () => {
    expect(hostTarget(parsed, "research-b")).toBe(parsed.hosts[1]!.target);
    expect(() => hostTarget(parsed, "research-c")).toThrow(
      new Error('no host "research-c" in the stack config (hosts: research-a, research-b, standby)'),
    );
  });

  it("tokens are the union over the hosts: a service on one host only still needs its token", () => {
    const offOnB = withHost(
      0,
      { services: { labeld: { enabled: false }, "console-ui": { enabled: false } } },
      withHost(2, { services: { labeld: { enabled: false }, "console-ui": { enabled: false } } }),
    );
    const tokens = { ...TEST_TOKENS } as Record<string, string>;
    delete tokens.labeld;
    expect(() => parseStackConfig(offOnB)).not.toThrow();
    expect(problemsOf({ ...withHost(1, { services: {} }, offOnB), "quantlab:tokens": JSON.stringify(tokens) })).toEqual([
      "quantlab:tokens.labeld: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.labeld",
    ]);
    expect(() => parseStackConfig({ ...offOnB, "quantlab:tokens": JSON.stringify(tokens) })).not.toThrow();
  });

  it("the private key may be left out only when every host uses the agent", () => {
    const noKey = (c: Config) => {
      const copy = { ...c };
      delete copy["quantlab:sshPrivateKey"];
      return copy;
    };
    expect(problemsOf(noKey(fleetConfig()))).toEqual([
      "quantlab:sshPrivateKey: missing secret; set it with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519",
    ]);
    expect(() => parseStackConfig(noKey(withHost(0, { useAgent: true }, withHost(1, { useAgent: true }))))).not.toThrow();
  });
});

describe("the single-host form is a fleet of one", () => {
  it('one ParsedHost named "host", one wave, 10 generations', () => {
    const p = parseStackConfig(distinctConfig());
    expect(p.hosts).toEqual([
      {
        name: "host",
        target: {
          address: "10.9.8.7",
          port: 2222,
          user: "ops",
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureHostKeyFixtureHostKeyFixture01",
          insecureSkipHostKeyCheck: false,
          useAgent: false,
        },
        model: p.model,
        settings: {
          host: {
            address: "10.9.8.7",
            port: 2222,
            user: "ops",
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureHostKeyFixtureHostKeyFixture01",
            insecureSkipHostKeyCheck: false,
            useAgent: false,
          },
          services: {
            replayd: { after: [], enabled: true, port: 4030 },
            strategyd: { after: [], enabled: true, healthTimeoutSeconds: 45, port: 4031, workingDir: "apps/strategy" },
          },
        },
      },
    ]);
    expect([p.rollout, p.generations]).toEqual([{ waves: [["host"]], maxFailedHosts: 0 }, { keep: 10 }]);
  });

  it("quantlab:hosts with one entry resolves to the same model as quantlab:host", () => {
    const single = distinctConfig();
    const { "quantlab:host": host, ...rest } = single;
    const one = parseStackConfig({ ...rest, "quantlab:hosts": JSON.stringify([{ name: "host", ...JSON.parse(host!) }]) });
    expect(one.model).toEqual(parseStackConfig(single).model);
    expect(one.hosts[0]!.target).toEqual(parseStackConfig(single).hosts[0]!.target);
  });
});

function problemsOf(config: Config): readonly string[] {
  try {
    parseStackConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("the config was accepted");
}

const HOST_NAME = "expected a host name: 1-40 of a-z, 0-9 and -, starting with a letter or digit";
const WHOLE = "expected a whole number of hosts, 0 or more";
const BATCH = 'expected a number of hosts (1 or more) or a percentage of them ("1%" to "100%")';
const KEEP = "expected a whole number 1-100";

const CASES: Array<[title: string, config: Config, problems: string[]]> = [
  [
    "both quantlab:host and quantlab:hosts",
    { ...fleetConfig(), "quantlab:host": distinctConfig()["quantlab:host"]! },
    ["quantlab:hosts: set either quantlab:host (one host) or quantlab:hosts (a list of hosts), not both"],
  ],
  [
    "neither",
    (({ "quantlab:hosts": _, ...rest }) => rest)(fleetConfig()),
    ["quantlab:host: expected an object with address, port, user, hostKey (or a list of hosts in quantlab:hosts), got nothing"],
  ],
  ["an empty list", withHosts([]), ["quantlab:hosts: expected a list of 1-100 hosts, got []"]],
  [
    "101 hosts",
    withHosts(Array.from({ length: 101 }, (_, i) => ({ name: `h${i}`, address: `10.1.0.${i}`, insecureSkipHostKeyCheck: true }))),
    ["quantlab:hosts: expected a list of 1-100 hosts, got a list of 101"],
  ],
  [
    "a map instead of a list",
    withHosts({ "research-a": { address: "10.9.8.11" } }),
    ['quantlab:hosts: expected a list of hosts, each with name and address, got {"research-a":{"address":"10.9.8.11"}}'],
  ],
  [
    "an entry that is no object",
    withHosts(["10.9.8.11"]),
    ['quantlab:hosts.0: expected a host: an object with name, address, port, user, hostKey, got "10.9.8.11"'],
  ],
  ["a name with capitals", withHost(0, { name: "Research_A" }), [`quantlab:hosts.0.name: ${HOST_NAME}, got "Research_A"`]],
  ["a name of 41 characters", withHost(0, { name: "r".repeat(41) }), [`quantlab:hosts.0.name: ${HOST_NAME}, got "${"r".repeat(41)}"`]],
  ["a name starting with -", withHost(1, { name: "-b" }), [`quantlab:hosts.1.name: ${HOST_NAME}, got "-b"`]],
  ["an entry without a name", withHost(1, { name: undefined }), [`quantlab:hosts.1.name: ${HOST_NAME}, got nothing`]],
  ["a duplicate name", withHost(2, { name: "research-a" }), ['quantlab:hosts.2.name: "research-a" is already the name of hosts.0']],
  [
    "two entries for one host",
    withHost(1, { address: "10.9.8.11", port: 2201 }),
    ["quantlab:hosts.1.address: 10.9.8.11 port 2201 is already hosts.0 (research-a); two entries would manage one host"],
  ],
  [
    "an entry without an address",
    withHost(1, { address: undefined }),
    ["quantlab:hosts.1.address: expected a host name or IP address, got nothing"],
  ],
  ["a typo in an entry", withHost(1, { adress: "x" }), ["quantlab:hosts.1.adress: unknown key"]],
  [
    "a per-host port out of range",
    withHost(0, { services: { labeld: { port: 70000 } } }),
    ["quantlab:hosts.0.services.labeld.port: expected 1-65535, got 70000"],
  ],
  [
    "a per-host unknown service",
    withHost(0, { services: { strategyx: { enabled: false } } }),
    ["quantlab:hosts.0.services.strategyx: unknown key"],
  ],
  [
    "a host without a pinned key",
    withHost(1, { hostKey: undefined }),
    [
      "quantlab:hosts.1.hostKey: required to pin the host's SSH key (e.g. the ssh-ed25519 line of `ssh-keyscan -t ed25519 10.9.8.12`), or set hosts.1.insecureSkipHostKeyCheck: true",
    ],
  ],
  [
    "a host key pinned and skipped",
    withHost(0, { insecureSkipHostKeyCheck: true }),
    [
      "quantlab:hosts.0.insecureSkipHostKeyCheck: set one of hosts.0.hostKey and hosts.0.insecureSkipHostKeyCheck: true, not both (the pinned key would be ignored)",
    ],
  ],
  [
    "a host turns off a service its console calls",
    withHost(0, { services: { labeld: { enabled: false } } }),
    ["quantlab:hosts.0.services.labeld.enabled: console-ui calls labeld; disable console-ui too or keep labeld enabled"],
  ],
  [
    "the stack turns off labeld: named once for the hosts that keep console-ui",
    withKey("services", { ...STACK_SERVICES, labeld: { enabled: false } }),
    ["quantlab:services.labeld.enabled: console-ui calls labeld; disable console-ui too or keep labeld enabled"],
  ],
  [
    "a stack port on one host's SSH port",
    withKey("services", { ...STACK_SERVICES, featurexd: { port: 2202 } }),
    ["quantlab:services.featurexd.port: port 2202 is the host's SSH port (quantlab:hosts.1.port)"],
  ],
  // The override is named, though the stack's strategyd comes later in catalog order.
  [
    "a per-host port taken by a stack-level one",
    withHost(0, { services: { collector: { port: 4031 } } }),
    ["quantlab:hosts.0.services.collector.port: port 4031 is already used by strategyd"],
  ],
  [
    "a per-host privileged port",
    withHost(2, { services: { collector: { port: 22 } } }),
    [
      "quantlab:hosts.2.services.collector.port: expected 1024-65535 (the services run unprivileged with every capability dropped and cannot bind a port below 1024), got 22",
    ],
  ],
  [
    "a per-host port on its SSH port",
    withHost(2, { port: 2300, services: { collector: { port: 2300 } } }),
    ["quantlab:hosts.2.services.collector.port: port 2300 is the host's SSH port (quantlab:hosts.2.port)"],
  ],
  [
    "a per-host startup cycle",
    withHost(0, { services: { replayd: { after: ["labeld"] } } }),
    ["quantlab:hosts.0.services.replayd.after: startup order has a cycle: replayd -> labeld -> featurexd -> replayd"],
  ],
  [
    "the runtime user is one host's login user",
    withKey("runtime", {
      user: "opsb",
      group: "qlgrp",
      home: "/srv/qlhome",
      backendRoot: "/srv/qlhome/backend",
      spoolDir: "/data/ql/spool",
    }),
    [
      'quantlab:runtime.user: expected an account other than the SSH login user of quantlab:hosts.1.user (the package acts as root through it), got "opsb"',
    ],
  ],
  [
    "a canary larger than the fleet",
    withKey("rollout", { canary: 4 }),
    ["quantlab:rollout.canary: expected at most the number of hosts (3), got 4"],
  ],
  [
    "a canary larger than one host",
    withKey("rollout", { canary: 2 }, distinctConfig()),
    ["quantlab:rollout.canary: expected at most the number of hosts (1), got 2"],
  ],
  ["a negative canary", withKey("rollout", { canary: -1 }), [`quantlab:rollout.canary: ${WHOLE}, got -1`]],
  ["batches of 0", withKey("rollout", { batchSize: 0 }), [`quantlab:rollout.batchSize: ${BATCH}, got 0`]],
  ["batches of 150%", withKey("rollout", { batchSize: "150%" }), [`quantlab:rollout.batchSize: ${BATCH}, got "150%"`]],
  ["batches of 0%", withKey("rollout", { batchSize: "0%" }), [`quantlab:rollout.batchSize: ${BATCH}, got "0%"`]],
  ["batch size as a numeric string", withKey("rollout", { batchSize: "2" }), [`quantlab:rollout.batchSize: ${BATCH}, got "2"`]],
  ["fractional failed hosts", withKey("rollout", { maxFailedHosts: 1.5 }), [`quantlab:rollout.maxFailedHosts: ${WHOLE}, got 1.5`]],
  ["a rollout typo", withKey("rollout", { serial: 2 }), ["quantlab:rollout.serial: unknown key"]],
  ["keep no generation", withKey("generations", { keep: 0 }), [`quantlab:generations.keep: ${KEEP}, got 0`]],
  ["keep 101 generations", withKey("generations", { keep: 101 }), [`quantlab:generations.keep: ${KEEP}, got 101`]],
  ["keep as a string", withKey("generations", { keep: "10" }), [`quantlab:generations.keep: ${KEEP}, got "10"`]],
  [
    "a schema error in an entry does not hide the secret problems (a token a host needs)",
    { ...withHost(0, { port: 0 }), "quantlab:tokens": JSON.stringify({ ...TEST_TOKENS, labeld: undefined }) },
    [
      "quantlab:hosts.0.port: expected 1-65535, got 0",
      "quantlab:tokens.labeld: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.labeld",
    ],
  ],
  [
    "a remote with credentials in a fleet",
    withKey("code", { git: { remote: `https://${LEAK}@git.example.net/ql.git`, ref: "main" } }),
    [expect.stringMatching(/^quantlab:code\.git\.remote: expected a remote without credentials/) as unknown as string],
  ],
];

describe("hostile fleet configs", () => {
  it.each(CASES)("%s", (_title, config, problems) => {
    expect(problemsOf(config)).toEqual(problems);
  });

  it("no message shows a secret", () => {
    expect(leakedSecrets(CASES.map(([, config]) => messageOf(config)))).toEqual([]);
  });

  it("accepts the fixture (so the cases above fail for their own reason)", () => {
    expect(HOSTS().length).toBe(3);
    expect(() => parseStackConfig(fleetConfig())).not.toThrow();
  });
});
