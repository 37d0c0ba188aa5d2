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
import type { BundleFile } from "./components/host";
import { planHost } from "./hostfiles/plan";

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
  const plan = planHost(model, secrets.tokens);

  const buckets = new QuantlabBuckets("quantlab", { s3: model.s3 });
  const host = new QuantlabHost("quantlab", {
    address: config.host.address,
    plan,
    code: config.code.localDir
      ? { root: model.runtime.backendRoot, user: model.runtime.user, files: readBundle(path.resolve(projectDir, config.code.localDir)) }
      : undefined,
    git: config.code.git ? { root: model.runtime.backendRoot, user: model.runtime.user, ...config.code.git } : undefined,
  });

  return {
    units: Object.fromEntries(plan.units.map((u) => [u.service, u.unit])),
    healthUrls: Object.fromEntries(plan.units.flatMap((u) => (u.health ? [[u.service, { url: u.health.url, bearerToken: u.health.token !== undefined }]] : []))),
    buckets: { compact: buckets.compactBucket, archive: buckets.archiveBucket, endpoint: buckets.endpoint },
    startupLevels: plan.levels,
    host,
  };
}
