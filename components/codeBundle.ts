/**
 * CodeBundle: ships a set of files (a local directory read by index.ts) into
 * the backend root, written by the runtime user. Used by the sandbox stack to
 * place the stand-in backend "the way the real code would be placed";
 * production code is released out of band (a later issue: releases by git ref).
 * Files travel as JSON in stdin; each is written to a temp name and renamed.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { contentHash, type Connection } from "./hostFile";

export interface BundleFile {
  /** Path relative to the backend root. */
  readonly path: string;
  readonly content: Buffer;
  /** Octal mode. */
  readonly mode: string;
}

export interface CodeBundleArgs {
  readonly connection: Connection;
  /** Absolute backend root on the host. */
  readonly root: string;
  /** The user (and group) that owns the code. */
  readonly user: string;
  readonly files: readonly BundleFile[];
}

// Runs as the runtime user; no single quote inside, so it sits in '...'.
const EXTRACT =
  'const fs=require("fs"),path=require("path");const root=process.argv[1];' +
  'for(const f of JSON.parse(fs.readFileSync(0,"utf8"))){const p=path.join(root,f.path);' +
  'fs.mkdirSync(path.dirname(p),{recursive:true});const t=p+".quantlab-tmp";' +
  'fs.writeFileSync(t,Buffer.from(f.content,"base64"),{mode:parseInt(f.mode,8)});fs.chmodSync(t,parseInt(f.mode,8));fs.renameSync(t,p);}';

export function bundlePayload(files: readonly BundleFile[]): string {
  return JSON.stringify(files.map((f) => ({ path: f.path, mode: f.mode, content: f.content.toString("base64") })));
}

export class CodeBundle extends pulumi.ComponentResource {
  /** Hash of every file, for the services' restart triggers. */
  readonly hash: string;

  constructor(name: string, args: CodeBundleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("quantlab:host:CodeBundle", name, {}, opts);
    for (const f of args.files) {
      if (f.path.startsWith("/") || f.path.split("/").includes("..") || !/^[A-Za-z0-9_@+=:,./-]+$/.test(f.path)) {
        throw new Error(`code bundle file ${JSON.stringify(f.path)} is not a plain relative path`);
      }
    }
    const payload = bundlePayload(args.files);
    this.hash = contentHash(payload);
    new command.remote.Command(
      `${name}-extract`,
      {
        connection: args.connection,
        create: `set -eu\nrunuser -u ${args.user} -- /usr/bin/node -e '${EXTRACT}' ${args.root}`,
        delete: `set -eu\ncd ${args.root}\nrm -f -- ${args.files.map((f) => f.path).join(" ")}`,
        stdin: payload,
        triggers: [args.root],
        logging: "stderr",
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ hash: this.hash });
  }
}
