/**
 * QuantlabService: the one way this package runs a service. Writes its unit
 * and env file, then enables and (re)starts it. The (re)start runs when, and
 * only when, the fingerprint of what the service reads changes: the unit, its
 * env file, and any other inputs (dotenv, code). `dependsOn` orders the
 * starts; it never re-runs anything.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostFile, type Connection, type HostFileArgs } from "./hostFile";

/** A file to write, without the connection. */
export type HostFileSpec = Omit<HostFileArgs, "connection">;

export interface QuantlabServiceArgs {
  readonly connection: Connection;
  /** systemd unit name, e.g. `quantlab-replayd.service`. */
  readonly unit: string;
  /** The unit file (hostfiles/plan.ts unitFile). */
  readonly unitFile: HostFileSpec;
  /** Its env file; content secret (holds tokens). */
  readonly envFile: HostFileSpec;
  /** Hashes of the other things it reads, by name (e.g. `{ dotenv, code }`). @default {} */
  readonly inputs?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Services that must be active before this one (re)starts. @default [] */
  readonly after?: readonly QuantlabService[];
  /** Anything else that must exist first (users, directories, code). @default [] */
  readonly requires?: readonly pulumi.Resource[];
}

export function activateScript(unit: string, fingerprint: string): string {
  return [
    `# restart when these change: ${fingerprint}`,
    "set -eu",
    "systemctl daemon-reload",
    `systemctl enable --quiet ${unit}`,
    `systemctl restart ${unit} || { systemctl status --no-pager --lines=30 ${unit} >&2; exit 1; }`,
  ].join("\n");
}

export function deactivateScript(unit: string): string {
  return ["set -eu", `if systemctl cat ${unit} >/dev/null 2>&1; then systemctl disable --now --quiet ${unit}; fi`].join("\n");
}

export class QuantlabService extends pulumi.ComponentResource {
  readonly unit: string;
  readonly activation: command.remote.Command;

  constructor(name: string, args: QuantlabServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:host:Service", name, {}, opts);
    this.unit = args.unit;
    const requires = [...(args.requires ?? [])];
    const unitFile = new HostFile(`${name}-unit`, { connection: args.connection, ...args.unitFile }, { parent: this, dependsOn: requires });
    const envFile = new HostFile(`${name}-env`, { connection: args.connection, ...args.envFile }, { parent: this, dependsOn: requires });
    const hashes: Record<string, pulumi.Input<string>> = { unit: unitFile.hash, env: envFile.hash, ...args.inputs };
    const fingerprint = pulumi
      .all(Object.entries(hashes).map(([k, v]) => pulumi.output(v).apply((h) => `${k}=${h}`)))
      .apply((parts) => parts.join(" "));
    this.activation = new command.remote.Command(
      `${name}-activate`,
      {
        connection: args.connection,
        create: fingerprint.apply((f) => activateScript(args.unit, f)),
        delete: deactivateScript(args.unit),
        logging: "stderr",
      },
      {
        parent: this,
        deleteBeforeReplace: true,
        dependsOn: [unitFile, envFile, ...requires, ...(args.after ?? []).map((s) => s.activation)],
      },
    );
    this.registerOutputs({ unit: this.unit });
  }
}
