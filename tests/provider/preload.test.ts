/**
 * The start of the operator's and the host provider's processes (provider/preload.ts): the SDK imported without
 * its TypeScript compiler, which still loads, and works, on first use. Real Node processes on the compiled dist/.
 */
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { providerNodeOptions } from "../../cli/engine";
import { ROOT } from "../../cli/paths";
import { must } from "../../cli/run";
import { deferred } from "../../provider/deferred";

const PRELOAD = path.join(ROOT, "dist", "provider", "preload.js");

/**
 * What a Node process that imports the SDK (as the operator and the provider host do) then sees: whether the
 * TypeScript compiler and npm's Arborist are loaded, at import and after the SDK serialized a function and listed
 * the project's packages a function would need (what each is for).
 */
const PROBE = `
const loaded = () => ["/typescript.js", "/@npmcli/arborist/lib/index.js"].map((m) => Object.keys(require.cache).some((f) => f.endsWith(m)));
const pulumi = require("@pulumi/pulumi");
const atImport = loaded();
Promise.all([pulumi.runtime.serializeFunction(() => 6 * 7), pulumi.runtime.computeCodePaths()]).then(([f, paths]) => {
  const serialized = /6 \\* 7/.test(f.text);
  console.log(JSON.stringify({ atImport, afterUse: loaded(), serialized, codePaths: [...paths.keys()].sort() }));
});`;

async function probe(...nodeArgs: string[]): Promise<unknown> {
  return JSON.parse(await must("node", [...nodeArgs, "-e", PROBE], { cwd: ROOT }));
}

beforeAll(async () => {
  await must("node", [path.join(ROOT, "scripts", "build-dist.js")]); // dist/ as the operator command would run it
});

describe("provider/preload", () => {
  it("imports @pulumi/pulumi without the TypeScript compiler and Arborist, which load on first use and work as before", async () => {
    const [stock, preloaded] = await Promise.all([probe(), probe("--require", PRELOAD)]);
    expect(stock).toMatchObject({ atImport: [true, true], afterUse: [true, true], serialized: true });
    expect((stock as { codePaths: string[] }).codePaths).toContain("node_modules/ssh2");
    expect(preloaded).toEqual({ ...(stock as object), atImport: [false, false] });
  });

  it("reaches the provider's process through NODE_OPTIONS, after the operator's own options", () => {
    expect(providerNodeOptions(undefined, "/srv/q/dist/provider/preload.js")).toBe('--require "/srv/q/dist/provider/preload.js"');
    expect(providerNodeOptions(" --max-old-space-size=512 ", "/a b/preload.js")).toBe(
      '--max-old-space-size=512 --require "/a b/preload.js"',
    );
    expect(providerNodeOptions("--trace-warnings", '/a"b/preload.js')).toBe("--trace-warnings");
    expect(providerNodeOptions(undefined, "/a\\b/preload.js")).toBeUndefined();
  });
});

describe("deferred", () => {
  it("loads once, on first use, and then answers as the module itself", () => {
    let loads = 0;
    const real = { answer: 42, twice: (n: number) => 2 * n };
    const d = deferred(() => (loads++, real)) as typeof real;
    expect(loads).toBe(0);
    expect(d.twice(d.answer)).toBe(84);
    expect(["answer" in d, "missing" in d, Object.keys(d)]).toEqual([true, false, ["answer", "twice"]]);
    expect({ ...d }).toEqual(real);
    expect(loads).toBe(1);
  });
});
