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

/** What a Node process that imports the SDK (as the operator and the provider host do) then sees. */
const PROBE = `
const compiler = () => Object.keys(require.cache).some((f) => f.endsWith("/typescript.js"));
const pulumi = require("@pulumi/pulumi");
const atImport = compiler();
pulumi.runtime.serializeFunction(() => 6 * 7).then((f) => {
  console.log(JSON.stringify({ atImport, afterUse: compiler(), serialized: /6 \\* 7/.test(f.text) }));
});`;

async function probe(...nodeArgs: string[]): Promise<unknown> {
  return JSON.parse(await must("node", [...nodeArgs, "-e", PROBE], { cwd: ROOT }));
}

beforeAll(async () => {
  await must("node", [path.join(ROOT, "scripts", "build-dist.js")]); // dist/ as the operator command would run it
});

describe("provider/preload", () => {
  it("imports @pulumi/pulumi without the TypeScript compiler, which loads on first use and serializes as before", async () => {
    expect(await probe("--require", PRELOAD)).toEqual({ atImport: false, afterUse: true, serialized: true });
  });

  it("without it, the SDK loads the compiler as it is imported (what the preload saves)", async () => {
    expect(await probe()).toEqual({ atImport: true, afterUse: true, serialized: true });
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
