/**
 * The check a unit file passes before it goes live, shared by the unit files
 * of a run. Each file is staged first (host/files.ts stageFileScript: a temp
 * file next to the live one, with its final owner and mode); then one script
 * copies every staged file of the batch, under its unit's own name, into a
 * private directory of root's, runs one `systemd-analyze verify` over all
 * of them (about 0.2-0.5 s whatever the count, against one per file before),
 * and only when systemd prints nothing renames each over its live unit.
 *
 * A batch is all or nothing: a complaint leaves every live unit as it was.
 * Then each file is checked again alone, exactly as it would be on its own
 * (the rest of the batch not loaded), so the complaint is pinned on the
 * file that has it and the files that pass alone go live; a file rejected
 * alone is removed and its resource fails with systemd's words.
 */
import { STATE_ROOT } from "../model/paths";
import { batched } from "./reload";
import { lines, root, ROOT_WHO, type Script } from "./script";
import { HostCommandError, type HostSession } from "./session";
import { int, path, unit } from "./values";

export interface StagedUnit {
  /** The staged file (stageFileScript's answer). */
  readonly staged: string;
  /** The live unit it replaces. */
  readonly target: string;
}

/** The exit status of a verify script whose units systemd complained about (nothing was renamed). */
export const REJECTED = 3;
const REJECTED_VALUE = int(REJECTED, 1, 255);

const baseOf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/**
 * Checks the staged files together and renames each over its live unit when
 * systemd prints nothing (it exits 0 on unknown keys and bad values, with a
 * warning). Otherwise exits REJECTED with systemd's complaint on stderr,
 * keeping the staged files only when the batch is not `final` (each is
 * checked again alone); on any other way out the staged files not renamed
 * are removed.
 */
export function verifyUnitsScript(units: readonly StagedUnit[], final: boolean): Script {
  if (units.length === 0) throw new RangeError("verifyUnitsScript: no units");
  const names = units.map((u) => unit(baseOf(u.target)));
  if (new Set(names.map((n) => n.raw)).size !== names.length) throw new RangeError("verifyUnitsScript: two staged files of one unit name");
  const staged = units.map((u) => path(u.staged));
  const targets = units.map((u) => path(u.target));
  const state = path(STATE_ROOT);
  const complaint = root`"$(printf '%s' "$out" | sed "s#$vdir/##g")"`;
  return lines(ROOT_WHO, [
    root`set -eu`,
    root`umask 077`,
    root`keep=""; vdir=""`,
    root`trap '[ -z "$vdir" ] || rm -rf -- "$vdir"; [ -n "$keep" ] || rm -f -- ${staged}' EXIT`,
    root`install -d -m 0700 ${state}`,
    root`vdir=$(mktemp -d ${state}/verify.XXXXXX)`,
    ...units.map(
      (_, i) => root`[ -f ${staged[i]!} ] && [ ! -L ${staged[i]!} ] || { echo "the staged file ${staged[i]!} is gone" >&2; exit 1; }`,
    ),
    ...units.map((_, i) => root`cp -- ${staged[i]!} "$vdir"/${names[i]!}`),
    root`if ! out=$(systemd-analyze verify --man=no ${names.map((n) => root`"$vdir"/${n}`)} 2>&1) || [ -n "$out" ]; then`,
    names.length === 1
      ? root`  printf 'systemd rejects %s (the live unit and the running service are unchanged):\n%s\n' ${names[0]!} ${complaint} >&2`
      : root`  printf 'systemd rejects these units together:\n%s\n' ${complaint} >&2`,
    final ? root`  exit ${REJECTED_VALUE}` : root`  keep=1; exit ${REJECTED_VALUE}`,
    root`fi`,
    ...units.map((_, i) => root`mv -f -- ${staged[i]!} ${targets[i]!}`),
  ]);
}

/**
 * The host's shared unit check (see the module comment): resolves once the
 * unit is live; rejects with systemd's words, `what` first, its live unit
 * unchanged and its staged file gone.
 */
export function unitVerifier(session: HostSession): (u: StagedUnit, what: string) => Promise<void> {
  const alone = async (a: Ask): Promise<void> => {
    await session.must(a.what, verifyUnitsScript([a.u], true));
  };
  const ask = batched<Ask, void>(async (items) => {
    const names = items.map((a) => baseOf(a.u.target));
    if (items.length === 1 || new Set(names).size !== names.length) return Promise.allSettled(items.map(alone));
    try {
      await session.must(
        "systemd-analyze verify",
        verifyUnitsScript(
          items.map((a) => a.u),
          false,
        ),
      );
      return items.map(() => ({ status: "fulfilled", value: undefined }));
    } catch (e) {
      if (e instanceof HostCommandError && e.result?.code === REJECTED) return Promise.allSettled(items.map(alone));
      return items.map((a) => ({ status: "rejected", reason: new Error(`${a.what}: ${(e as Error).message}`) }));
    }
  });
  return (u, what) => ask({ u, what });
}

interface Ask {
  readonly u: StagedUnit;
  readonly what: string;
}
