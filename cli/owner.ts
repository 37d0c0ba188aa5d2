/**
 * One stack per host, before an engine run: destroy claims every host's owner
 * record over its session (host/owner.ts) first, so a stack never removes what
 * another stack put there, and releases it after. (up claims it inside the run:
 * the HostOwner resource, first of every host.)
 */
import { claimScript, OWNER_FILE, parseClaim, releaseScript } from "../host/owner";
import type { Target } from "./context";
import { PROJECT } from "./paths";

export const ownerOf = (stack: string): string => `${PROJECT}/${stack}`;

export class HostOwnedError extends Error {
  override readonly name = "HostOwnedError";
}

/** Claims the host for `stack`; returns the previous owner when it was taken over. */
export async function claimHost(t: Target, stack: string, command: string, takeOver: boolean): Promise<string | undefined> {
  const me = ownerOf(stack);
  const r = await t.session.run(claimScript(me, takeOver));
  if (r.code !== 0 && r.code !== 3) throw new Error(`host owner on ${t.label}: ${(r.stderr || r.stdout).trim()}`);
  const claim = parseClaim(r.code, r.stdout);
  if (!claim.claimed) {
    throw new HostOwnedError(
      `host ${t.label} is managed by stack ${claim.owner} (${OWNER_FILE}); refusing to ${command} ${me} there.\n` +
        `If ${me} is meant to take the host over (the other stack will no longer manage it): npx quantlab ${command} --stack ${stack} --take-over`,
    );
  }
  return claim.previous !== undefined && claim.previous !== me ? claim.previous : undefined;
}

export async function releaseHost(t: Target, stack: string): Promise<void> {
  await t.session.must("host owner", releaseScript(ownerOf(stack)));
}
