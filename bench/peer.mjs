/**
 * What the peers converge from: the sandbox stack's config as the program
 * would see it on one host, planned (planHost) with the same values the
 * package gets, and the lower bound's converge of that plan (one SSH
 * session, one script). The compiled package (dist/) is loaded when first
 * called: the bench scripts build it first.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import { ROOT, timed } from "./host.mjs";
import { lowerBoundScript } from "./lowerbound.mjs";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const dist = (m) => require(path.join(ROOT, "dist", m));

export const baseDoc = () => YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.sandbox.yaml"), "utf8"));

/** Fresh random tokens, one per token the model names. */
export const randomTokens = () =>
  Object.fromEntries(dist("model/catalog.js").TOKEN_NAMES.map((t) => [t, crypto.randomBytes(24).toString("hex")]));

/** The stack config as the program would see it, for the peers (same values the package gets); `services` as a host's overrides. */
export function peerPlan(host, tokens, fills, dir, services = {}) {
  const { parseStackConfig } = dist("config/parse.js");
  const { planHost } = dist("hostfiles/plan.js");
  const { readBundle } = dist("provider/code.js");
  const doc = baseDoc();
  const all = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  all["quantlab:host"] = JSON.stringify({ address: host.address, port: host.port, user: host.user, hostKey: host.hostKey });
  all["quantlab:sshPrivateKey"] = host.privateKey ?? fs.readFileSync(host.privateKeyPath, "utf8");
  all["quantlab:tokens"] = JSON.stringify(tokens);
  all["quantlab:env"] = JSON.stringify({ ...(doc.config["quantlab:env"] ?? {}), executionStreamFills: fills });
  const stackServices = doc.config["quantlab:services"] ?? {};
  const names = [...new Set([...Object.keys(stackServices), ...Object.keys(services)])];
  if (names.length)
    all["quantlab:services"] = JSON.stringify(Object.fromEntries(names.map((n) => [n, { ...stackServices[n], ...services[n] }])));
  // The sandbox's S3 keys, as the package's sandbox stack signs with them (the same env files, same files).
  const s3 = dir && fs.existsSync(path.join(dir, "s3.json")) ? JSON.parse(fs.readFileSync(path.join(dir, "s3.json"), "utf8")) : undefined;
  if (s3)
    all["quantlab:s3"] = JSON.stringify({ ...doc.config["quantlab:s3"], accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  const { config, model, secrets } = parseStackConfig(all);
  const code = {
    root: model.runtime.backendRoot,
    user: model.runtime.user,
    group: model.runtime.group,
    localDir: path.resolve(ROOT, config.code.localDir),
  };
  return { plan: planHost(model, secrets.tokens, secrets.s3), code: { ...code, files: readBundle(code.localDir) } };
}

/** The lower bound on the sandbox host in `dir`: converge(phase) runs its script for the phase and returns the timed result. */
export function lowerBound(dir, host, services = {}) {
  const tokens = randomTokens();
  return async (phase) => {
    const { plan, code } = peerPlan(host, tokens, phase === "one change", dir, services);
    return timed("bash", [path.join(ROOT, "scripts", "sandbox.sh"), "ssh", dir, "bash", "-s"], { input: lowerBoundScript(plan, code) });
  };
}
