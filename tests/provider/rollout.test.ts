/**
 * What an operator reads when a rollout fails: the whole error text for
 * each outcome of the rollback, and the redaction of secrets in it.
 */
import { describe, expect, it } from "vitest";
import { failureText, redact, type RolloutFailure } from "../../provider/rollout";

const base: Omit<RolloutFailure, "rollback"> = {
  resource: "HostService quantlab-strategyd.service",
  address: "10.20.0.2",
  reason: "no 200 from http://127.0.0.1:3031/health within 10 s (unit active, last answer 500)",
  changed: ["/etc/systemd/system/quantlab-strategyd.service", "/etc/quantlab/strategyd.env"],
  journal: ["Nov 24 14:00:01 host npm[812]: health check failing", "Nov 24 14:00:02 host npm[812]: still failing"],
};

describe("failureText", () => {
  it("rolled back and healthy again", () => {
    expect(failureText({ ...base, rollback: { restored: ["/etc/systemd/system/quantlab-strategyd.service"], again: { passed: true, ms: 1340 } } })).toBe(
      [
        "HostService quantlab-strategyd.service on 10.20.0.2: failed its health gate: no 200 from http://127.0.0.1:3031/health within 10 s (unit active, last answer 500)",
        "changed: /etc/systemd/system/quantlab-strategyd.service, /etc/quantlab/strategyd.env",
        "rolled back: restored /etc/systemd/system/quantlab-strategyd.service; the last good version passed its health gate again (1.3 s)",
        "the next `up` tries this change again: fix the config (or the code) first",
        "last 2 journal lines:",
        "  Nov 24 14:00:01 host npm[812]: health check failing",
        "  Nov 24 14:00:02 host npm[812]: still failing",
      ].join("\n"),
    );
  });

  it("rolled back, but the last good version fails too (e.g. the code changed, or the host did)", () => {
    const text = failureText({ ...base, changed: ["code"], rollback: { restored: [], again: { passed: false, reason: "not active with the same process for 3 s within 30 s (unit failed)", journal: [] } } });
    expect(text.split("\n").slice(1, 3)).toEqual([
      "changed: code",
      "rolled back: no file differed from the last good version; but the last good version FAILED its health gate too: not active with the same process for 3 s within 30 s (unit failed)",
    ]);
  });

  it("nothing to roll back to (a first start), and a restart that changed nothing", () => {
    const text = failureText({ ...base, changed: [], rollback: { impossible: "no version of quantlab-strategyd.service has passed its health gate on this host yet: nothing to roll back to" } });
    expect(text.split("\n").slice(1, 4)).toEqual([
      "changed: nothing (restarted because it was down or unhealthy)",
      "not rolled back: no version of quantlab-strategyd.service has passed its health gate on this host yet: nothing to roll back to",
      "last 2 journal lines:",
    ]);
  });
});

describe("redact", () => {
  it("replaces every occurrence of every secret", () => {
    expect(redact("a tok-1234567890abcdef b tok-1234567890abcdef c tok-zyxwvu9876543210", ["tok-1234567890abcdef", "tok-zyxwvu9876543210"])).toBe("a [redacted] b [redacted] c [redacted]");
    expect(redact("nothing here", [])).toBe("nothing here");
  });
});
