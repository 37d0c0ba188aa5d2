/**
 * The host's owner record (host/owner.ts): whole text, the answers, the
 * refusal text, and the scripts under a real bash with a scratch directory
 * bound over /var/lib (where the record lives).
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { claimScript, OWNER_FILE, ownedText, ownerStateScript, parseClaim, releaseScript } from "../../host/owner";
import { runOnHost, scratchDir } from "../fixtures/hostShell";

describe("script text", () => {
  it("claim: under a lock, refuses another owner, writes the record atomically", () => {
    expect(claimScript("quantlab-infra/prod", false).text).toBe(String.raw`set -eu
install -d -m 0755 -o root -g root '/var/lib/quantlab'
exec 9>'/var/lib/quantlab/owner.lock'
flock -w 30 9
cur=$(cat '/var/lib/quantlab/owner' 2>/dev/null || true)
if [ -n "$cur" ] && [ "$cur" != 'quantlab-infra/prod' ]; then echo "owned-by $cur"; exit 3; fi
if [ "$cur" != 'quantlab-infra/prod' ]; then printf '%s\n' 'quantlab-infra/prod' > '/var/lib/quantlab/owner.quantlab-new' && mv -f '/var/lib/quantlab/owner.quantlab-new' '/var/lib/quantlab/owner'; fi
echo "claimed ${"${"}cur:-none}"`);
  });

  it("claim with take-over never refuses", () => {
    expect(claimScript("quantlab-infra/sandbox", true).text.split("\n").slice(4, 7)).toEqual([
      "cur=$(cat '/var/lib/quantlab/owner' 2>/dev/null || true)",
      ":",
      "if [ \"$cur\" != 'quantlab-infra/sandbox' ]; then printf '%s\\n' 'quantlab-infra/sandbox' > '/var/lib/quantlab/owner.quantlab-new' && mv -f '/var/lib/quantlab/owner.quantlab-new' '/var/lib/quantlab/owner'; fi",
    ]);
  });

  it("release removes only its own record; the state is the record or none", () => {
    expect(releaseScript("quantlab-infra/prod").text).toBe(String.raw`set -eu
[ -d '/var/lib/quantlab' ] || { echo "kept none"; exit 0; }
exec 9>'/var/lib/quantlab/owner.lock'
flock -w 30 9
cur=$(cat '/var/lib/quantlab/owner' 2>/dev/null || true)
if [ "$cur" = 'quantlab-infra/prod' ]; then rm -f '/var/lib/quantlab/owner'; echo released; else echo "kept ${"${"}cur:-none}"; fi`);
    expect(ownerStateScript().text).toBe("cat '/var/lib/quantlab/owner' 2>/dev/null || echo none");
    expect(OWNER_FILE).toBe("/var/lib/quantlab/owner");
  });

  it("rejects an owner that is not <project>/<stack> of plain characters", () => {
    expect(() => claimScript("x; reboot", false)).toThrow('host owner: invalid owner "x; reboot" (expected <project>/<stack>)');
    expect(() => releaseScript("a/b/c")).toThrow('host owner: invalid owner "a/b/c" (expected <project>/<stack>)');
    expect(() => claimScript("prod", false)).toThrow('host owner: invalid owner "prod" (expected <project>/<stack>)');
  });
});

describe("answers", () => {
  it("parses a claim", () => {
    expect(parseClaim(0, "claimed none\n")).toEqual({ claimed: true });
    expect(parseClaim(0, "claimed quantlab-infra/a\n")).toEqual({ claimed: true, previous: "quantlab-infra/a" });
    expect(parseClaim(3, "owned-by quantlab-infra/a\n")).toEqual({ claimed: false, owner: "quantlab-infra/a" });
    expect(() => parseClaim(1, "flock: timeout")).toThrow('host owner: unexpected answer (exit 1) "flock: timeout"');
    expect(() => parseClaim(0, "owned-by quantlab-infra/a\n")).toThrow(
      'host owner: unexpected answer (exit 0) "owned-by quantlab-infra/a"',
    );
  });

  it("the refusal names the owner, the record and the way to take the host over", () => {
    expect(ownedText("research-a", "quantlab-infra/prod", "quantlab-infra/sandbox", "up")).toBe(
      "host research-a is managed by stack quantlab-infra/prod (/var/lib/quantlab/owner); refusing to up quantlab-infra/sandbox there.\n" +
        "If quantlab-infra/sandbox is meant to take the host over (the other stack will no longer manage it): npx quantlab up --stack sandbox --take-over",
    );
  });
});

describe("under a real shell", () => {
  const varLib = scratchDir("owner-lib");
  afterAll(varLib.cleanup);
  const run = (script: Parameters<typeof runOnHost>[0]) => runOnHost(script, { mounts: { "/var/lib": varLib.dir } });
  const record = path.join(varLib.dir, "quantlab", "owner");
  const answer = (r: ReturnType<typeof run>) => [r.status, r.stdout, r.stderr];

  it("claims a free host, keeps it for its owner, refuses another stack, hands it over on take-over, releases only its own", () => {
    expect(answer(run(releaseScript("quantlab-infra/prod")))).toEqual([0, "kept none\n", ""]);
    expect(answer(run(ownerStateScript()))).toEqual([0, "none\n", ""]);
    expect(answer(run(claimScript("quantlab-infra/prod", false)))).toEqual([0, "claimed none\n", ""]);
    expect(fs.readFileSync(record, "utf8")).toBe("quantlab-infra/prod\n");
    expect((fs.statSync(path.dirname(record)).mode & 0o777).toString(8)).toBe("755");
    expect(answer(run(claimScript("quantlab-infra/prod", false)))).toEqual([0, "claimed quantlab-infra/prod\n", ""]);
    const refused = run(claimScript("quantlab-infra/sandbox", false));
    expect(answer(refused)).toEqual([3, "owned-by quantlab-infra/prod\n", ""]);
    expect(parseClaim(refused.status!, refused.stdout)).toEqual({ claimed: false, owner: "quantlab-infra/prod" });
    expect(fs.readFileSync(record, "utf8")).toBe("quantlab-infra/prod\n");
    expect(answer(run(claimScript("quantlab-infra/sandbox", true)))).toEqual([0, "claimed quantlab-infra/prod\n", ""]);
    expect(answer(run(ownerStateScript()))).toEqual([0, "quantlab-infra/sandbox\n", ""]);
    expect(answer(run(releaseScript("quantlab-infra/prod")))).toEqual([0, "kept quantlab-infra/sandbox\n", ""]);
    expect(answer(run(releaseScript("quantlab-infra/sandbox")))).toEqual([0, "released\n", ""]);
    expect(fs.readdirSync(path.dirname(record)).sort()).toEqual(["owner.lock"]);
  });
});
