/**
 * Program evaluation time under Pulumi mocks (no engine, no host): the
 * sandbox stack's config with a fake host and tokens, run through
 * runProgram() from dist/. Prints JSON {load_ms, eval_ms, resources, shape}:
 * load = requiring the program module; eval = from runProgram() to the last
 * resource registration (the program's applies settled); shape = every
 * registration in order (type, name, custom, parent, provider and
 * dependsOn as indexes into the list): what the engine-floor stack copies.
 *   node bench/evaluate.mjs
 */
import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import { ROOT } from "./host.mjs";

const require = createRequire(import.meta.url);
const pulumi = require("@pulumi/pulumi");
const YAML = require("yaml");

let registered = 0;
let last = 0n;
await pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered++;
      last = process.hrtime.bigint();
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "quantlab-infra",
  "sandbox",
  false,
);

const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.sandbox.yaml"), "utf8"));
const config = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
config["quantlab:host"] = JSON.stringify({
  address: "10.0.0.2",
  port: 22,
  user: "root",
  hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7uWeRMogHr5NPWJuYSf9q4c/DxFUSAj9L0QsowYJhp",
});
config["quantlab:sshPrivateKey"] = "-----BEGIN OPENSSH PRIVATE KEY-----\nunused\n-----END OPENSSH PRIVATE KEY-----\n";
const { TOKEN_NAMES } = require(path.join(ROOT, "dist", "model", "catalog.js"));
config["quantlab:tokens"] = JSON.stringify(Object.fromEntries(TOKEN_NAMES.map((t, i) => [t, `token-${t}-${i}-0123456789abcdef`])));

// The graph the engine sees: each RegisterResource request's parent, provider and dependencies.
const shape = [];
const index = new Map();
const monitor = pulumi.runtime.getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) =>
  register(req, (err, resp) => {
    if (!err) {
      const ref = (urn) => (urn ? index.get(urn.split("::").slice(0, 4).join("::")) : undefined);
      index.set(resp.getUrn(), shape.length);
      shape.push({
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: ref(req.getParent()),
        provider: ref(req.getProvider() || undefined),
        deps: [
          ...new Set(
            req
              .getDependenciesList()
              .map(ref)
              .filter((i) => i !== undefined),
          ),
        ],
      });
    }
    callback(err, resp);
  });

const t0 = process.hrtime.bigint();
const { runProgram } = require(path.join(ROOT, "dist", "program.js"));
const t1 = process.hrtime.bigint();
runProgram(config, ROOT);
let seen = -1;
while (seen !== registered) {
  seen = registered;
  await new Promise((r) => setTimeout(r, 200));
}
console.log(JSON.stringify({ load_ms: Number(t1 - t0) / 1e6, eval_ms: Number(last - t1) / 1e6, resources: registered, shape }));
