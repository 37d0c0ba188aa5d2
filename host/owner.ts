/**
 * The host's owner record: which stack manages this host
 * (`/var/lib/quantlab/owner` holding `<project>/<stack>`), so a second stack
 * pointed at the same host is refused before it changes anything.
 */
import { OWNER_DIR } from "../model/paths";
import { lines, root, ROOT_WHO, type Script } from "./script";
import { path, word } from "./values";

export const OWNER_FILE = `${OWNER_DIR}/owner`;
const OWNER = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function owner(o: string) {
  if (!OWNER.test(o)) throw new Error(`host owner: invalid owner ${JSON.stringify(o)} (expected <project>/<stack>)`);
  return word(o);
}

const dir = path(OWNER_DIR);
const file = path(OWNER_FILE);
const lock = path(`${OWNER_DIR}/owner.lock`);
const next = path(`${OWNER_FILE}.quantlab-new`);

/**
 * Claims the host for `me` under a lock: prints `claimed <previous|none>`, or
 * `owned-by <other>` (exit 3) when another stack holds it and `takeOver` is
 * false. The record is written atomically (temp file, rename).
 */
export function claimScript(me: string, takeOver: boolean): Script {
  const o = owner(me);
  return lines(ROOT_WHO, [
    root`set -eu`,
    root`install -d -m 0755 -o root -g root ${dir}`,
    root`exec 9>${lock}`,
    root`flock -w 30 9`,
    root`cur=$(cat ${file} 2>/dev/null || true)`,
    takeOver ? root`:` : root`if [ -n "$cur" ] && [ "$cur" != ${o} ]; then echo "owned-by $cur"; exit 3; fi`,
    root`if [ "$cur" != ${o} ]; then printf '%s\n' ${o} > ${next} && mv -f ${next} ${file}; fi`,
    root`echo "claimed \${cur:-none}"`,
  ]);
}

/** Removes the record when `me` holds it; prints `released` or `kept <other|none>`. */
export function releaseScript(me: string): Script {
  const o = owner(me);
  return lines(ROOT_WHO, [
    root`set -eu`,
    root`[ -d ${dir} ] || { echo "kept none"; exit 0; }`,
    root`exec 9>${lock}`,
    root`flock -w 30 9`,
    root`cur=$(cat ${file} 2>/dev/null || true)`,
    root`if [ "$cur" = ${o} ]; then rm -f ${file}; echo released; else echo "kept \${cur:-none}"; fi`,
  ]);
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
export function ownerStateScript(): Script {
  return root`cat ${file} 2>/dev/null || echo none`;
}

/** The refusal, naming the owner and the way to take the host over. */
export function ownedText(host: string, current: string, me: string, command: string): string {
  const stack = me.slice(me.indexOf("/") + 1);
  return (
    `host ${host} is managed by stack ${current} (${OWNER_FILE}); refusing to ${command} ${me} there.\n` +
    `If ${me} is meant to take the host over (the other stack will no longer manage it): npx quantlab ${command} --stack ${stack} --take-over`
  );
}
