/** The sandbox's stack file (cli/sandboxStack.ts) keeps a ref `deploy` set, while the base names the same remote. */
import { describe, expect, it } from "vitest";
import { keepDeployedRef } from "../../cli/sandboxStack";

describe("keepDeployedRef", () => {
  const base = { git: { remote: "/srv/r.git", ref: "main" } };
  it("keeps the deployed ref for the same remote, drops it for another, leaves a local tree alone", () => {
    expect(keepDeployedRef(base, { git: { remote: "/srv/r.git", ref: "release" } })).toEqual({
      git: { remote: "/srv/r.git", ref: "release" },
    });
    expect(keepDeployedRef(base, { git: { remote: "/srv/other.git", ref: "release" } })).toBe(base);
    expect(keepDeployedRef({ localDir: "tests/standin" }, { git: { remote: "/srv/r.git", ref: "x" } })).toEqual({
      localDir: "tests/standin",
    });
    expect(keepDeployedRef(base, undefined)).toBe(base);
    expect(keepDeployedRef(base, { git: { remote: "/srv/r.git" } })).toBe(base);
  });
});
