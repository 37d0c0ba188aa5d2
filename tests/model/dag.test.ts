import { describe, expect, it } from "vitest";
import { DagError, restrictEdges, startupLevels, validateDag } from "../../model/dag";
import { SERVICE_NAMES, catalogEdges } from "../../model/catalog";

describe("startup DAG", () => {
  it("puts the catalog's services in the runbook's four safe parallel groups", () => {
    expect(startupLevels(SERVICE_NAMES, catalogEdges())).toEqual([
      ["replayd", "collector"],
      ["featurexd", "strategyd"],
      ["labeld", "backtestd", "job-worker"],
      ["observer", "observer-api", "console-ui"],
    ]);
  });

  it("accepts the catalog's edges", () => {
    expect(() => validateDag(SERVICE_NAMES, catalogEdges())).not.toThrow();
  });

  it("rejects an unknown target, naming the node", () => {
    const err = (() => {
      try {
        validateDag(["a", "b"], { a: [], b: ["c"] });
      } catch (e) {
        return e as DagError;
      }
    })();
    expect(err).toBeInstanceOf(DagError);
    expect(err?.message).toBe('"b" starts after unknown service "c"; known services: a, b');
    expect(err?.node).toBe("b");
  });

  it("rejects a cycle with its path", () => {
    expect(() => validateDag(["a", "b", "c"], { a: ["c"], b: ["a"], c: ["b"] })).toThrow(
      new DagError("startup order has a cycle: a -> c -> b -> a", "a"),
    );
  });

  it("rejects a self edge", () => {
    expect(() => validateDag(["a"], { a: ["a"] })).toThrow('"a" cannot start after itself');
  });

  it("bridges a disabled service: its dependants start after its own dependencies", () => {
    expect(restrictEdges({ a: [], b: ["a"], c: ["b"], d: ["c", "a"] }, ["a", "c", "d"])).toEqual({
      a: [],
      c: ["a"],
      d: ["c", "a"],
    });
  });

  it("levels follow the longest path, not the number of edges", () => {
    expect(startupLevels(["x", "y", "z"], { x: [], y: ["x"], z: ["x", "y"] })).toEqual([["x"], ["y"], ["z"]]);
  });
});
