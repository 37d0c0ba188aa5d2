/**
 * Directories and log files, declared once as systemd-tmpfiles rules
 * (/etc/tmpfiles.d/quantlab.conf). `pulumi destroy` removes the rules file,
 * never the directories or their data.
 */
import { MANAGED_HEADER } from "../model/values";

export interface TmpfilesEntry {
  readonly type: "d" | "f";
  readonly path: string;
  /** Octal, or "-": systemd's default when created, and an existing directory is left as it is. */
  readonly mode: string;
  /** A name, or "-" (root when created, never adjusted). */
  readonly user: string;
  readonly group: string;
  readonly purpose: string;
}

export function renderTmpfiles(entries: readonly TmpfilesEntry[]): string {
  const lines = entries.flatMap((e) => {
    if (!/^0[0-7]{3}$/.test(e.mode) && e.mode !== "-") throw new Error(`tmpfiles ${e.path}: mode ${e.mode} is not an octal 0NNN mode or -`);
    if (/\s/.test(e.path)) throw new Error(`tmpfiles path ${JSON.stringify(e.path)} contains whitespace`);
    return [`# ${e.purpose}`, `${e.type} ${e.path} ${e.mode} ${e.user} ${e.group} -`];
  });
  return [MANAGED_HEADER, ...lines, ""].join("\n");
}
