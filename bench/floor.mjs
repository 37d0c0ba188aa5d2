/**
 * The engine's own floor for the package's resources: one `up` of a stack
 * with the same registrations as the sandbox stack (types, names, parents,
 * providers, dependsOn: the shape bench/evaluate.mjs records), run the way
 * the operator command runs its own (Automation API inline, the pinned CLI, a
 * local file backend, --refresh --run-program, the same `pulumi-nodejs`
 * provider per host, the Automation API's result queries skipped, both Node
 * processes started with provider/preload.ts), but with a provider that
 * answers at once (bench/floorprovider.cjs): no host, no SSH.
 *   node bench/floor.mjs DIR SHAPE.json   (the first run creates, the next is the no-op)
 * Prints the run's resource changes as JSON.
 */
import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import { ROOT } from "./host.mjs";

const require = createRequire(import.meta.url);
const PRELOAD = path.join(ROOT, "dist", "provider", "preload.js"); // as bin/quantlab.js and cli/engine.ts start theirs
require(PRELOAD);
const pulumi = require("@pulumi/pulumi");
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");

const [dir, shapeFile] = process.argv.slice(2);
if (!dir || !shapeFile) throw new Error("usage: node bench/floor.mjs DIR SHAPE.json");
const shape = JSON.parse(fs.readFileSync(shapeFile, "utf8"));
const stub = (kind) =>
  `exports.handler=()=>require(${JSON.stringify(path.join(ROOT, "bench", "floorprovider.cjs"))}).stub(${JSON.stringify(kind)})`;

class Component extends pulumi.ComponentResource {
  constructor(type, name, opts) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

function program() {
  const made = [];
  for (const r of shape) {
    const opts = {
      ...(r.parent !== undefined ? { parent: made[r.parent] } : {}),
      ...(r.provider !== undefined ? { provider: made[r.provider] } : {}),
      ...(r.deps.length ? { dependsOn: r.deps.map((i) => made[i]) } : {}),
    };
    if (!r.custom) made.push(new Component(r.type, r.name, opts));
    else if (r.type === "pulumi:providers:pulumi-nodejs") made.push(new pulumi.ProviderResource("pulumi-nodejs", r.name, {}, opts));
    else made.push(new pulumi.CustomResource(r.type, r.name, { __provider: stub(r.type), name: r.name, value: 1 }, opts));
  }
  return {};
}

fs.mkdirSync(path.join(dir, "state"), { recursive: true });
fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: quantlab-floor\nruntime: nodejs\n");
const envVars = {
  PATH: `${path.join(ROOT, ".tools", "bin")}:${process.env.PATH ?? ""}`,
  PULUMI_HOME: path.join(ROOT, ".tools", "pulumi-home"),
  PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
  PULUMI_CONFIG_PASSPHRASE: "floor",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
  PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  NODE_OPTIONS: `--require "${PRELOAD}"`,
};
const pulumiCommand = await PulumiCommand.get({ root: path.join(ROOT, ".tools"), skipVersionCheck: true });
const stack = await LocalWorkspace.createOrSelectStack(
  { stackName: "floor", projectName: "quantlab-floor", program },
  { workDir: dir, envVars, pulumiCommand },
);
Object.assign(stack, { outputs: async () => ({}), info: async () => undefined });
let changes = {};
await stack.up({
  refresh: true,
  runProgram: true,
  color: "never",
  onEvent: (e) => {
    if (e.summaryEvent) changes = e.summaryEvent.resourceChanges ?? {};
  },
});
console.log(JSON.stringify(changes));
