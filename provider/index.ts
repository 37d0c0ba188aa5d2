/**
 * The host provider's implementation, loaded at call time by the module each
 * resource stores (provider/stub.ts): one dynamic provider per kind, each
 * configured from its host's provider resource.
 */
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { configure } from "./context";
import type { KindName } from "./kinds";
import { buckets } from "./buckets";
import { bundle } from "./bundle";
import { checkout } from "./checkout";
import { file } from "./file";
import { generation } from "./generation";
import { owner } from "./owner";
import { service } from "./service";
import { tools } from "./tools";
import { wave } from "./wave";

const PROVIDERS: Readonly<Record<KindName, pulumi.dynamic.ResourceProvider>> = {
  owner,
  tools,
  buckets,
  file,
  bundle,
  checkout,
  service,
  generation,
  wave,
};

/** The project this compiled provider belongs to (dist/provider/index.js -> the project root). */
const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** The kind's provider, with configure() reading the host provider's inputs (as the SDK hands them: `req.config.rawConfig`). */
export function stub(kind: KindName, projectDir: string = PROJECT_DIR): pulumi.dynamic.ResourceProvider {
  return {
    ...PROVIDERS[kind],
    configure: async (req: pulumi.dynamic.ConfigureRequest) =>
      configure((req.config as unknown as { rawConfig: Record<string, unknown> }).rawConfig, projectDir),
  };
}
