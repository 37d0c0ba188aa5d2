/**
 * Hostile and broken stack configs: each is rejected by the parser with its
 * exact message, naming the key. (That the program registers nothing for a
 * rejected config is the program's own test: it parses before anything else.)
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../config/parse";
import { distinctConfig, TEST_TOKENS } from "../fixtures/stack";
import { LEAK, leakedSecrets, messageOf } from "./leaks";

type Config = Record<string, string>;

/** distinctConfig() with one top-level key's object merged (deeply, one level) or replaced. */
function withKey(key: string, patch: unknown): Config {
  const base = distinctConfig();
  const current = base[`quantlab:${key}`] ? JSON.parse(base[`quantlab:${key}`]!) : {};
  const merged =
    patch && typeof patch === "object" && !Array.isArray(patch) && typeof current === "object" ? { ...current, ...patch } : patch;
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
const IN_CODE =
  "expected a directory outside runtime.backendRoot (the spool's data would sit in the code tree, which code updates replace)";
const FILLS =
  "expected a file under /tmp, /var/tmp or the runs directory /srv/qlhome/backend/services/strategyd/runs (the services that write it can write nowhere else)";
const CREDS =
  "expected a remote without credentials (the value is not shown: a password or token in it would reach the state, the host's process list and .git/config); use a key-authenticated ssh remote or a path, and keep credentials in the runtime user's git config on the host";
const TOKENS_SHAPE =
  "quantlab:tokens: expected a map of token name to secret (the value is secret and not shown); remove it from the stack file and set each token with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.<name>";
const withGit = (remote: string) => withKey("code", { git: { remote, ref: "main" } });
const header = (n: number) => `invalid stack config (${n} problem${n === 1 ? "" : "s"}):`;
const CASES: Array<[title: string, config: Config, problems: string[]]> = [
  ["port out of range", withService("strategyd", { port: 70000 }), ["quantlab:services.strategyd.port: expected 1-65535, got 70000"]],
  ["port zero", withService("labeld", { port: 0 }), ["quantlab:services.labeld.port: expected 1-65535, got 0"]],
  ["port as a string", withService("replayd", { port: "3030" }), ['quantlab:services.replayd.port: expected a port number, got "3030"']],
  [
    "fractional port",
    withService("collector", { port: 9100.5 }),
    ["quantlab:services.collector.port: expected an integer 1-65535, got 9100.5"],
  ],
  ["colliding ports", withService("labeld", { port: 3051 }), ["quantlab:services.labeld.port: port 3051 is already used by featurexd"]],
  [
    "enabled as a string",
    withService("backtestd", { enabled: "yes" }),
    ['quantlab:services.backtestd.enabled: expected true or false, got "yes"'],
  ],
  ["unknown service", withService("strategyx", { port: 1 }), ["quantlab:services.strategyx: unknown key"]],
  ["typo in a service key", withService("replayd", { prot: 1 }), ["quantlab:services.replayd.prot: unknown key"]],
  [
    "unknown top-level key",
    { ...distinctConfig(), "quantlab:servics": "{}" },
    [
      "quantlab:servics: unknown key (known: host, hosts, runtime, services, env, s3, cron, code, rollout, generations, tokens, sshPrivateKey, sshKeyPassphrase)",
    ],
  ],
  [
    "relative command",
    withService("observer", { command: ["node", "index.js"] }),
    ['quantlab:services.observer.command: expected argv[0] to be an absolute path, got ["node","index.js"]'],
  ],
  [
    "shell metacharacters in a command",
    withService("observer", { command: ["/usr/bin/node", "x.js;rm", "-rf"] }),
    [
      'quantlab:services.observer.command.1: expected a plain word of [A-Za-z0-9_@+=:,./-] (no spaces, quotes, $, %, ; or other shell/systemd syntax), got "x.js;rm"',
    ],
  ],
  [
    "command substitution",
    withService("collector", { command: ["/usr/bin/python3", "$(id)"] }),
    [
      'quantlab:services.collector.command.1: expected a plain word of [A-Za-z0-9_@+=:,./-] (no spaces, quotes, $, %, ; or other shell/systemd syntax), got "$(id)"',
    ],
  ],
  [
    "empty command",
    withService("collector", { command: [] }),
    ["quantlab:services.collector.command: expected at least the executable, got []"],
  ],
  [
    ".. in a working dir",
    withService("labeld", { workingDir: "../../etc" }),
    ['quantlab:services.labeld.workingDir: expected a path without .. segments, got "../../etc"'],
  ],
  [
    "absolute working dir",
    withService("labeld", { workingDir: "/etc" }),
    ['quantlab:services.labeld.workingDir: expected a relative path (inside runtime.backendRoot), got "/etc"'],
  ],
  [
    "relative backend root",
    withKey("runtime", { backendRoot: "quantlab-backend" }),
    ['quantlab:runtime.backendRoot: expected an absolute path (starting with /), got "quantlab-backend"'],
  ],
  [
    ".. in the spool dir",
    withKey("runtime", { spoolDir: "/opt/quantlab/../../etc" }),
    ['quantlab:runtime.spoolDir: expected a path without .. segments, got "/opt/quantlab/../../etc"'],
  ],
  [
    "space in a path",
    withKey("runtime", { home: "/home/de ploy" }),
    ['quantlab:runtime.home: expected a path of [A-Za-z0-9_@+=:,./-] only, got "/home/de ploy"'],
  ],
  [
    "spool under /tmp",
    withKey("runtime", { spoolDir: "/tmp/qlspool" }),
    [
      'quantlab:runtime.spoolDir: expected a directory outside /tmp (any user may create a path there first, and the services see a private /tmp of their own), got "/tmp/qlspool"',
    ],
  ],
  [
    "home under /var/tmp",
    withKey("runtime", { home: "/var/tmp/ql", backendRoot: "/var/tmp/ql/backend" }),
    [
      'quantlab:runtime.home: expected a directory outside /var/tmp (any user may create a path there first, and the services see a private /var/tmp of their own), got "/var/tmp/ql"',
      'quantlab:runtime.backendRoot: expected a directory outside /var/tmp (any user may create a path there first, and the services see a private /var/tmp of their own), got "/var/tmp/ql/backend"',
    ],
  ],
  [
    "spool under the state of the package",
    withKey("runtime", { spoolDir: "/var/lib/quantlab-infra/spool" }),
    [
      'quantlab:runtime.spoolDir: expected a directory outside /var/lib/quantlab-infra (the runtime user would be handed a system path), got "/var/lib/quantlab-infra/spool"',
    ],
  ],
  ["runtime user root", withKey("runtime", { user: "root" }), ['quantlab:runtime.user: expected an unprivileged user, got "root"']],
  [
    "bad user name",
    withKey("runtime", { group: "Deploy;" }),
    ['quantlab:runtime.group: expected a POSIX name matching ^[a-z_][a-z0-9_-]{0,31}$, got "Deploy;"'],
  ],
  // Privileged or shared accounts: sysusers.d keeps an existing account as it is, so the services would get its rights.
  [
    "runtime group root",
    withKey("runtime", { group: "root" }),
    [`quantlab:runtime.group: ${GROUP} (root: gid 0, owns system files, many of them group-readable), got "root"`],
  ],
  [
    "runtime group docker",
    withKey("runtime", { group: "docker" }),
    [`quantlab:runtime.group: ${GROUP} (docker: drives the Docker daemon, which runs containers as root), got "docker"`],
  ],
  [
    "runtime group sudo",
    withKey("runtime", { group: "sudo" }),
    [`quantlab:runtime.group: ${GROUP} (sudo: its members may run any command as root), got "sudo"`],
  ],
  [
    "runtime group shadow",
    withKey("runtime", { group: "shadow" }),
    [`quantlab:runtime.group: ${GROUP} (shadow: reads /etc/shadow, every password hash), got "shadow"`],
  ],
  [
    "runtime group disk",
    withKey("runtime", { group: "disk" }),
    [`quantlab:runtime.group: ${GROUP} (disk: raw access to every block device, so to every file), got "disk"`],
  ],
  [
    "runtime group adm",
    withKey("runtime", { group: "adm" }),
    [`quantlab:runtime.group: ${GROUP} (adm: reads the system logs under /var/log), got "adm"`],
  ],
  [
    "runtime group users (shared)",
    withKey("runtime", { group: "users" }),
    [`quantlab:runtime.group: ${GROUP} (users: shared by every ordinary user on many systems), got "users"`],
  ],
  [
    "runtime group systemd-journal",
    withKey("runtime", { group: "systemd-journal" }),
    [`quantlab:runtime.group: ${GROUP} (systemd-journal: reads the whole journal, every service's logs), got "systemd-journal"`],
  ],
  [
    "runtime group systemd-*",
    withKey("runtime", { group: "systemd-network" }),
    [`quantlab:runtime.group: ${GROUP} (systemd-*: systemd's own accounts), got "systemd-network"`],
  ],
  [
    "runtime group _ssh",
    withKey("runtime", { group: "_ssh" }),
    [`quantlab:runtime.group: ${GROUP} (_*: Debian's names for system accounts (_apt, _chrony, _ssh ...)), got "_ssh"`],
  ],
  [
    "runtime user daemon",
    withKey("runtime", { user: "daemon" }),
    [`quantlab:runtime.user: ${USER} (daemon: legacy daemons run as it), got "daemon"`],
  ],
  [
    "runtime user www-data",
    withKey("runtime", { user: "www-data" }),
    [`quantlab:runtime.user: ${USER} (www-data: the web server's account, its files and sockets), got "www-data"`],
  ],
  [
    "runtime user nobody",
    withKey("runtime", { user: "nobody" }),
    [`quantlab:runtime.user: ${USER} (nobody: shared by every unprivileged daemon, so it must own nothing), got "nobody"`],
  ],
  [
    "runtime user sshd",
    withKey("runtime", { user: "sshd" }),
    [`quantlab:runtime.user: ${USER} (sshd: the SSH server's privilege separation account), got "sshd"`],
  ],
  [
    "runtime user _apt",
    withKey("runtime", { user: "_apt" }),
    [`quantlab:runtime.user: ${USER} (_*: Debian's names for system accounts (_apt, _chrony, _ssh ...)), got "_apt"`],
  ],
  [
    "runtime user systemd-timesync",
    withKey("runtime", { user: "systemd-timesync" }),
    [`quantlab:runtime.user: ${USER} (systemd-*: systemd's own accounts), got "systemd-timesync"`],
  ],
  [
    "runtime user is the SSH login user",
    withKey("runtime", { user: "ops" }),
    [
      'quantlab:runtime.user: expected an account other than the SSH login user of quantlab:host.user (the package acts as root through it), got "ops"',
    ],
  ],
  [
    "health timeout zero",
    withService("replayd", { healthTimeoutSeconds: 0 }),
    ["quantlab:services.replayd.healthTimeoutSeconds: expected whole seconds 1-600, got 0"],
  ],
  [
    "health timeout of an hour",
    withService("labeld", { healthTimeoutSeconds: 3600 }),
    ["quantlab:services.labeld.healthTimeoutSeconds: expected whole seconds 1-600, got 3600"],
  ],
  [
    "fractional health timeout",
    withService("strategyd", { healthTimeoutSeconds: 2.5 }),
    ["quantlab:services.strategyd.healthTimeoutSeconds: expected whole seconds 1-600, got 2.5"],
  ],
  [
    "health timeout as a string",
    withService("observer", { healthTimeoutSeconds: "30s" }),
    ['quantlab:services.observer.healthTimeoutSeconds: expected a number of seconds, got "30s"'],
  ],
  [
    "unknown dependency",
    withService("labeld", { after: ["featurexdd"] }),
    [
      'quantlab:services.labeld.after: "labeld" starts after unknown service "featurexdd"; known services: replayd, collector, featurexd, labeld, strategyd, backtestd, job-worker, observer, observer-api, console-ui',
    ],
  ],
  [
    "self dependency",
    withService("collector", { after: ["collector"] }),
    ['quantlab:services.collector.after: "collector" cannot start after itself'],
  ],
  [
    "cycle through the catalog edges",
    withService("replayd", { after: ["labeld"] }),
    ["quantlab:services.replayd.after: startup order has a cycle: replayd -> labeld -> featurexd -> replayd"],
  ],
  [
    "invalid cron minute",
    withKey("cron", { ml: { schedule: "61 0 * * *" } }),
    ['quantlab:cron.ml.schedule: minute "61": "61" is outside 0-59, got "61 0 * * *"'],
  ],
  [
    "four-field schedule",
    withKey("cron", { "ops-report": { schedule: "0 1 * *" } }),
    ['quantlab:cron.ops-report.schedule: expected five space-separated fields (minute hour day-of-month month day-of-week), got "0 1 * *"'],
  ],
  [
    "cron % injection",
    withKey("cron", { "daily-health": { schedule: "0 1 * * *%rm" } }),
    ['quantlab:cron.daily-health.schedule: day of week "*%rm": "*%rm" is not a number or name, got "0 1 * * *%rm"'],
  ],
  [
    "optional job without a schedule",
    withKey("cron", { "daily-prod": { enabled: true } }),
    ['quantlab:cron.daily-prod.schedule: required when the job is enabled (a cron schedule such as "30 1 * * *")'],
  ],
  ["unknown cron job", withKey("cron", { "daily-ml": { schedule: "0 1 * * *" } }), ["quantlab:cron.daily-ml: unknown key"]],
  [
    "cron schedule that never fires",
    withKey("cron", { "daily-prod": { schedule: "0 0 30 2 *" } }),
    ['quantlab:cron.daily-prod.schedule: day of month "30" never comes in month "2" (the job would never run), got "0 0 30 2 *"'],
  ],
  [
    "cron step after a single value",
    withKey("cron", { ml: { schedule: "5/10 * * * *" } }),
    ['quantlab:cron.ml.schedule: minute "5/10": a step follows * or a range (such as 5-59/10), not a single value, got "5/10 * * * *"'],
  ],
  // Oversized values: every free string has a maximum.
  [
    "env value of 20,000 characters",
    withKey("env", { executionFillsStreamPath: `/tmp/${"f".repeat(19995)}` }),
    ["quantlab:env.executionFillsStreamPath: expected at most 255 characters, got 20000 characters"],
  ],
  [
    "runtime home of 300 characters",
    withKey("runtime", { home: `/srv/${"h".repeat(295)}`, backendRoot: "/srv/ql/backend" }),
    ["quantlab:runtime.home: expected at most 255 characters, got 300 characters"],
  ],
  [
    "working dir of 256 characters",
    withService("labeld", { workingDir: "w".repeat(256) }),
    ["quantlab:services.labeld.workingDir: expected at most 255 characters, got 256 characters"],
  ],
  [
    "argv word of 2,000 characters",
    withService("observer", { command: ["/usr/bin/node", "a".repeat(2000)] }),
    ["quantlab:services.observer.command.1: expected at most 1024 characters, got 2000 characters"],
  ],
  [
    "argv of 65 words",
    withService("observer", { command: ["/usr/bin/node", ...Array.from({ length: 64 }, (_, i) => `a${i}`)] }),
    ["quantlab:services.observer.command: expected at most 64 words, got a list of 65"],
  ],
  [
    "after list of 11 names",
    withService("labeld", { after: Array.from({ length: 11 }, () => "featurexd") }),
    ["quantlab:services.labeld.after: expected at most 10 service names, got a list of 11"],
  ],
  [
    "after name of 41 characters",
    withService("labeld", { after: ["x".repeat(41)] }),
    ["quantlab:services.labeld.after.0: expected at most 40 characters, got 41 characters"],
  ],
  [
    "endpoint URL of 3,000 characters",
    withKey("s3", { endpoint: `https://minio.fixture.test/${"p".repeat(2973)}` }),
    ["quantlab:s3.endpoint: expected at most 512 characters, got 3000 characters"],
  ],
  [
    "host key of 20,000 characters",
    withKey("host", { hostKey: `ssh-ed25519 ${"A".repeat(19988)}` }),
    ["quantlab:host.hostKey: expected at most 4096 characters, got 20000 characters"],
  ],
  [
    "host address of 254 characters",
    withKey("host", { address: "a".repeat(254) }),
    ["quantlab:host.address: expected at most 253 characters, got 254 characters"],
  ],
  [
    "region of 40 characters",
    withKey("s3", { mode: "create", endpoint: undefined, region: `eu-${"w".repeat(35)}-1` }),
    ["quantlab:s3.region: expected at most 32 characters, got 40 characters"],
  ],
  [
    "schedule of 300 characters",
    withKey("cron", { ml: { schedule: `0 0 * * ${"1,".repeat(145)}1` } }),
    ["quantlab:cron.ml.schedule: expected at most 200 characters, got 299 characters"],
  ],
  [
    "local dir of 300 characters",
    withKey("code", { localDir: "d".repeat(300) }),
    ["quantlab:code.localDir: expected at most 255 characters, got 300 characters"],
  ],
  // Things that must differ.
  [
    "archive bucket equal to the compact bucket",
    withKey("s3", { archiveBucket: "fx-compact" }),
    [
      `quantlab:s3.archiveBucket: expected a bucket other than s3.compactBucket (the run archive and the compact data would share one bucket), got "fx-compact"`,
    ],
  ],
  [
    "spool dir equal to the backend root",
    withKey("runtime", { spoolDir: "/srv/qlhome/backend" }),
    [`quantlab:runtime.spoolDir: ${IN_CODE}, got "/srv/qlhome/backend"`],
  ],
  [
    "spool dir inside the backend root",
    withKey("runtime", { spoolDir: "/srv/qlhome/backend/spool" }),
    [`quantlab:runtime.spoolDir: ${IN_CODE}, got "/srv/qlhome/backend/spool"`],
  ],
  [
    "backend root inside the spool dir",
    withKey("runtime", { spoolDir: "/srv/qlspool", backendRoot: "/srv/qlspool/backend" }),
    [
      'quantlab:runtime.backendRoot: expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite every service\'s code), got "/srv/qlspool/backend"',
    ],
  ],
  [
    "home inside the spool dir",
    withKey("runtime", { spoolDir: "/data/ql", home: "/data/ql/home", backendRoot: "/data/ql/home/backend" }),
    [
      'quantlab:runtime.home: expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite the home\'s ssh and git settings), got "/data/ql/home"',
      'quantlab:runtime.backendRoot: expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite every service\'s code), got "/data/ql/home/backend"',
    ],
  ],
  [
    "home equal to the spool dir",
    withKey("runtime", { spoolDir: "/srv/qlhome" }),
    [
      'quantlab:runtime.home: expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite the home\'s ssh and git settings), got "/srv/qlhome"',
      'quantlab:runtime.backendRoot: expected a directory outside runtime.spoolDir (the collector, which writes the spool, could rewrite every service\'s code), got "/srv/qlhome/backend"',
    ],
  ],
  [
    "home inside the backend root",
    withKey("runtime", { home: "/srv/ql/backend/home", backendRoot: "/srv/ql/backend" }),
    [
      'quantlab:runtime.home: expected a directory outside runtime.backendRoot (the home\'s ssh and git settings would sit in the code tree, which code updates replace), got "/srv/ql/backend/home"',
    ],
  ],
  [
    "backend root equal to the home",
    withKey("runtime", { backendRoot: "/srv/qlhome" }),
    [
      'quantlab:runtime.backendRoot: expected a directory of its own inside or beside runtime.home, not the home itself (code updates would replace the home\'s ssh and git settings), got "/srv/qlhome"',
    ],
  ],
  // Paths the services write.
  [
    "fills stream inside /etc",
    withKey("env", { executionFillsStreamPath: "/etc/cron.d/fills" }),
    [
      'quantlab:env.executionFillsStreamPath: expected a path outside /etc (the services would write into a system tree), got "/etc/cron.d/fills"',
    ],
  ],
  [
    "fills stream inside /proc",
    withKey("env", { executionFillsStreamPath: "/proc/sys/kernel/core_pattern" }),
    [
      'quantlab:env.executionFillsStreamPath: expected a path outside /proc (the services would write into a system tree), got "/proc/sys/kernel/core_pattern"',
    ],
  ],
  [
    "fills stream climbing out of /tmp",
    withKey("env", { executionFillsStreamPath: "/tmp/../etc/shadow" }),
    ['quantlab:env.executionFillsStreamPath: expected a path without .. segments, got "/tmp/../etc/shadow"'],
  ],
  [
    "fills stream with shell syntax",
    withKey("env", { executionFillsStreamPath: "/tmp/$(id).jsonl" }),
    ['quantlab:env.executionFillsStreamPath: expected a path of [A-Za-z0-9_@+=:,./-] and {ts} only, got "/tmp/$(id).jsonl"'],
  ],
  [
    "fills stream that is a directory",
    withKey("env", { executionFillsStreamPath: "/var/tmp/fills/" }),
    ['quantlab:env.executionFillsStreamPath: expected a path without a trailing /, got "/var/tmp/fills/"'],
  ],
  [
    "fills stream into the spool",
    withKey("env", { executionFillsStreamPath: "/data/ql/spool/fills_{ts}.jsonl" }),
    [`quantlab:env.executionFillsStreamPath: ${FILLS}, got "/data/ql/spool/fills_{ts}.jsonl"`],
  ],
  [
    "fills stream into the code tree",
    withKey("env", { executionFillsStreamPath: "/srv/qlhome/backend/core/fills.jsonl" }),
    [`quantlab:env.executionFillsStreamPath: ${FILLS}, got "/srv/qlhome/backend/core/fills.jsonl"`],
  ],
  [
    "fills stream onto /tmp itself",
    withKey("env", { executionFillsStreamPath: "/tmp" }),
    [`quantlab:env.executionFillsStreamPath: ${FILLS}, got "/tmp"`],
  ],
  // A service off while an enabled one calls it: the caller would start without its URL and token.
  [
    "labeld off under console-ui",
    withService("labeld", { enabled: false }),
    ["quantlab:services.labeld.enabled: console-ui calls labeld; disable console-ui too or keep labeld enabled"],
  ],
  [
    "replayd off under its three callers",
    withKey("services", { replayd: { enabled: false } }),
    ["quantlab:services.replayd.enabled: featurexd, strategyd and backtestd call replayd; disable them too or keep replayd enabled"],
  ],
  [
    "strategyd off under backtestd and console-ui",
    withKey("services", { strategyd: { enabled: false } }),
    ["quantlab:services.strategyd.enabled: backtestd and console-ui call strategyd; disable them too or keep strategyd enabled"],
  ],
  // Host key: a pinned key is never silently dropped.
  [
    "host key pinned and the check skipped",
    withKey("host", { insecureSkipHostKeyCheck: true }),
    [
      "quantlab:host.insecureSkipHostKeyCheck: set one of host.hostKey and host.insecureSkipHostKeyCheck: true, not both (the pinned key would be ignored)",
    ],
  ],
  [
    "missing host",
    without("host"),
    ["quantlab:host: expected an object with address, port, user, hostKey (or a list of hosts in quantlab:hosts), got nothing"],
  ],
  [
    "host key missing",
    withKey("host", { address: "10.9.8.7", hostKey: undefined }),
    [
      "quantlab:host.hostKey: required to pin the host's SSH key (e.g. the ssh-ed25519 line of `ssh-keyscan -t ed25519 10.9.8.7`), or set host.insecureSkipHostKeyCheck: true",
    ],
  ],
  [
    "malformed host key",
    withKey("host", { hostKey: "AAAAC3Nza" }),
    ['quantlab:host.hostKey: expected an OpenSSH public host key line such as "ssh-ed25519 AAAA..." (see ssh-keyscan), got "AAAAC3Nza"'],
  ],
  [
    "host address injection",
    withKey("host", { address: "host; reboot" }),
    ['quantlab:host.address: expected a host name or IP address, got "host; reboot"'],
  ],
  [
    "bastion without a pinned key",
    withKey("host", { bastion: { address: "jump.example.net" } }),
    ["quantlab:host.bastion.hostKey: expected an OpenSSH public host key, got nothing"],
  ],
  ["useAgent as a string", withKey("host", { useAgent: "yes" }), ['quantlab:host.useAgent: expected true or false, got "yes"']],
  ["s3 mode unknown", withKey("s3", { mode: "delete" }), ['quantlab:s3.mode: expected mode "create" or "adopt", got "delete"']],
  [
    "adopt without endpoint",
    withKey("s3", { mode: "adopt", endpoint: undefined }),
    ["quantlab:s3.endpoint: expected an http(s) URL, got nothing"],
  ],
  [
    "bad bucket name",
    withKey("s3", { compactBucket: "Quantlab_Compact" }),
    ['quantlab:s3.compactBucket: expected an S3 bucket name (3-63 of a-z 0-9 . -), got "Quantlab_Compact"'],
  ],
  [
    "quote in an env value",
    withKey("env", { executionFillsStreamPath: "/tmp/it's.jsonl" }),
    [
      `quantlab:env.executionFillsStreamPath: expected no ', newline, CR or NUL (systemd and dotenv would read it differently), got "/tmp/it's.jsonl"`,
    ],
  ],
  [
    "structured key given as a string",
    { ...distinctConfig(), "quantlab:env": "streamFills=1" },
    ['quantlab:env: expected a structured value (set it with --path or as a YAML object), got "streamFills=1"'],
  ],
  [
    "missing token",
    withTokens({ ...TEST_TOKENS, labeld: undefined }),
    ["quantlab:tokens.labeld: missing secret; set it with: openssl rand -hex 32 | npx quantlab secret --stack STACK --key tokens.labeld"],
  ],
  [
    "token with a newline",
    withTokens({ strategyd: "tok-strategyd-1a7d3b\nEVIL=1" }),
    [
      "quantlab:tokens.strategyd: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)",
    ],
  ],
  [
    "token with a quote",
    withTokens({ replayd: "tok-replayd-3f9a1c'7e5b2d" }),
    [
      "quantlab:tokens.replayd: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)",
    ],
  ],
  [
    "short token",
    withTokens({ observer: "short" }),
    [
      "quantlab:tokens.observer: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)",
    ],
  ],
  [
    "unknown token",
    withTokens({ consoleui: "tok-console-ui-123456" }),
    ["quantlab:tokens.consoleui: unknown token (known: replayd, featurexd, labeld, strategyd, backtestd, observer)"],
  ],
  [
    "missing private key",
    without("sshPrivateKey"),
    ["quantlab:sshPrivateKey: missing secret; set it with: npx quantlab secret --stack STACK --key sshPrivateKey < ~/.ssh/id_ed25519"],
  ],
  [
    "private key that is not a key",
    { ...distinctConfig(), "quantlab:sshPrivateKey": "hunter2" },
    [
      'quantlab:sshPrivateKey: expected a PEM/OpenSSH private key starting with "-----BEGIN ... PRIVATE KEY-----" (the value is secret and not shown)',
    ],
  ],
  [
    "several problems at once are all listed",
    { ...withService("strategyd", { port: 70000 }), "quantlab:runtime": JSON.stringify({ backendRoot: "rel" }) },
    [
      'quantlab:runtime.backendRoot: expected an absolute path (starting with /), got "rel"',
      "quantlab:services.strategyd.port: expected 1-65535, got 70000",
    ],
  ],
  // Code from git: a remote git would read as an option or a command, a ref that is no ref.
  [
    "git remote as an option",
    withKey("code", { git: { remote: "--upload-pack=touch /tmp/x", ref: "main" } }),
    [
      'quantlab:code.git.remote: expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only), got "--upload-pack=touch /tmp/x"',
    ],
  ],
  [
    "git remote through ext::",
    withKey("code", { git: { remote: "ext::sh -c id", ref: "main" } }),
    [
      'quantlab:code.git.remote: expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only), got "ext::sh -c id"',
    ],
  ],
  [
    "git remote with a quote",
    withKey("code", { git: { remote: "/srv/r.git'", ref: "main" } }),
    [
      `quantlab:code.git.remote: expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only), got "/srv/r.git'"`,
    ],
  ],
  [
    "git ref climbing out",
    withKey("code", { git: { remote: "/srv/r.git", ref: "../../etc" } }),
    [
      'quantlab:code.git.ref: expected a branch, tag or full commit id: 1-200 of [A-Za-z0-9._/-], starting with a letter or digit, got "../../etc"',
    ],
  ],
  [
    "git ref with ..",
    withKey("code", { git: { remote: "/srv/r.git", ref: "a..b" } }),
    [
      'quantlab:code.git.ref: expected a valid git ref name (no .., //, trailing / or ., .lock suffix, or component starting with .), got "a..b"',
    ],
  ],
  ["git without a ref", withKey("code", { git: { remote: "/srv/r.git" } }), ["quantlab:code.git.ref: expected a git ref, got nothing"]],
  [
    "git with a typo",
    withKey("code", { git: { remote: "/srv/r.git", ref: "main", branch: "main" } }),
    ["quantlab:code.git.branch: unknown key"],
  ],
  // Credentials in a git remote: refused, never echoed.
  ["git remote with user and password", withGit(`https://ql:${LEAK}@git.example.net/ql.git`), [`quantlab:code.git.remote: ${CREDS}`]],
  ["git remote with a token as user", withGit(`https://${LEAK}@git.example.net/ql.git`), [`quantlab:code.git.remote: ${CREDS}`]],
  ["ssh remote with a password", withGit(`ssh://git:${LEAK}@git.example.net/ql.git`), [`quantlab:code.git.remote: ${CREDS}`]],
  ["scp-like remote with a password", withGit(`git:${LEAK}@git.example.net:ql.git`), [`quantlab:code.git.remote: ${CREDS}`]],
  [
    "http remote with a password of shell characters",
    withGit(`http://ql:$x'${LEAK}@git.example.net/ql.git`),
    [`quantlab:code.git.remote: ${CREDS}`],
  ],
  [
    "git remote with a token in its query",
    withGit(`https://git.example.net/ql.git?private_token=${LEAK}`),
    [`quantlab:code.git.remote: ${CREDS}`],
  ],
  [
    "code.git given as a URL with a password",
    withKey("code", { git: `https://ql:${LEAK}@git.example.net/ql.git` }),
    ['quantlab:code.git: expected an object with remote and ref, got "https://***@git.example.net/ql.git"'],
  ],
  [
    "code given as text with a password",
    { ...distinctConfig(), "quantlab:code": `git=https://ql:${LEAK}@git.example.net/ql.git` },
    ['quantlab:code: expected a structured value (set it with --path or as a YAML object), got "git=https://***@git.example.net/ql.git"'],
  ],
  // Secrets given in the wrong shape: never echoed.
  ["tokens given as a string", { ...distinctConfig(), "quantlab:tokens": `${LEAK}-as-a-string` }, [TOKENS_SHAPE]],
  ["tokens given as a list", { ...distinctConfig(), "quantlab:tokens": JSON.stringify([LEAK]) }, [TOKENS_SHAPE]],
  ["tokens given as broken JSON", { ...distinctConfig(), "quantlab:tokens": `{"strategyd": "${LEAK}` }, [TOKENS_SHAPE]],
  [
    "token given as a number",
    withTokens({ strategyd: 1234567890123456789 }),
    [
      "quantlab:tokens.strategyd: expected 16-512 characters of [A-Za-z0-9._~+/=-] (no spaces, quotes or newlines; the value is secret and not shown)",
    ],
  ],
  [
    "private key that is a token",
    { ...distinctConfig(), "quantlab:sshPrivateKey": LEAK },
    [
      'quantlab:sshPrivateKey: expected a PEM/OpenSSH private key starting with "-----BEGIN ... PRIVATE KEY-----" (the value is secret and not shown)',
    ],
  ],
  [
    "both a local bundle and git",
    withKey("code", { localDir: "tests/standin", git: { remote: "/srv/r.git", ref: "main" } }),
    ["quantlab:code: set either localDir (ship a local directory) or git (check a ref out on the host), not both"],
  ],
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

  it("no error of any case above shows a secret: the fixture's tokens and key, or the canary the hostile values carry", () => {
    const messages = CASES.map(([, config]) => messageOf(config));
    expect(leakedSecrets(messages)).toEqual([]);
    // The canary is there to be found: the cases above do carry it.
    expect(CASES.filter(([, config]) => Object.values(config).some((v) => v.includes(LEAK))).length).toBeGreaterThanOrEqual(10);
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
