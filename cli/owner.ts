/**
 * One stack per host: every up and destroy claims the host's owner record
 * (provider/owner.ts) over SSH before the engine runs, and destroy releases
 * it. A stack that finds another owner is refused, naming it, unless the
 * operator takes the host over with --take-over.
 */
import { claimScript, OWNER_FILE, parseClaim, releaseScript } from "../provider/owner";
import type { SshConnection } from "../provider/ssh";
import { PROJECT } from "./engine";

export const ownerOf = (stack: string): string => `${PROJECT}/${stack}`;

export class HostOwnedError extends Error {
  override readonly name = "HostOwnedError";
}

/** Claims the host for `stack`; returns the previous owner when it was taken over. */
export async function claimHost(host: SshConnection, address: string, stack: string, command: string, takeOver: boolean): Promise<string | undefined> {
  const me = ownerOf(stack);
  const r = await host.exec(claimScript(me, takeOver));
  if (r.code !== 0 && r.code !== 3) throw new Error(`host owner on ${address}: ${(r.stderr || r.stdout).trim()}`);
  const claim = parseClaim(r.code, r.stdout);
  if (!claim.claimed) {
    throw new HostOwnedError(
      `host ${address} is managed by stack ${claim.owner} (${OWNER_FILE}); refusing to ${command} ${me} there.\n` +
        `If ${me} is meant to take the host over (the other stack will no longer manage it): npx quantlab ${command} --stack ${stack} --take-over`,
    );
  }
  return claim.previous !== undefined && claim.previous !== me ? claim.previous : undefined;
}

export async function releaseHost(host: SshConnection, stack: string): Promise<void> {
  const r = await host.exec(releaseScript(ownerOf(stack)));
  if (r.code !== 0) throw new Error(`host owner: ${(r.stderr || r.stdout).trim()}`);
}
