/**
 * HostFile: the one way this package writes a file on the host.
 * Content travels in stdin (stored secret when the input is secret), never in
 * the command string. The write is atomic: a temp file in the same directory
 * gets its owner and mode, then is renamed over the target, and a failed run
 * removes the temp file. The delete removes the file (safe under replacement:
 * a path change deletes the old path before writing the new one).
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

export type Connection = command.types.input.remote.ConnectionArgs;

export interface HostFileArgs {
  /** SSH connection to the host. */
  readonly connection: Connection;
  /** Absolute path on the host; its directory must exist. */
  readonly path: string;
  /** File content; pass a secret for files that hold tokens. */
  readonly content: pulumi.Input<string>;
  /** The content holds secrets: stored and shipped as a Pulumi secret. @default false */
  readonly secret?: boolean;
  /** Octal mode. @default "0644" */
  readonly mode?: string;
  /** @default "root" */
  readonly owner?: string;
  /** @default "root" */
  readonly group?: string;
  /** Shell command run after every write, e.g. `systemd-tmpfiles --create <path>`. @default none */
  readonly afterWrite?: string;
  /** Shell command run after the file is removed, e.g. `systemctl daemon-reload`. @default none */
  readonly afterDelete?: string;
  /**
   * Create the parent directory (root:root 0755) when missing, for drop-in
   * directories a minimal install lacks (/etc/sysusers.d). Otherwise a missing
   * directory is an error. @default false
   */
  readonly createParent?: boolean;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A short content hash: what a restart trigger compares. Not secret (sha-256 of the whole file). */
export const contentHash = (text: string): string => crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);

export function writeScript(args: Pick<HostFileArgs, "path" | "mode" | "owner" | "group" | "afterWrite" | "createParent">): string {
  const dir = args.path.slice(0, args.path.lastIndexOf("/")) || "/";
  const base = args.path.slice(args.path.lastIndexOf("/") + 1);
  return [
    "set -eu",
    "umask 077",
    args.createParent
      ? `[ -d ${quote(dir)} ] || install -d -m 0755 -o root -g root ${quote(dir)}`
      : `[ -d ${quote(dir)} ] || { echo "quantlab: directory ${dir} does not exist" >&2; exit 1; }`,
    `tmp=$(mktemp ${quote(`${dir}/.${base}.XXXXXX`)})`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    `cat > "$tmp"`,
    `chown ${quote(`${args.owner ?? "root"}:${args.group ?? "root"}`)} "$tmp"`,
    `chmod ${args.mode ?? "0644"} "$tmp"`,
    `mv -f -- "$tmp" ${quote(args.path)}`,
    "trap - EXIT",
    ...(args.afterWrite ? [args.afterWrite] : []),
  ].join("\n");
}

export function deleteScript(args: Pick<HostFileArgs, "path" | "afterDelete">): string {
  return ["set -eu", `rm -f -- ${quote(args.path)}`, ...(args.afterDelete ? [args.afterDelete] : [])].join("\n");
}

export class HostFile extends pulumi.ComponentResource {
  readonly path: string;
  /** Hash of the content, for the restart triggers of services that read this file. */
  readonly hash: pulumi.Output<string>;

  constructor(name: string, args: HostFileArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:host:File", name, {}, opts);
    this.path = args.path;
    const content = args.secret ? pulumi.secret(args.content) : pulumi.output(args.content);
    this.hash = pulumi.unsecret(content.apply(contentHash));
    new command.remote.Command(
      `${name}-write`,
      {
        connection: args.connection,
        create: writeScript(args),
        delete: deleteScript(args),
        stdin: content,
        // A new path is a new file: replace (delete the old one first) rather than update.
        triggers: [args.path],
        logging: "stderr",
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ path: this.path, hash: this.hash });
  }
}
