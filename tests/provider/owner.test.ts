/** The host owner record's scripts, whole text, and their answers. */
import { describe, expect, it } from "vitest";
import { claimScript, parseClaim, releaseScript } from "../../provider/owner";

describe("host owner scripts", () => {
  it("claim: under a lock, refuses another owner, writes the record atomically", () => {
    expect(claimScript("quantlab-infra/prod", false)).toBe(
      [
        "set -eu",
        "install -d -m 0755 -o root -g root /var/lib/quantlab",
        "exec 9>/var/lib/quantlab/owner.lock",
        "flock -w 30 9",
        "cur=$(cat /var/lib/quantlab/owner 2>/dev/null || true)",
        'if [ -n "$cur" ] && [ "$cur" != quantlab-infra/prod ]; then echo "owned-by $cur"; exit 3; fi',
        "if [ \"$cur\" != quantlab-infra/prod ]; then printf '%s\\n' quantlab-infra/prod > /var/lib/quantlab/owner.quantlab-new && mv -f /var/lib/quantlab/owner.quantlab-new /var/lib/quantlab/owner; fi",
        'echo "claimed ${cur:-none}"',
      ].join("\n"),
    );
  });

  it("claim with take-over never refuses", () => {
    expect(claimScript("quantlab-infra/b", true).split("\n")[5]).toBe('if [ -n "$cur" ] && [ "$cur" != quantlab-infra/b ] && false; then echo "owned-by $cur"; exit 3; fi');
  });

  it("release removes only its own record", () => {
    expect(releaseScript("quantlab-infra/prod")).toBe(
      [
        "set -eu",
        '[ -d /var/lib/quantlab ] || { echo "kept none"; exit 0; }',
        "exec 9>/var/lib/quantlab/owner.lock",
        "flock -w 30 9",
        "cur=$(cat /var/lib/quantlab/owner 2>/dev/null || true)",
        'if [ "$cur" = quantlab-infra/prod ]; then rm -f /var/lib/quantlab/owner; echo released; else echo "kept ${cur:-none}"; fi',
      ].join("\n"),
    );
  });

  it("rejects an owner that is not <project>/<stack> of plain characters", () => {
    expect(() => claimScript("x; reboot", false)).toThrow('host owner: invalid owner "x; reboot" (expected <project>/<stack>)');
    expect(() => releaseScript("a/b/c")).toThrow('host owner: invalid owner "a/b/c" (expected <project>/<stack>)');
  });

  it("parses the answers", () => {
    expect(parseClaim(0, "claimed none\n")).toEqual({ claimed: true });
    expect(parseClaim(0, "claimed quantlab-infra/a\n")).toEqual({ claimed: true, previous: "quantlab-infra/a" });
    expect(parseClaim(3, "owned-by quantlab-infra/a\n")).toEqual({ claimed: false, owner: "quantlab-infra/a" });
    expect(() => parseClaim(1, "flock: timeout")).toThrow('host owner: unexpected answer (exit 1) "flock: timeout"');
  });
});
