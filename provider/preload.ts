/**
 * Loaded first in both Node processes of a run: the operator command
 * (bin/quantlab.js) and the host provider's, which the engine starts with
 * NODE_OPTIONS naming this file (cli/engine.ts).
 *
 * Importing `@pulumi/pulumi` loads the TypeScript compiler (typescript.js,
 * about 9 MB), because runtime/closure/parseFunction.js requires it at the
 * top, for serializing functions. Neither process serializes one: every
 * resource's provider is a stub of a hundred bytes (provider/stub.ts). So
 * that one require gets a stand-in that loads the compiler on its first use:
 * about half a second of CPU less in each process, at the start of every run.
 * If the SDK's layout changes, the hook matches nothing and the SDK loads as
 * it ships.
 */
import Module from "module";
import * as path from "path";
import { deferred } from "./deferred";

type Load = (request: string, parent: NodeModule | undefined, isMain: boolean) => unknown;

/** The require the stand-in replaces: the compiler's shim, from the SDK's function parser. */
const DEFERRED = {
  request: "../../typescript-shim",
  from: path.join(path.sep, "@pulumi", "pulumi", "runtime", "closure", "parseFunction.js"),
};

const loader = Module as unknown as { _load: Load };
const load = loader._load;
loader._load = function (this: unknown, request, parent, isMain) {
  if (request === DEFERRED.request && parent?.filename.endsWith(DEFERRED.from)) {
    return deferred(() => load.call(this, request, parent, isMain) as object);
  }
  return load.call(this, request, parent, isMain);
};
