/**
 * The host provider's implementation, loaded at call time by the stubs that
 * are stored in state (provider/stub.ts): one provider object per resource
 * kind, and configure() for the stack's connection.
 */
export { configure } from "./context";
export { file } from "./file";
export { service } from "./service";
export { bundle } from "./bundle";
export { tools } from "./tools";
export { checkoutProvider as checkout } from "./checkout";
export { owner } from "./ownerResource";
