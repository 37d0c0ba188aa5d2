import { describe, expect, it } from "vitest";
import { CATALOG, SERVICE_NAMES } from "../../model/catalog";
import { awsS3Endpoint, resolveS3 } from "../../model/model";

describe("the catalog's call graph", () => {
  it("is the runbook's: who calls whose API", () => {
    expect(Object.fromEntries(SERVICE_NAMES.map((n) => [n, CATALOG[n].calls]))).toEqual({
      replayd: [],
      collector: [],
      featurexd: ["replayd"],
      labeld: ["featurexd"],
      strategyd: ["replayd"],
      backtestd: ["replayd", "strategyd"],
      "job-worker": [],
      observer: [],
      "observer-api": [],
      "console-ui": ["featurexd", "labeld", "strategyd", "backtestd"],
    });
  });

  it("every callee is a startup dependency of its caller, and has an API (a port)", () => {
    const problems = SERVICE_NAMES.flatMap((n) =>
      CATALOG[n].calls.flatMap((c) => [
        ...(CATALOG[n].after.includes(c) ? [] : [`${n} calls ${c} but does not start after it`]),
        ...(CATALOG[c].port === undefined ? [`${n} calls ${c}, which listens on no port`] : []),
      ]),
    );
    expect(problems).toEqual([]);
  });
});

describe("the S3 endpoint, resolved in the model", () => {
  const common = { compactBucket: "fx-c", archiveBucket: "fx-a", archiveEnabled: false };

  it("create without an endpoint: the regional AWS endpoint", () => {
    expect(awsS3Endpoint("sa-east-1")).toBe("https://s3.sa-east-1.amazonaws.com");
    expect(resolveS3({ mode: "create", region: "sa-east-1", ...common }).endpoint).toBe("https://s3.sa-east-1.amazonaws.com");
  });

  it("create or adopt with an endpoint: that endpoint, the rest unchanged", () => {
    expect(resolveS3({ mode: "create", region: "sa-east-1", endpoint: "https://s3.fx.test", archiveRetentionDays: 9, ...common })).toEqual({
      mode: "create",
      region: "sa-east-1",
      endpoint: "https://s3.fx.test",
      archiveRetentionDays: 9,
      ...common,
    });
    expect(resolveS3({ mode: "adopt", endpoint: "http://minio.fx.test:9000", region: "us-east-1", ...common })).toEqual({
      mode: "adopt",
      endpoint: "http://minio.fx.test:9000",
      region: "us-east-1",
      ...common,
    });
  });
});
