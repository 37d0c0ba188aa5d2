/**
 * The lower bound: one bash script, sent over one SSH session, that does the
 * same work as the package from the same host plan (planHost): writes every
 * planned file and the code bundle whose content differs from what the host
 * has, runs sysusers / tmpfiles / daemon-reload only when their files
 * changed, then walks the startup levels: restarts a service whose read
 * files (or code) changed, starts (and enables) the others, and waits for
 * each level's ports before the next. So one script is the fresh, the no-op
 * and the one-change converge.
 *
 * Content travels base64-encoded inside the script (on the session's stdin,
 * never in argv).
 */
import * as crypto from "crypto";

const sha = (data) => crypto.createHash("sha256").update(data).digest("hex");
const b64 = (data) =>
  Buffer.from(data)
    .toString("base64")
    .replace(/(.{76})/g, "$1\n");
const SAFE = /^[A-Za-z0-9_@+=:,./-]+$/;
const q = (s) => {
  if (!SAFE.test(s)) throw new Error(`lower bound: unsafe shell word ${JSON.stringify(s)}`);
  return s;
};

/** One file: written (atomically, owner and mode set) only when its sha-256 differs; `mark` runs when it was written. */
function fileStep({ path, content, mode, owner, group, createParent }, mark) {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  return [
    `if ! echo '${sha(content)}  ${q(path)}' | sha256sum -c --status 2>/dev/null || [ "$(stat -c '%a %U %G' ${path})" != '${Number.parseInt(mode, 8).toString(8)} ${q(owner)} ${q(group)}' ]; then`,
    createParent ? `  install -d -m 0755 ${q(dir)}` : `  :`,
    `  base64 -d > ${path}.lb-tmp <<'LB_EOF'`,
    b64(content),
    "LB_EOF",
    `  chown ${owner}:${group} ${path}.lb-tmp && chmod ${q(mode)} ${path}.lb-tmp && mv -f ${path}.lb-tmp ${path}`,
    ...mark.map((m) => `  ${m}`),
    "fi",
  ].join("\n");
}

/**
 * @param plan    HostPlan (planHost)
 * @param code    { root, user, group, files: [{ path, content: Buffer, mode }] }
 */
export function lowerBoundScript(plan, code) {
  const readers = (path) => plan.units.filter((u) => u.reads.includes(path)).map((u) => u.service);
  const flag = (svc) => `changed_${svc.replace(/-/g, "_")}=1`;
  const out = ["set -eu", "reload=0"];
  const byKind = (k) => plan.files.filter((f) => f.kind === k);
  for (const f of byKind("sysusers")) out.push(fileStep(f, [`systemd-sysusers ${f.path}`]));
  for (const f of byKind("tmpfiles")) out.push(fileStep(f, [`systemd-tmpfiles --create ${f.path}`]));
  // The code bundle, owned by the runtime user; a changed file restarts every service (as the package does).
  const allServices = plan.units.map((u) => u.service);
  for (const f of code.files) {
    const path = `${code.root}/${f.path}`;
    out.push(
      `[ -d ${q(path.slice(0, path.lastIndexOf("/")))} ] || runuser -u ${q(code.user)} -- mkdir -p ${path.slice(0, path.lastIndexOf("/"))}`,
    );
    out.push(
      fileStep({ path, content: f.content, mode: f.mode, owner: code.user, group: code.group, createParent: false }, allServices.map(flag)),
    );
  }
  for (const f of plan.files.filter((f) => f.kind !== "sysusers" && f.kind !== "tmpfiles")) {
    out.push(fileStep(f, [...(f.onChange === "daemon-reload" ? ["reload=1"] : []), ...readers(f.path).map(flag)]));
  }
  out.push('[ "$reload" = 0 ] || systemctl daemon-reload');
  const unitOf = new Map(plan.units.map((u) => [u.service, u]));
  out.push(`systemctl enable --quiet ${plan.units.map((u) => q(u.unit)).join(" ")}`);
  for (const level of plan.levels) {
    const units = level.map((s) => unitOf.get(s));
    out.push("restart=; start=");
    for (const u of units)
      out.push(
        `if [ -n "\${${flag(u.service).slice(0, -2)}:-}" ]; then restart="$restart ${q(u.unit)}"; else start="$start ${q(u.unit)}"; fi`,
      );
    out.push('[ -z "$restart" ] || systemctl restart $restart', '[ -z "$start" ] || systemctl start $start');
    for (const u of units.filter((u) => u.port !== undefined)) {
      out.push(`for i in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/${u.port}) 2>/dev/null && break; sleep 0.1; done`);
    }
  }
  return `${out.join("\n")}\n`;
}
