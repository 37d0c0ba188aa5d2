/**
 * HostWave: the barrier after a wave of a fleet that tolerates failed hosts
 * (quantlab:rollout.maxFailedHosts > 0). It starts once every host of its
 * wave has its generation (recorded, or reported failed after the host went
 * back), and fails, naming the hosts and what failed, when more hosts failed
 * than the rollout tolerates; the next wave's hosts start after it. It
 * touches no host (it is served by its wave's first host's provider).
 */
import { providerOf, type Kind } from "./kind";

export interface HostWaveInputs {
  /** "wave <n>" */
  readonly host: string;
  /** host -> its outcome in this run. */
  readonly outcomes: Readonly<Record<string, { readonly ok: boolean; readonly failure?: string }>>;
  readonly maxFailedHosts: number;
}

/** Why the rollout stops after this wave, or undefined. */
export function waveProblem(p: HostWaveInputs): string | undefined {
  const failed = Object.entries(p.outcomes).filter(([, o]) => !o.ok);
  if (failed.length <= p.maxFailedHosts) return undefined;
  return [
    `rollout stopped after ${p.host}: ${failed.length} host${failed.length === 1 ? "" : "s"} failed, more than quantlab:rollout.maxFailedHosts (${p.maxFailedHosts}); later waves were not touched`,
    ...failed.map(([h, o]) => `host ${h}: ${o.failure ?? "failed"}`),
  ].join("\n");
}

export const waveKind: Kind<HostWaveInputs> = {
  name: "wave",
  label: (p) => `HostWave ${p.host}`,
  async apply(_c, p) {
    const problem = waveProblem(p);
    if (problem) throw new Error(problem);
    return p;
  },
  async observe(_c, stored) {
    return { inputs: stored, outputs: stored };
  },
  async remove() {},
};

export const wave = providerOf(waveKind);
