/** The one redaction (host/redact.ts): every secret out of text that comes back from a host. */
import { describe, expect, it } from "vitest";
import { redact } from "../../host/redact";

describe("redact", () => {
  it("replaces every occurrence of every secret", () => {
    expect(
      redact("a tok-1234567890abcdef b tok-1234567890abcdef c tok-zyxwvu9876543210", ["tok-1234567890abcdef", "tok-zyxwvu9876543210"]),
    ).toBe("a [redacted] b [redacted] c [redacted]");
    expect(redact("nothing here", [])).toBe("nothing here");
  });

  it("reads a secret literally (no pattern characters)", () => {
    expect(redact("x a.b*c+d?e$ y a1b2c3d4e5 z", ["a.b*c+d?e$"])).toBe("x [redacted] y a1b2c3d4e5 z");
  });

  it("leaves values too short to be secrets (under 8 characters) and empty ones alone", () => {
    expect(redact("root ran 1234567 and qlrun", ["", "root", "1234567"])).toBe("root ran 1234567 and qlrun");
    expect(redact("key 12345678", ["12345678"])).toBe("key [redacted]");
  });

  it("a secret that holds another is redacted whole, whatever order they come in", () => {
    const short = "tok-abc-12345678";
    const long = `${short}-rotated-9f`;
    expect(redact(`old ${short} new ${long}`, [short, long])).toBe("old [redacted] new [redacted]");
    expect(redact(`old ${short} new ${long}`, [long, short])).toBe("old [redacted] new [redacted]");
  });
});
