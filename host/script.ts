/**
 * The one way to build text that runs on a host. A Script is made by a tagged
 * template (`root` or `asUser(user)`) whose interpolations must be checked
 * values (host/values.ts) or other Scripts: a plain string cannot be
 * interpolated, so no unchecked text reaches a shell. Every value is
 * single-quoted where it is placed.
 *
 * Who runs a script is part of it. The privilege rule, held here for every
 * script: a root script may name only paths inside the trees root owns
 * (model/paths.ts ROOT_TREES); a path anywhere else may be in a tree the
 * runtime user can write, so it can appear only in a script that runs as that
 * user (which root embeds through `runuser`, never the other way round), or,
 * for a read-only look that follows no link, as `inspect(path)`.
 */
import { Value } from "./values";

export type Who = { readonly kind: "root" } | { readonly kind: "user"; readonly user: string };

const ROOT: Who = { kind: "root" };

export class Script {
  /** Use the `root` and `asUser` templates; the constructor is for this module. */
  constructor(
    readonly who: Who,
    readonly text: string,
  ) {}

  /**
   * What root runs: the text itself, or for a user script `runuser -u USER --
   * bash -c '<text>'` (started in /, not in root's home, which the user may
   * not enter).
   */
  get asRootCommand(): string {
    return this.who.kind === "root" ? this.text : `runuser -u ${quote(this.who.user)} -- env -C / bash -c ${quote(this.text)}`;
  }

  /** The command line of the whole script: `bash -c '<text>'` as root, or as the user (see asRootCommand). */
  get commandLine(): string {
    return this.who.kind === "root" ? `bash -c ${quote(this.text)}` : this.asRootCommand;
  }

  toString(): string {
    throw new TypeError("a Script is not text: interpolate it into a root or asUser template, or run it with a host session");
  }
}

/** Single-quotes a word for bash (a quote inside becomes '\''). */
export const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

type Part = Value | Script | readonly (Value | Script)[];

function render(who: Who, part: Part): string {
  if (Array.isArray(part)) return part.map((p) => render(who, p)).join(" ");
  if (part instanceof Script) {
    if (sameWho(part.who, who)) return part.text;
    if (who.kind === "root") return part.asRootCommand;
    throw new TypeError(`a script run as ${describe(who)} cannot embed one run as ${describe(part.who)}`);
  }
  if (part instanceof Value) {
    if (who.kind === "root" && part.kind === "path" && part.tree === "runtime") {
      throw new TypeError(
        `root script names ${part.raw}, which is outside the trees root owns: run that part as the runtime user (asUser) or look with inspect()`,
      );
    }
    return part.shell;
  }
  throw new TypeError(
    `unchecked value interpolated into a host script: ${JSON.stringify(String(part)).slice(0, 80)} (use a checked value from host/values.ts)`,
  );
}

const sameWho = (a: Who, b: Who): boolean => a.kind === b.kind && (a.kind === "root" || (b.kind === "user" && a.user === b.user));
const describe = (w: Who): string => (w.kind === "root" ? "root" : `user ${w.user}`);

/**
 * The template's text as bash reads it: the raw strings (a `\n` stays the
 * two characters printf and tr expect), with the two escapes a TypeScript
 * template needs undone: `\${` (a bash expansion) and `\``.
 */
const bashText = (raw: string): string => raw.replace(/\\\$\{/g, "${").replace(/\\`/g, "`");

function build(who: Who, strings: TemplateStringsArray, parts: readonly Part[]): Script {
  let text = bashText(strings.raw[0]!);
  parts.forEach((p, i) => (text += render(who, p) + bashText(strings.raw[i + 1]!)));
  return new Script(who, text);
}

/** A script root runs. */
export function root(strings: TemplateStringsArray, ...parts: Part[]): Script {
  return build(ROOT, strings, parts);
}

/** A script the given user runs (root starts it with runuser). */
export function asUser(user: Value) {
  if (user.kind !== "user") throw new TypeError("asUser needs a checked user name (values.user)");
  if (user.raw === "root") throw new TypeError("asUser(root): a root script is written with the root template");
  const who: Who = { kind: "user", user: user.raw };
  return (strings: TemplateStringsArray, ...parts: Part[]): Script => build(who, strings, parts);
}

/** Scripts of one identity, one per line. */
export function lines(who: Who, scripts: readonly Script[]): Script {
  return new Script(who, scripts.map((s) => render(who, s)).join("\n"));
}

/** The identity of root, for `lines`. */
export const ROOT_WHO = ROOT;
