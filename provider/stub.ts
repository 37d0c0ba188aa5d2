/**
 * What Pulumi stores with every host resource as its `__provider`: a module
 * of about a hundred bytes, the same for every resource of a kind, that loads
 * the provider from the installed package when called: `dist/provider` of the
 * project the operator command runs from (it passes the path in
 * QUANTLAB_PROVIDER), or of the working directory (the official CLI runs
 * providers in the project). So a fix to the provider reaches every resource
 * at once, read() and delete() never run stale code from state, and the
 * state stays small. (The SDK's dynamic.Resource would store a serialized
 * closure of ~1.8 KB per resource, in its inputs and its outputs.)
 */
import type { KindName } from "./kinds";

/** The environment variable naming the compiled provider's entry point. */
export const PROVIDER_ENV = "QUANTLAB_PROVIDER";

/** The module text: `exports.handler()` returns the kind's provider. */
export function stubText(kind: KindName): string {
  return `exports.handler=()=>require(process.env.${PROVIDER_ENV}||require("path").resolve("dist/provider/index.js")).stub(${JSON.stringify(kind)})`;
}
