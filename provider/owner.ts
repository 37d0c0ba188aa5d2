/**
 * The host's owner record: which stack manages this host
 * (`/var/lib/quantlab/owner` holding `<project>/<stack>`), so a second stack
 * pointed at the same host is refused before its engine runs. Pure script
 * builders; the operator command runs them over the provider's SSH module.
 */

export const OWNER_DIR = "/var/lib/quantlab";
export const OWNER_FILE = `${OWNER_DIR}/owner`;
const OWNER = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function checkOwner(owner: string): string {
  if (!OWNER.test(owner)) throw new Error(`host owner: invalid owner ${JSON.stringify(owner)} (expected <project>/<stack>)`);
  return owner;
}

/**
 * Claims the host for `owner` under a lock: prints `claimed <previous|none>`,
 * or `owned-by <other>` (exit 3) when another stack holds it and `takeOver`
 * is false. The record is written atomically (temp file, rename).
 */
export function claimScript(owner: string, takeOver: boolean): string {
  checkOwner(owner);
  return [
    "set -eu",
    `install -d -m 0755 -o root -g root ${OWNER_DIR}`,
    `exec 9>${OWNER_DIR}/owner.lock`,
    "flock -w 30 9",
    `cur=$(cat ${OWNER_FILE} 2>/dev/null || true)`,
    `if [ -n "$cur" ] && [ "$cur" != ${owner} ]${takeOver ? " && false" : ""}; then echo "owned-by $cur"; exit 3; fi`,
    `if [ "$cur" != ${owner} ]; then printf '%s\\n' ${owner} > ${OWNER_FILE}.quantlab-new && mv -f ${OWNER_FILE}.quantlab-new ${OWNER_FILE}; fi`,
    `echo "claimed \${cur:-none}"`,
  ].join("\n");
}

/** Removes the record when `owner` holds it; prints `released` or `kept <other|none>`. */
export function releaseScript(owner: string): string {
  checkOwner(owner);
  return [
    "set -eu",
    `[ -d ${OWNER_DIR} ] || { echo "kept none"; exit 0; }`,
    `exec 9>${OWNER_DIR}/owner.lock`,
    "flock -w 30 9",
    `cur=$(cat ${OWNER_FILE} 2>/dev/null || true)`,
    `if [ "$cur" = ${owner} ]; then rm -f ${OWNER_FILE}; echo released; else echo "kept \${cur:-none}"; fi`,
  ].join("\n");
}

export type ClaimResult = { readonly claimed: true; readonly previous?: string } | { readonly claimed: false; readonly owner: string };

export function parseClaim(code: number, out: string): ClaimResult {
  const line = out.trim();
  const owned = /^owned-by (\S+)$/.exec(line);
  if (code === 3 && owned) return { claimed: false, owner: owned[1]! };
  const claimed = /^claimed (\S+)$/.exec(line);
  if (code === 0 && claimed) return claimed[1] === "none" ? { claimed: true } : { claimed: true, previous: claimed[1]! };
  throw new Error(`host owner: unexpected answer (exit ${code}) ${JSON.stringify(line.slice(0, 200))}`);
}

/** Prints the owner record, or `none`. */
export function ownerStateScript(): string {
  return `cat ${OWNER_FILE} 2>/dev/null || echo none`;
}

/** The refusal, naming the owner and the way to take the host over. */
export function ownedText(address: string, owner: string, me: string): string {
  const stack = me.slice(me.indexOf("/") + 1);
  return (
    `host ${address} is managed by stack ${owner} (${OWNER_FILE}); refusing to up ${me} there.\n` +
    `If ${me} is meant to take the host over (the other stack will no longer manage it): npx quantlab up --stack ${stack} --take-over`
  );
}
