/** What the host does around a file it is given: closed sets, no shell text (the host provider maps each to its commands). */

/**
 * What the host must do after the file is written or removed. "python-module": a module Python imports
 * (root's AWS CLI plugin); removed, it takes its bytecode and the directory the package made for it along.
 */
export type ReloadAction = "none" | "daemon-reload" | "sysusers" | "tmpfiles" | "python-module";

/** How the host checks the staged file before it replaces the live one. */
export type VerifyMode = "none" | "systemd-unit";
