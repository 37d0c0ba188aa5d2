/**
 * The whole program as a function of the raw stack config, so tests drive it
 * under Pulumi mocks with any config. Config is parsed (and rejected, listing
 * every problem) before a single resource is registered.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig } from "./config/parse";
import { QuantlabBuckets } from "./components/buckets";
import { QuantlabHost } from "./components/host";
import type { BundleFile } from "./components/codeBundle";
import type { TokenName } from "./model/catalog";

/** Reads a local directory as bundle files (sorted, so the hash is stable). */
export function readBundle(dir: string): BundleFile[] {
  const out: BundleFile[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(relPath);
      else if (entry.isFile()) {
        const stat = fs.statSync(path.join(dir, relPath));
        out.push({ path: relPath, content: fs.readFileSync(path.join(dir, relPath)), mode: (stat.mode & 0o111) !== 0 ? "0755" : "0644" });
      }
    }
  };
  walk("");
  return out;
}

export function runProgram(allConfig: Readonly<Record<string, string>>, projectDir: string = process.cwd()) {
  let parsed;
  try {
    parsed = parseStackConfig(allConfig);
  } catch (e) {
    // RunError: Pulumi prints the message alone, without a stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const { config, model, secrets } = parsed;

  const connection = {
    host: config.host.address,
    port: config.host.port,
    user: config.host.user,
    privateKey: pulumi.secret(secrets.sshPrivateKey),
    ...(config.host.hostKey ? { hostKey: config.host.hostKey } : {}),
  };
  const tokens = Object.fromEntries(
    Object.entries(secrets.tokens).map(([k, v]) => [k, pulumi.secret(v)]),
  ) as Partial<Record<TokenName, pulumi.Output<string>>>;

  const buckets = new QuantlabBuckets("quantlab", { s3: config.s3 });
  const host = new QuantlabHost("quantlab", {
    connection,
    model,
    tokens,
    compactBucket: buckets.compactBucket,
    archiveBucket: buckets.archiveBucket,
    endpoint: buckets.endpoint,
    code: config.code.localDir ? readBundle(path.resolve(projectDir, config.code.localDir)) : undefined,
  });

  return {
    units: Object.fromEntries(model.services.map((s) => [s.def.name, s.def.unit])),
    healthUrls: Object.fromEntries(
      model.services
        .filter((s) => s.def.health && s.port !== undefined)
        .map((s) => [s.def.name, { url: `http://127.0.0.1:${s.port}${s.def.health!.path}`, bearerToken: s.def.health!.auth }]),
    ),
    buckets: { compact: buckets.compactBucket, archive: buckets.archiveBucket, endpoint: buckets.endpoint },
    startupLevels: model.levels,
    host,
  };
}
