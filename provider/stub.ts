/**
 * What Pulumi stores with every host resource: a stub of a few hundred bytes
 * whose methods load the provider implementation from the installed package
 * when called (the compiled `dist/provider/index.js` of the nearest
 * quantlab-infra checkout above the provider's working directory, i.e. the
 * project). So a fix to the provider reaches every resource at once, read()
 * and delete() never run stale code from state, and the state stays small.
 *
 * Closure serialization captures these functions' text: they may use only
 * their arguments, `require` and `process`.
 */
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "file" | "service" | "bundle" | "tools" | "checkout" | "owner";

/**
 * One stub object per kind: the SDK caches a provider's serialized closure by
 * object identity, so a shared stub is serialized once per kind instead of
 * once per resource (closure serialization dominated program evaluation).
 */
const STUBS = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

export function providerStub(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  let stub = STUBS.get(kind);
  if (!stub) STUBS.set(kind, (stub = makeStub(kind)));
  return stub;
}

/* eslint-disable @typescript-eslint/no-require-imports */
function makeStub(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const load = (): Record<string, any> => {
    const path = require("path");
    const fs = require("fs");
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
      const pkg = path.join(dir, "package.json");
      if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "quantlab-infra") {
        const impl = path.join(dir, "dist", "provider", "index.js");
        if (!fs.existsSync(impl)) throw new Error(`quantlab host provider: ${impl} is missing; run \`npm run build\` in ${dir}`);
        return require(impl);
      }
      if (path.dirname(dir) === dir) throw new Error(`quantlab host provider: no quantlab-infra project above ${process.cwd()}`);
    }
  };
  return {
    configure: async (req) => load().configure((key: string) => req.config.get(key)),
    create: (inputs) => load()[kind].create(inputs),
    read: (id, props) => load()[kind].read(id, props),
    diff: (id, olds, news) => load()[kind].diff(id, olds, news),
    update: (id, olds, news) => load()[kind].update(id, olds, news),
    delete: (id, props) => load()[kind].delete(id, props),
  };
}
