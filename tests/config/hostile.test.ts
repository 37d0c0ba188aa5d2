/**
 * Hostile and broken stack configs: each is rejected by the parser with its
 * exact message, naming the key. (That the program registers nothing for a
 * rejected config is the program's own test: it parses before anything else.)
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../config/parse";
import { distinctConfig, TEST_TOKENS } from "../fixtures/stack";

type Config = Record<string, string>;

/** distinctConfig() with one top-level key's object merged (deeply, one level) or replaced. */
function withKey(key: string, patch: unknown): Config {
  const base = distinctConfig();
  const current = base[`quantlab:${key}`] ? JSON.parse(base[`quantlab:${key}`]!) : {};
  const merged = patch && typeof patch === "object" && !Array.isArray(patch) && typeof current === "object" ? { ...current, ...patch } : patch;
  return { ...base, [`quantlab:${key}`]: typeof merged === "string" ? merged : JSON.stringify(merged) };
}
const withService = (name: string, override: unknown) => withKey("services", { [name]: override });
const withTokens = (tokens: Record<string, unknown>) => withKey("tokens", tokens);
const without = (key: string): Config => {
  const c = distinctConfig();
  delete c[`quantlab:${key}`];
  return c;
};

const GROUP = "expected a group of its own, not a privileged or shared one";
const USER = "expected an account of its own, not a system account";
const header = (n: number) => `invalid stack config (${n} problem${n === 1 ? "" : "s"}):`;
const CASES: Array<[title: string, config: Config, problems: string[]]> = [
  ["port out of range", withService("strategyd", { port: 70000 }), ["quantlab:services.strategyd.port: expected 1-65535, got 70000"]],
  ["port zero", withService("labeld", { port: 0 }), ["quantlab:services.labeld.port: expected 1-65535, got 0"]],
  ["port as a string", withService("replayd", { port: "3030" }), ['quantlab:services.replayd.port: expected a port number, got "3030"']],
  ["fractional port", withService("collector", { port: 9100.5 }), ["quantlab:services.collector.port: expected an integer 1-65535, got 9100.5"]],
  ["colliding ports", withService("labeld", { port: 3051 }), ["quantlab:services.labeld.port: port 3051 is already used by featurexd"]],
  ["enabled as a string", withService("backtestd", { enabled: "yes" }), ['quantlab:services.backtestd.enabled: expected true or false, got "yes"']],
  ["unknown service", withService("strategyx", { port: 1 }), ["quantlab:services.strategyx: unknown key"]],
  ["typo in a service key", withService("replayd", { prot: 1 }), ["quantlab:services.replayd.prot: unknown key"]],
  ["unknown top-level key", { ...distinctConfig(), "quantlab:servics": "{}" }, ["quantlab:servics: unknown key (known: host, runtime, services, env, s3, cron, code, tokens, sshPrivateKey, sshKeyPassphrase)"]],
  ["relative command", withService("observer", { command: ["node", "index.js"] }), ['quantlab:services.observer.command: expected argv[0] to be an absolute path, got ["node","index.js"]']],
  ["shell metacharacters in a command", withService("observer", { command: ["/usr/bin/node", "x.js;rm", "-rf"] }), ['quantlab:services.observer.command.1: expected a plain word of [A-Za-z0-9_@+=:,./-] (no spaces, quotes, $, %, ; or other shell/systemd syntax), got "x.js;rm"']],
  ["command substitution", withService("collector", { command: ["/usr/bin/python3", "$(id)"] }), ['quantlab:services.collector.command.1: expected a plain word of [A-Za-z0-9_@+=:,./-] (no spaces, quotes, $, %, ; or other shell/systemd syntax), got "$(id)"']],
  ["empty command", withService("collector", { command: [] }), ["quantlab:services.collector.command: expected at least the executable, got []"]],
  [".. in a working dir", withService("labeld", { workingDir: "../../etc" }), ['quantlab:services.labeld.workingDir: expected a path without .. segments, got "../../etc"']],
  ["absolute working dir", withService("labeld", { workingDir: "/etc" }), ['quantlab:services.labeld.workingDir: expected a relative path (inside runtime.backendRoot), got "/etc"']],
  ["relative backend root", withKey("runtime", { backendRoot: "quantlab-backend" }), ['quantlab:runtime.backendRoot: expected an absolute path (starting with /), got "quantlab-backend"']],
  [".. in the spool dir", withKey("runtime", { spoolDir: "/opt/quantlab/../../etc" }), ['quantlab:runtime.spoolDir: expected a path without .. segments, got "/opt/quantlab/../../etc"']],
  ["space in a path", withKey("runtime", { home: "/home/de ploy" }), ['quantlab:runtime.home: expected a path of [A-Za-z0-9_@+=:,./-] only, got "/home/de ploy"']],
  ["runtime user root", withKey("runtime", { user: "root" }), ['quantlab:runtime.user: expected an unprivileged user, got "root"']],
  ["bad user name", withKey("runtime", { group: "Deploy;" }), ['quantlab:runtime.group: expected a POSIX name matching ^[a-z_][a-z0-9_-]{0,31}$, got "Deploy;"']],
  // Privileged or shared accounts: sysusers.d keeps an existing account as it is, so the services would get its rights.
  ["runtime group root", withKey("runtime", { group: "root" }), [`quantlab:runtime.group: ${GROUP} (root: gid 0, owns system files, many of them group-readable), got "root"`]],
  ["runtime group docker", withKey("runtime", { group: "docker" }), [`quantlab:runtime.group: ${GROUP} (docker: drives the Docker daemon, which runs containers as root), got "docker"`]],
  ["runtime group sudo", withKey("runtime", { group: "sudo" }), [`quantlab:runtime.group: ${GROUP} (sudo: its members may run any command as root), got "sudo"`]],
  ["runtime group shadow", withKey("runtime", { group: "shadow" }), [`quantlab:runtime.group: ${GROUP} (shadow: reads /etc/shadow, every password hash), got "shadow"`]],
  ["runtime group disk", withKey("runtime", { group: "disk" }), [`quantlab:runtime.group: ${GROUP} (disk: raw access to every block device, so to every file), got "disk"`]],
  ["runtime group adm", withKey("runtime", { group: "adm" }), [`quantlab:runtime.group: ${GROUP} (adm: reads the system logs under /var/log), got "adm"`]],
  ["runtime group users (shared)", withKey("runtime", { group: "users" }), [`quantlab:runtime.group: ${GROUP} (users: shared by every ordinary user on many systems), got "users"`]],
  ["runtime group systemd-journal", withKey("runtime", { group: "systemd-journal" }), [`quantlab:runtime.group: ${GROUP} (systemd-journal: reads the whole journal, every service's logs), got "systemd-journal"`]],
  ["runtime group systemd-*", withKey("runtime", { group: "systemd-network" }), [`quantlab:runtime.group: ${GROUP} (systemd-*: systemd's own accounts), got "systemd-network"`]],
  ["runtime group _ssh", withKey("runtime", { group: "_ssh" }), [`quantlab:runtime.group: ${GROUP} (_*: Debian's names for system accounts (_apt, _chrony, _ssh ...)), got "_ssh"`]],
  ["runtime user daemon", withKey("runtime", { user: "daemon" }), [`quantlab:runtime.user: ${USER} (daemon: legacy daemons run as it), got "daemon"`]],
  ["runtime user www-data", withKey("runtime", { user: "www-data" }), [`quantlab:runtime.user: ${USER} (www-data: the web server's account, its files and sockets), got "www-data"`]],
  ["runtime user nobody", withKey("runtime", { user: "nobody" }), [`quantlab:runtime.user: ${USER} (nobody: shared by every unprivileged daemon, so it must own nothing), got "nobody"`]],
  ["runtime user sshd", withKey("runtime", { user: "sshd" }), [`quantlab:runtime.user: ${USER} (sshd: the SSH server's privilege separation account), got "sshd"`]],
  ["runtime user _apt", withKey("runtime", { user: "_apt" }), [`quantlab:runtime.user: ${USER} (_*: Debian's names for system accounts (_apt, _chrony, _ssh ...)), got "_apt"`]],
  ["runtime user systemd-timesync", withKey("runtime", { user: "systemd-timesync" }), [`quantlab:runtime.user: ${USER} (systemd-*: systemd's own accounts), got "systemd-timesync"`]],
  [
    "runtime user is the SSH login user",
    withKey("runtime", { user: "ops" }),
    ['quantlab:runtime.user: expected an account other than the SSH login user of quantlab:host.user (the package acts as root through it), got "ops"'],
  ],
  ["health timeout zero", withService("replayd", { healthTimeoutSeconds: 0 }), ["quantlab:services.replayd.healthTimeoutSeconds: expected whole seconds 1-600, got 0"]],
  ["health timeout of an hour", withService("labeld", { healthTimeoutSeconds: 3600 }), ["quantlab:services.labeld.healthTimeoutSeconds: expected whole seconds 1-600, got 3600"]],
  ["fractional health timeout", withService("strategyd", { healthTimeoutSeconds: 2.5 }), ["quantlab:services.strategyd.healthTimeoutSeconds: expected whole seconds 1-600, got 2.5"]],
  ["health timeout as a string", withService("observer", { healthTimeoutSeconds: "30s" }), ['quantlab:services.observer.healthTimeoutSeconds: expected a number of seconds, got "30s"']],
  ["unknown dependency", withService("labeld", { after: ["featurexdd"] }), ['quantlab:services.labeld.after: "labeld" starts after unknown service "featurexdd"; known services: replayd, collector, featurexd, labeld, strategyd, backtestd, job-worker, observer, observer-api, console-ui']],
  ["self dependency", withService("collector", { after: ["collector"] }), ['quantlab:services.collector.after: "collector" cannot start after itself']],
  ["cycle through the catalog edges", withService("replayd", { after: ["labeld"] }), ["quantlab:services.replayd.after: startup order has a cycle: replayd -> labeld -> featurexd -> replayd"]],
  ["invalid cron minute", withKey("cron", { ml: { schedule: "61 0 * * *" } }), ['quantlab:cron.ml.schedule: minute "61": "61" is outside 0-59, got "61 0 * * *"']],
  ["four-field schedule", withKey("cron", { "ops-report": { schedule: "0 1 * *" } }), ['quantlab:cron.ops-report.schedule: expected five space-separated fields (minute hour day-of-month month day-of-week), got "0 1 * *"']],
  ["cron % injection", withKey("cron", { "daily-health": { schedule: "0 1 * * *%rm" } }), ['quantlab:cron.daily-health.schedule: day of week "*%rm": "*%rm" is not a number or name, got "0 1 * * *%rm"']],
  ["optional job without a schedule", withKey("cron", { "daily-prod": { enabled: true } }), ['quantlab:cron.daily-prod.schedule: required when the job is enabled (a cron schedule such as "30 1 * * *")']],
  ["unknown cron job", withKey("cron", { "daily-ml": { schedule: "0 1 * * *" } }), ["quantlab:cron.daily-ml: unknown key"]],
  ["missing host", without("host"), ["quantlab:host: expected an object with address, port, user, hostKey, got nothing"]],
  ["host key missing", withKey("host", { address: "10.9.8.7", hostKey: undefined }), ["quantlab:host.hostKey: required to pin the host's SSH key (e.g. the ssh-ed25519 line of `ssh-keyscan -t ed25519 10.9.8.7`), or set host.insecureSkipHostKeyCheck: true"]],
  ["malformed host key", withKey("host", { hostKey: "AAAAC3Nza" }), ['quantlab:host.hostKey: expected an OpenSSH public host key line such as "ssh-ed25519 AAAA..." (see ssh-keyscan), got "AAAAC3Nza"']],
  ["host address injection", withKey("host", { address: "host; reboot" }), ['quantlab:host.address: expected a host name or IP address, got "host; reboot"']],
  ["bastion without a pinned key", withKey("host", { bastion: { address: "jump.example.net" } }), ["quantlab:host.bastion.hostKey: expected an OpenSSH public host key, got nothing"]],
  ["useAgent as a string", withKey("host", { useAgent: "yes" }), ['quantlab:host.useAgent: expected true or false, got "yes"']],
  ["s3 mode unknown", withKey("s3", { mode: "delete" }), ['quantlab:s3.mode: expected mode "create" or "adopt", got "delete"']],
  ["adopt without endpoint", withKey("s3", { mode: "adopt", endpoint: undefined }), ["quantlab:s3.endpoint: expected an http(s) URL, got nothing"]],
  ["bad bucket name", withKey("s3", { compactBucket: "Quantlab_Compact" }), ['quantlab:s3.compactBucket: expected an S3 bucket name (3-63 of a-z 0-9 . -), got "Quantlab_Compact"']],
  ["quote in an env value", withKey("env", { executionFillsStreamPath: "/tmp/it's.jsonl" }), [`quantlab:env.executionFillsStreamPath: expected no ', newline, CR or NUL (systemd and dotenv would read it differently), got "/tmp/it's.jsonl"`]],
  ["structured key given as a string", { ...distinctConfig(), "quantlab:env": "streamFills=1" }, ['quantlab:env: expected a structured value (set it with --path or as a YAML object), got "streamFills=1"']],
  ["missing token", withTokens({ ...TEST_TOKENS, labeld: undefined }), ["quantlab:tokens.labeld: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.labeld"]],
  ["token with a newline", withTokens({ strategyd: "tok-strategyd-1a7d3b\nEVIL=1" }), ["quantlab:tokens.strategyd: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)"]],
  ["token with a quote", withTokens({ replayd: "tok-replayd-3f9a1c'7e5b2d" }), ["quantlab:tokens.replayd: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)"]],
  ["short token", withTokens({ observer: "short" }), ["quantlab:tokens.observer: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)"]],
  ["unknown token", withTokens({ consoleui: "tok-console-ui-123456" }), ["quantlab:tokens.consoleui: unknown token (known: replayd, featurexd, labeld, strategyd, backtestd, observer)"]],
  ["missing private key", without("sshPrivateKey"), ["quantlab:sshPrivateKey: missing secret; set it with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519"]],
  ["private key that is not a key", { ...distinctConfig(), "quantlab:sshPrivateKey": "hunter2" }, ['quantlab:sshPrivateKey: expected a PEM/OpenSSH private key starting with "-----BEGIN ... PRIVATE KEY-----" (the value is secret and not shown)']],
  [
    "several problems at once are all listed",
    { ...withService("strategyd", { port: 70000 }), "quantlab:runtime": JSON.stringify({ backendRoot: "rel" }) },
    ['quantlab:runtime.backendRoot: expected an absolute path (starting with /), got "rel"', "quantlab:services.strategyd.port: expected 1-65535, got 70000"],
  ],
  // Code from git: a remote git would read as an option or a command, a ref that is no ref.
  ["git remote as an option", withKey("code", { git: { remote: "--upload-pack=touch /tmp/x", ref: "main" } }), ['quantlab:code.git.remote: expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only), got "--upload-pack=touch /tmp/x"']],
  ["git remote through ext::", withKey("code", { git: { remote: "ext::sh -c id", ref: "main" } }), ['quantlab:code.git.remote: expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only), got "ext::sh -c id"']],
  ["git remote with a quote", withKey("code", { git: { remote: "/srv/r.git'", ref: "main" } }), [`quantlab:code.git.remote: expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only), got "/srv/r.git'"`]],
  ["git ref climbing out", withKey("code", { git: { remote: "/srv/r.git", ref: "../../etc" } }), ['quantlab:code.git.ref: expected a branch, tag or full commit id: 1-200 of [A-Za-z0-9._/-], starting with a letter or digit, got "../../etc"']],
  ["git ref with ..", withKey("code", { git: { remote: "/srv/r.git", ref: "a..b" } }), ['quantlab:code.git.ref: expected a valid git ref name (no .., //, trailing / or ., .lock suffix, or component starting with .), got "a..b"']],
  ["git without a ref", withKey("code", { git: { remote: "/srv/r.git" } }), ["quantlab:code.git.ref: expected a git ref, got nothing"]],
  ["git with a typo", withKey("code", { git: { remote: "/srv/r.git", ref: "main", branch: "main" } }), ["quantlab:code.git.branch: unknown key"]],
  ["both a local bundle and git", withKey("code", { localDir: "tests/standin", git: { remote: "/srv/r.git", ref: "main" } }), ["quantlab:code: set either localDir (ship a local directory) or git (check a ref out on the host), not both"]],
];

describe("hostile and broken stack configs", () => {
  it("has at least 30 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)("%s", (_title, config, problems) => {
    let error: unknown;
    try {
      parseStackConfig(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(problems);
    expect((error as ConfigError).message).toBe([header(problems.length), ...problems.map((p) => `  - ${p}`)].join("\n"));
  });

  it("never echoes a token in an error", () => {
    const leaky = withTokens({ strategyd: "tok-strategyd-1a7d3b\nEVIL=1" });
    expect(() => parseStackConfig(leaky)).toThrow(/^(?![\s\S]*EVIL=1)/);
  });

  it("with host.useAgent the private key may be left out (the agent authenticates)", () => {
    const config = { ...withKey("host", { useAgent: true }) };
    delete config["quantlab:sshPrivateKey"];
    expect(parseStackConfig(config).config.host.useAgent).toBe(true);
  });

  it("accepts the unmodified fixture (so the cases above fail for their own reason)", () => {
    expect(() => parseStackConfig(distinctConfig())).not.toThrow();
  });
});
