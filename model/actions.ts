/** What the host does around a file it is given: closed sets, no shell text (the host provider maps each to its commands). */

/** What the host must do after the file is written or removed. */
export type ReloadAction = "none" | "daemon-reload" | "sysusers" | "tmpfiles";

/** How the host checks the staged file before it replaces the live one. */
export type VerifyMode = "none" | "systemd-unit";
