import { describe, expect, it } from "vitest";
import { renderDotenv, renderEnvFile } from "../../envfiles/render";

describe("env file rendering", () => {
  it("writes every value single-quoted under a header naming the unit", () => {
    expect(
      renderEnvFile("quantlab-fx.service", [
        ["FX_PORT", "4123"],
        ["FX_PATH", "/tmp/a b/{ts}$HOME\\x"],
      ]),
    ).toBe(
      `# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
# Read by systemd for quantlab-fx.service (EnvironmentFile=).
FX_PORT='4123'
FX_PATH='/tmp/a b/{ts}$HOME\\x'
`,
    );
  });

  it("writes the dotenv file with its readers", () => {
    expect(renderDotenv(["job-worker", "observer-api"], [["A", "1"]])).toBe(
      `# Managed by quantlab-infra (Pulumi): local edits are overwritten by the next \`pulumi up\`.
# dotenv file read by: job-worker, observer-api.
A='1'
`,
    );
  });

  it.each([
    ["'", "a single quote"],
    ["\n", "a newline"],
    ["\r", "a carriage return"],
    ["\0", "a NUL byte"],
  ])("rejects a value with %j without echoing it", (ch, what) => {
    expect(() => renderEnvFile("u", [["TOKEN", `secret${ch}value`]])).toThrow(
      `env variable TOKEN: value contains ${what}, which systemd and dotenv would read differently`,
    );
  });

  it("rejects bad and duplicate names", () => {
    expect(() => renderEnvFile("u", [["1X", "a"]])).toThrow('env variable name "1X" does not match ^[A-Za-z_][A-Za-z0-9_]*$');
    expect(() =>
      renderEnvFile("u", [
        ["X", "a"],
        ["X", "b"],
      ]),
    ).toThrow("env variable X is set twice");
  });
});
