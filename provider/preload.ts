/**
 * Loaded first in both Node processes of a run: the operator command
 * (bin/quantlab.js) and the host provider's, which the engine starts with
 * NODE_OPTIONS naming this file (cli/engine.ts).
 *
 * Importing `@pulumi/pulumi` loads, at its top, what its function
 * serialization uses: the TypeScript compiler (typescript.js, about 9 MB) and
 * npm's Arborist (about 450 modules), for finding the packages a serialized
 * function needs. Neither process serializes a function: every resource's
 * provider is a stub of a hundred bytes (provider/stub.ts). So those requires
 * get stand-ins that load the module on its first use: about a second
 * of CPU and 35 MB less in each process, at the start of every command. If
 * the SDK's layout changes, a hook matches nothing and the SDK loads as it
 * ships.
 */
import Module from "module";
import * as path from "path";
import { deferred } from "./deferred";

type Load = (request: string, parent: NodeModule | undefined, isMain: boolean) => unknown;

const CLOSURE = path.join(path.sep, "@pulumi", "pulumi", "runtime", "closure");

/** The requires that get a stand-in: which module, from which SDK file, and whether that file `__importStar`s it. */
const DEFERRED = [
  { request: "../../typescript-shim", from: path.join(CLOSURE, "parseFunction.js"), esModule: false },
  { request: "@npmcli/arborist", from: path.join(CLOSURE, "codePaths.js"), esModule: true },
];

const loader = Module as unknown as { _load: Load };
const load = loader._load;
loader._load = function (this: unknown, request, parent, isMain) {
  const from = parent?.filename ?? ""; // null for a REPL's requires
  const stand = DEFERRED.find((d) => request === d.request && from.endsWith(d.from));
  if (stand) return deferred(() => load.call(this, request, parent, isMain) as object, stand);
  return load.call(this, request, parent, isMain);
};
