/**
 * The values a host script may carry, each checked where it is made and
 * quoted where it is placed (host/script.ts). One rule per kind of value,
 * defined once; a value that fails its rule throws, naming what it was.
 */
import { COMMIT, gitRefProblem, gitRemoteProblem } from "../model/git";
import { ROOT_TREES } from "../model/paths";
import { SAFE_WORD } from "../model/values";

export type ValueKind =
  | "path"
  | "inspect"
  | "relpath"
  | "unit"
  | "user"
  | "mode"
  | "sha256"
  | "int"
  | "word"
  | "url"
  | "git-remote"
  | "git-ref"
  | "since"
  | "package";

export class Value {
  private constructor(
    readonly kind: ValueKind,
    /** The checked text. */
    readonly raw: string,
    /** For paths: inside the trees root owns, or anywhere else (possibly the runtime user's). */
    readonly tree?: "root" | "runtime",
  ) {}

  /** The value as the shell must see it: single-quoted (a checked value holds no quote); an integer bare, so arithmetic reads it. */
  get shell(): string {
    return this.kind === "int" ? this.raw : `'${this.raw}'`;
  }

  /** @internal for the constructors below */
  static make(kind: ValueKind, raw: string, tree?: "root" | "runtime"): Value {
    return new Value(kind, raw, tree);
  }

  toString(): string {
    throw new TypeError(`a checked ${this.kind} is not text: interpolate it into a host script template`);
  }
}

export class InvalidValue extends Error {
  override readonly name = "InvalidValue";
}

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new InvalidValue(`host script: invalid ${what} ${JSON.stringify(value)}`);
}

const SAFE = /^[A-Za-z0-9_@+=:,./-]+$/;
const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const UNIT = /^[A-Za-z0-9_.@:-]+\.(service|timer|socket|target)$/;
const MODE = /^0[0-7]{3}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const PROBE_URL = /^http:\/\/127\.0\.0\.1:\d{1,5}\/[A-Za-z0-9_/.-]*$/;
const HTTP_URL = /^https?:\/\/[A-Za-z0-9._~:@/+-]+$/;
const SINCE = /^[A-Za-z0-9 :+._-]{1,40}$/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

const isAbsolute = (p: string): boolean =>
  p.startsWith("/") && SAFE.test(p) && !p.split("/").includes("..") && (p === "/" || !p.endsWith("/")) && p.length <= 1024;

/** True when `p` is one of the trees root owns, or inside one. */
export const inRootTree = (p: string): boolean => ROOT_TREES.some((t) => p === t || p.startsWith(`${t}/`));

/** An absolute path; classified by where it lies (see host/script.ts for what root may do with it). */
export function path(p: string): Value {
  check(typeof p === "string" && isAbsolute(p), "path", p);
  return Value.make("path", p, inRootTree(p) ? "root" : "runtime");
}

/** A path root may look at without following it (lstat, test -e): a runtime directory's own entry, never below it. */
export function inspect(p: string): Value {
  check(typeof p === "string" && isAbsolute(p), "path", p);
  return Value.make("inspect", p);
}

/** A path relative to a root directory (no leading /, no ..). */
export function relPath(p: string): Value {
  check(typeof p === "string" && !p.startsWith("/") && SAFE.test(p) && !p.split("/").includes(".."), "relative path", p);
  return Value.make("relpath", p);
}

export function unit(u: string): Value {
  check(typeof u === "string" && UNIT.test(u), "unit name", u);
  return Value.make("unit", u);
}

/** A POSIX user or group name. */
export function user(n: string): Value {
  check(typeof n === "string" && NAME.test(n), "user or group name", n);
  return Value.make("user", n);
}

export function mode(m: string): Value {
  check(typeof m === "string" && MODE.test(m), "mode", m);
  return Value.make("mode", m);
}

export function sha256(h: string): Value {
  check(typeof h === "string" && SHA256.test(h), "sha256", h);
  return Value.make("sha256", h);
}

export function int(n: number, min: number, max: number): Value {
  check(Number.isInteger(n) && n >= min && n <= max, `integer ${min}-${max}`, n);
  return Value.make("int", String(n));
}

/** A plain word (argv word, job argument): the characters systemd, cron and a shell all read literally. */
export function word(w: string): Value {
  check(typeof w === "string" && SAFE_WORD.test(w) && w.length <= 1024, "word", w);
  return Value.make("word", w);
}

/** A health endpoint on the host's loopback. */
export function probeUrl(u: string): Value {
  check(typeof u === "string" && PROBE_URL.test(u), "health URL", u);
  return Value.make("url", u);
}

/** An http(s) URL of plain characters (an S3 endpoint). */
export function httpUrl(u: string): Value {
  check(typeof u === "string" && HTTP_URL.test(u) && u.length <= 400, "URL", u);
  return Value.make("url", u);
}

export function gitRemote(r: string): Value {
  check(typeof r === "string" && gitRemoteProblem(r) === undefined, "git remote", r);
  return Value.make("git-remote", r);
}

/** A branch, tag or full commit id. */
export function gitRef(r: string): Value {
  check(typeof r === "string" && (COMMIT.test(r) || gitRefProblem(r) === undefined), "git ref", r);
  return Value.make("git-ref", r);
}

/** A journalctl time (`today`, `-1h`, `2026-01-15 10:00`). */
export function since(s: string): Value {
  check(typeof s === "string" && SINCE.test(s), "--since time", s);
  return Value.make("since", s);
}

/** A Debian package name, or a command name. */
export function pkg(name: string): Value {
  check(typeof name === "string" && PACKAGE.test(name), "package or command name", name);
  return Value.make("package", name);
}
