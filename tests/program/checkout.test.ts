/**
 * The prod stack with its code from git, under mocks: one HostCheckout of the
 * ref into the backend root as the runtime user, no bundle, and every
 * service fingerprinted by the trees of its own code directories (so a
 * commit restarts only the services whose directories it changed).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { recordRegistrations, settled, type Registration } from "./engine";
import { prodConfigWithSecrets } from "../fixtures/stack";

let regs: Registration[];
const CHECKOUT = "pulumi-nodejs:dynamic/quantlab:HostCheckout";
const SERVICE = "pulumi-nodejs:dynamic/quantlab:HostService";

beforeAll(async () => {
  regs = await recordRegistrations();
  const { runProgram } = await import("../../program");
  runProgram({
    ...prodConfigWithSecrets(),
    "quantlab:code": JSON.stringify({ git: { remote: "git@git.example.com:quantlab/backend.git", ref: "v2026.01" } }),
  });
  await settled(regs);
}, 120_000);

describe("code from git", () => {
  it("registers one checkout of the ref, as the runtime user, into the backend root, reporting each code directory", () => {
    const checkouts = regs.filter((r) => r.type === CHECKOUT);
    const own = (inputs: Record<string, unknown>) => Object.fromEntries(Object.entries(inputs).filter(([k]) => !k.startsWith("__")));
    expect(checkouts.map((r) => [r.name, own(r.inputs)])).toEqual([
      [
        "quantlab:checkout",
        {
          host: "quantlab",
          root: "/home/deploy/quantlab-backend",
          user: "deploy",
          remote: "git@git.example.com:quantlab/backend.git",
          ref: "v2026.01",
          paths: [
            "collector",
            "console-ui",
            "core",
            "core/observer-api",
            "services/backtestd",
            "services/featurexd",
            "services/labeld",
            "services/replayd",
            "services/strategyd",
          ],
          current: true,
        },
      ],
    ]);
    expect(regs.filter((r) => r.type === "pulumi-nodejs:dynamic/quantlab:HostBundle")).toEqual([]);
  });

  it("each service depends on the checkout and takes the trees of its own code directories as its fingerprint", () => {
    const checkout = regs.find((r) => r.type === CHECKOUT)!;
    const services = regs.filter((r) => r.type === SERVICE);
    expect(services.every((s) => s.dependencies.includes(checkout.urn))).toBe(true);
    expect(Object.fromEntries(services.map((s) => [s.inputs.unit, Object.keys(s.inputs.extra as object)]))).toEqual({
      "quantlab-replayd.service": ["code:services/replayd"],
      "quantlab-collector.service": ["code:collector"],
      "quantlab-featurexd.service": ["code:services/featurexd"],
      "quantlab-strategyd.service": ["code:services/strategyd"],
      "quantlab-labeld.service": ["code:services/labeld"],
      "quantlab-backtestd.service": ["code:services/backtestd"],
      "quantlab-worker.service": ["code:core"],
      "quantlab-observer-core.service": ["code:core"],
      "quantlab-observer.service": ["code:core/observer-api"],
      "quantlab-console-ui.service": ["code:console-ui"],
    });
    // Every file but sysusers and tmpfiles waits for the code.
    const files = regs.filter((r) => r.type === "pulumi-nodejs:dynamic/quantlab:HostFile" && !/sysusers|tmpfiles/.test(r.name));
    expect(files.every((f) => f.dependencies.includes(checkout.urn))).toBe(true);
  });
});
