/**
 * The provider's configure() (provider/context.ts): the SDK calls it once per kind a process serves, with the same
 * inputs; the host is parsed and planned once and every kind shares one context (one session, one daemon-reload).
 * Different inputs make a new one. Nothing here connects: a session opens its connection on its first script.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../config/parse";
import { hostConfig, secretConfig, stableJson } from "../../config/hostconfig";
import { configure, context } from "../../provider/context";
import { distinctConfig, prodConfigWithSecrets } from "../fixtures/stack";

function inputs(all: Record<string, string>, stack = "quantlab-infra/test") {
  const parsed = parseStackConfig(all);
  return { config: stableJson(hostConfig(parsed, parsed.hosts[0]!)), secrets: stableJson(secretConfig(all)), stack };
}

describe("configure", () => {
  it("keeps the context it made for the same inputs, and makes a new one when any input differs", () => {
    configure(inputs(distinctConfig()), "/srv/project");
    const first = context();
    expect(first.label).toBe("10.9.8.7");
    configure(inputs(distinctConfig()), "/srv/project");
    expect(context()).toBe(first);
    expect(context().session).toBe(first.session);

    configure(inputs(distinctConfig(), "quantlab-infra/other"), "/srv/project");
    const other = context();
    expect(other).not.toBe(first);
    expect(other.stack).toBe("quantlab-infra/other");

    configure(inputs(distinctConfig(), "quantlab-infra/other"), "/srv/elsewhere");
    expect(context()).not.toBe(other);
    expect(context().projectDir).toBe("/srv/elsewhere");

    const rotated = {
      ...distinctConfig(),
      "quantlab:tokens": JSON.stringify({ ...JSON.parse(distinctConfig()["quantlab:tokens"]!), replayd: "r".repeat(40) }),
    };
    const before = context();
    configure(inputs(rotated, "quantlab-infra/other"), "/srv/elsewhere");
    expect(context()).not.toBe(before);
    expect(context().token("replayd")).toBe("r".repeat(40));

    configure(inputs(prodConfigWithSecrets()), "/srv/project");
    expect(context().label).not.toBe("10.9.8.7");
  });
});
