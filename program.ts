/**
 * The whole program as a function of the raw stack config, so tests drive it
 * under Pulumi mocks with any config. Config is parsed (and rejected, listing
 * every problem) before a single resource is registered. Each host gets its
 * own provider and its own QuantlabHost; the hosts of a rollout wave start
 * after every host of the wave before recorded its generation (all its gates
 * passed), so the waves are `dependsOn` edges of the one deployment.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, type ParseOptions } from "./config/parse";
import { SINGLE_HOST_LABEL } from "./config/fleet";
import { hostConfig, secretConfig, stableJson } from "./config/hostconfig";
import { QuantlabBuckets } from "./components/buckets";
import { QuantlabHost } from "./components/host";
import { planHost, type HostPlan } from "./hostfiles/plan";
import { readBundle } from "./provider/code";
import { HostProvider, HostWave } from "./provider/resources";

export interface ProgramHost {
  /** The host's name (`host` for the single-host form). */
  readonly name: string;
  /** The name of its resources. */
  readonly label: string;
  readonly plan: HostPlan;
  readonly host: QuantlabHost;
}

/**
 * The SDK records, with every resource it registers, the JavaScript stack that declared it (every frame, with
 * Error.stackTraceLimit lifted) and its first frame as the source position: about 500 bytes per resource in the state,
 * rewritten at every checkpoint, and read by nothing here (they point into this package's own files, for consoles that
 * link a resource to its code). The program registers without them.
 */
function withoutSourcePositions(): void {
  (pulumi.Resource as unknown as { stackTrace: (skip: number) => unknown[] }).stackTrace = () => [];
}

export function runProgram(allConfig: Readonly<Record<string, string>>, projectDir: string = process.cwd(), options: ParseOptions = {}) {
  withoutSourcePositions();
  let parsed;
  try {
    parsed = parseStackConfig(allConfig, options);
  } catch (e) {
    // RunError: Pulumi prints the message alone, without a stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const { config, secrets } = parsed;
  const stack = `${pulumi.getProject()}/${pulumi.getStack()}`;
  const buckets = new QuantlabBuckets("quantlab", { s3: parsed.model.s3 });
  const secretsJson = stableJson(secretConfig(allConfig));
  const code = config.code.localDir ? readBundle(path.resolve(projectDir, config.code.localDir)) : undefined;
  const fleet = allConfig["quantlab:hosts"] !== undefined;
  const byName = new Map(parsed.hosts.map((h) => [h.name, h]));

  const hosts: ProgramHost[] = [];
  const tolerated = parsed.rollout.maxFailedHosts;
  let previousWave: pulumi.Resource[] = [];
  for (const [i, wave] of parsed.rollout.waves.entries()) {
    const thisWave: { name: string; host: QuantlabHost; provider: HostProvider }[] = [];
    for (const name of wave) {
      const h = byName.get(name)!;
      const label = fleet ? name : SINGLE_HOST_LABEL;
      const plan = planHost(h.model, secrets.tokens, secrets.s3);
      const provider = new HostProvider(
        label,
        { config: stableJson(hostConfig(parsed, h)), secrets: secretsJson, stack },
        fleet && parsed.hosts.length === 1 ? { aliases: [{ name: SINGLE_HOST_LABEL }] } : undefined,
      );
      const rt = h.model.runtime;
      const host = new QuantlabHost(label, {
        provider,
        plan,
        stack,
        keep: parsed.generations.keep,
        after: previousWave,
        ...(fleet && parsed.hosts.length === 1 ? { formerly: SINGLE_HOST_LABEL } : {}),
        ...(code ? { code: { root: rt.backendRoot, user: rt.user, files: code } } : {}),
        ...(config.code.git ? { git: { root: rt.backendRoot, user: rt.user, ...config.code.git } } : {}),
      });
      thisWave.push({ name, host, provider });
      hosts.push({ name, label, plan, host });
    }
    // The next wave starts after this one's barrier: it waits for each host's outcome (recorded, or failed and
    // rolled back: a host of a fleet fails softly, so the wave's other hosts run on) and stops the rollout when
    // more hosts failed than quantlab:rollout.maxFailedHosts.
    previousWave =
      parsed.hosts.length === 1 || i === parsed.rollout.waves.length - 1
        ? thisWave.map((h) => h.host.generation)
        : [
            new HostWave(
              `wave-${i + 1}`,
              {
                host: `wave ${i + 1}`,
                outcomes: pulumi
                  .all(
                    thisWave.map((h) =>
                      pulumi
                        .all([h.host.generation.ok, h.host.generation.failure])
                        .apply(([ok, failure]) => [h.name, { ok, ...(failure ? { failure } : {}) }] as const),
                    ),
                  )
                  .apply((pairs) => Object.fromEntries(pairs)),
                maxFailedHosts: tolerated,
              },
              { provider: thisWave[0]!.provider, dependsOn: thisWave.map((h) => h.host.generation) },
            ),
          ];
  }
  const plan = hosts[0]!.plan;

  return {
    units: Object.fromEntries(plan.units.map((u) => [u.service, u.unit])),
    healthUrls: Object.fromEntries(
      plan.units.flatMap((u) => (u.health ? [[u.service, { url: u.health.url, bearerToken: u.health.token !== undefined }]] : [])),
    ),
    buckets: { compact: buckets.compactBucket, archive: buckets.archiveBucket, endpoint: buckets.endpoint },
    startupLevels: plan.levels,
    hosts,
  };
}
