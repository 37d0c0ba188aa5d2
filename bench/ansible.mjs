/**
 * The Ansible peer: a playbook generated from the same host plan (planHost),
 * written the way an experienced Ansible user writes it:
 *   - `copy` for each file (owner, group, mode; `no_log` on the ones that hold
 *     tokens); the code tree shipped as one tarball with `unarchive` (owned by
 *     the runtime user), as experienced users ship a tree: faster here than a
 *     directory `copy` (one module run per file); `synchronize` is not in
 *     ansible-core (it is ansible.posix's) and needs rsync on both ends;
 *   - systemd-sysusers / systemd-tmpfiles only when their file changed;
 *   - handlers: a changed unit file notifies a daemon-reload, a changed file
 *     notifies a restart of each service that reads it; the handlers are
 *     declared in startup order with a `wait_for` on each level's ports, and
 *     flushed once after the files, so a restart respects the levels;
 *   - then each level `systemd: state=started enabled=yes` and `wait_for`
 *     on its ports (a no-op when the handlers already started them);
 *   - pipelining on, one multiplexed SSH connection (ControlMaster), no fact
 *     gathering (nothing here uses facts).
 * Rendered content goes to files next to the playbook (0600, in a 0700
 * directory the bench removes), read by `copy: src=`.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { createRequire } from "module";

const require = createRequire(import.meta.url);
const YAML = require("yaml");

const topic = (svc) => `${svc} inputs changed`;

/**
 * Writes playbook.yml, ansible.cfg, inventory.ini and files/ into `dir`.
 * @param plan HostPlan; @param code { root, user, group, localDir }; @param host { address, port, privateKeyPath, knownHosts }
 */
export function writeAnsibleProject(dir, plan, code, host) {
  fs.mkdirSync(path.join(dir, "files"), { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const readers = (p) => plan.units.filter((u) => u.reads.includes(p)).map((u) => u.service);
  const src = (f) => {
    const name = f.path.replace(/^\//, "").replace(/\//g, "__");
    fs.writeFileSync(path.join(dir, "files", name), f.content, { mode: 0o600 });
    return path.join(dir, "files", name);
  };
  const copy = (f) => ({
    name: `${f.path}`,
    "ansible.builtin.copy": { src: src(f), dest: f.path, owner: f.owner, group: f.group, mode: f.mode },
    ...(f.secret ? { no_log: true } : {}),
  });
  const tasks = [];
  for (const f of plan.files.filter((f) => f.kind === "sysusers" || f.kind === "tmpfiles")) {
    const reg = `${f.kind}_file`;
    if (f.createParent)
      tasks.push({
        name: `${path.dirname(f.path)} exists`,
        "ansible.builtin.file": { path: path.dirname(f.path), state: "directory", mode: "0755" },
      });
    tasks.push({ ...copy(f), register: reg });
    const cmd = f.kind === "sysusers" ? `systemd-sysusers ${f.path}` : `systemd-tmpfiles --create ${f.path}`;
    tasks.push({ name: `apply ${f.path}`, "ansible.builtin.command": cmd, when: `${reg}.changed` });
  }
  // BENCH_ANSIBLE_CODE=copy ships the tree with a directory copy instead, to compare the two in one run.
  if (process.env.BENCH_ANSIBLE_CODE === "copy")
    tasks.push({
      name: "code",
      "ansible.builtin.copy": {
        src: `${path.resolve(code.localDir)}/`,
        dest: `${code.root}/`,
        owner: code.user,
        group: code.group,
        mode: "preserve",
      },
      notify: plan.units.map((u) => topic(u.service)),
    });
  // The same tree gives the same tarball (sorted names, fixed times and owners): unarchive then finds nothing to do.
  else {
    const tarball = path.join(dir, "files", "code.tar");
    const tar = spawnSync(
      "tar",
      ["-C", path.resolve(code.localDir), "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", tarball, "."],
      { encoding: "utf8" },
    );
    if (tar.status !== 0) throw new Error(`tar of the code tree failed: ${tar.stderr}`);
    tasks.push({
      name: "code",
      "ansible.builtin.unarchive": { src: tarball, dest: `${code.root}/`, owner: code.user, group: code.group },
      notify: plan.units.map((u) => topic(u.service)),
    });
  }
  for (const f of plan.files.filter((f) => f.kind !== "sysusers" && f.kind !== "tmpfiles")) {
    const notify = [...(f.onChange === "daemon-reload" ? ["reload systemd"] : []), ...readers(f.path).map(topic)];
    if (f.createParent)
      tasks.push({
        name: `${path.dirname(f.path)} exists`,
        "ansible.builtin.file": { path: path.dirname(f.path), state: "directory", mode: "0755" },
      });
    tasks.push({ ...copy(f), ...(notify.length ? { notify } : {}) });
  }
  tasks.push({ name: "restart what changed, in startup order", "ansible.builtin.meta": "flush_handlers" });

  const unitOf = new Map(plan.units.map((u) => [u.service, u]));
  const handlers = [{ name: "reload systemd", "ansible.builtin.systemd": { daemon_reload: true } }];
  plan.levels.forEach((level, i) => {
    const units = level.map((s) => unitOf.get(s));
    const ports = units.filter((u) => u.port !== undefined).map((u) => u.port);
    tasks.push({
      name: `level ${i}: started and enabled`,
      "ansible.builtin.systemd": { name: "{{ item }}", state: "started", enabled: true },
      loop: units.map((u) => u.unit),
    });
    if (ports.length)
      tasks.push({
        name: `level ${i}: ports open`,
        "ansible.builtin.wait_for": { host: "127.0.0.1", port: "{{ item }}", timeout: 60 },
        loop: ports,
      });
    for (const u of units)
      handlers.push({
        name: `restart ${u.service}`,
        listen: topic(u.service),
        "ansible.builtin.systemd": { name: u.unit, state: "restarted", enabled: true },
      });
    for (const u of units.filter((u) => u.port !== undefined)) {
      handlers.push({
        name: `wait for ${u.service}`,
        listen: topic(u.service),
        "ansible.builtin.wait_for": { host: "127.0.0.1", port: u.port, timeout: 60 },
      });
    }
  });

  const play = [{ name: "quantlab runtime", hosts: "sandbox", gather_facts: false, become: false, tasks, handlers }];
  fs.writeFileSync(path.join(dir, "playbook.yml"), YAML.stringify(play), { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, "inventory.ini"),
    `sandbox ansible_host=${host.address} ansible_port=${host.port} ansible_user=root ansible_python_interpreter=/usr/bin/python3 ansible_ssh_private_key_file=${host.privateKeyPath}\n`,
    { mode: 0o600 },
  );
  fs.writeFileSync(
    path.join(dir, "ansible.cfg"),
    [
      "[defaults]",
      `inventory = ${path.join(dir, "inventory.ini")}`,
      "host_key_checking = True",
      "retry_files_enabled = False",
      "interpreter_python = /usr/bin/python3",
      "[ssh_connection]",
      "pipelining = True",
      `control_path_dir = ${path.join(dir, "cp")}`,
      `ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${host.knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { playbook: path.join(dir, "playbook.yml"), cfg: path.join(dir, "ansible.cfg"), controlDir: path.join(dir, "cp") };
}
