/** What Pulumi stores as each host resource's provider (provider/stub.ts): a short module, the same for every resource of a kind. */
import { describe, expect, it } from "vitest";
import { PROVIDER_ENV, stubText } from "../../provider/stub";

describe("stubText", () => {
  it("loads the installed provider (QUANTLAB_PROVIDER, else dist/provider of the working directory) and asks it for the kind", () => {
    expect(PROVIDER_ENV).toBe("QUANTLAB_PROVIDER");
    expect(stubText("file")).toBe(
      'exports.handler=()=>require(process.env.QUANTLAB_PROVIDER||require("path").resolve("dist/provider/index.js")).stub("file")',
    );
    expect(stubText("service")).toBe(stubText("service"));
    expect(stubText("service")).not.toBe(stubText("file"));
  });
});
