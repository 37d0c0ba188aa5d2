/**
 * The config reference, walked off the zod schema itself (zod 4: each
 * schema's `_zod.def`): every key path, what it expects (the schema's own
 * error words and bounds), its default (the schema's default value, or the
 * field's TSDoc `@default` where the schema has none), and its description
 * (the field's TSDoc, found by tsdoc.ts). A TSDoc `@default` that names a
 * value other than the schema's default is an error: the two cannot drift.
 */
import { isDeepStrictEqual } from "util";
import type { DocLookup, FieldDoc } from "./tsdoc";

/** The parts of a zod 4 definition the walk reads. */
interface Def {
  readonly type: string;
  readonly innerType?: Zod;
  readonly defaultValue?: unknown;
  readonly shape?: Readonly<Record<string, Zod>>;
  readonly options?: readonly Zod[];
  readonly discriminator?: string;
  readonly element?: Zod;
  readonly in?: Zod;
  readonly values?: readonly unknown[];
  readonly error?: (issue: object) => unknown;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
}
interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly value?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}
/** A zod 4 schema, as far as the walk is concerned. */
export interface Zod {
  readonly _zod: { readonly def: Def };
}

export interface ConfigRow {
  /** `quantlab:host.port`; `[]` is an entry of a list, `<service>` any key of a map. */
  readonly key: string;
  /** What it expects, in the schema's words. */
  readonly type: string;
  /** Its default, as Markdown-ready text (a code span for a value). */
  readonly default: string;
  /** The TSDoc text. */
  readonly description: string;
}

export interface WalkOptions {
  /** The key prefix. @default "quantlab:" */
  readonly prefix?: string;
  /** How a map is named by its key set: `<service>` for the service names. @default `<name>` */
  readonly placeholders?: readonly { readonly keys: readonly string[]; readonly name: string }[];
}

const def = (s: Zod): Def => s._zod.def;

/** A schema without its optional/default/prefault wrappers, and what they said. */
function unwrap(s: Zod): { inner: Zod; optional: boolean; default?: { value: unknown } } {
  let inner = s;
  let optional = false;
  let dflt: { value: unknown } | undefined;
  for (;;) {
    const d = def(inner);
    if (d.type === "optional") optional = true;
    else if (d.type === "default" || d.type === "prefault") dflt ??= { value: d.defaultValue };
    else return { inner, optional, ...(dflt ? { default: dflt } : {}) };
    inner = d.innerType!;
  }
}

/** The schema's own words for what it expects: its error message without "expected ". */
function expects(d: Def): string | undefined {
  const e = d.error?.({ code: "invalid_type", input: undefined });
  const text =
    typeof e === "string"
      ? e
      : typeof e === "object" && e !== null && "message" in e
        ? String((e as { message: unknown }).message)
        : undefined;
  return text?.replace(/^expected /, "");
}

function bounds(d: Def): { min?: number; max?: number; int: boolean } {
  let min: number | undefined;
  let max: number | undefined;
  let int = false;
  for (const c of d.checks ?? []) {
    const k = c._zod.def;
    if (k.check === "number_format" && (k.format === "safeint" || k.format === "int32")) int = true;
    if (k.check === "greater_than") min = k.value;
    if (k.check === "less_than") max = k.value;
    if (k.check === "min_length") min = k.minimum;
    if (k.check === "max_length") max = k.maximum;
  }
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), int };
}

/** " 1-65535", " (at most 10)", ... unless the words already say it. */
function range(words: string, b: { min?: number; max?: number }, paren: boolean): string {
  const said = (n: number) => new RegExp(`(^|[^0-9])${n}([^0-9]|$)`).test(words);
  const { min, max } = b;
  let r = "";
  if (min !== undefined && max !== undefined && !(said(min) && said(max))) r = `${min}-${max}`;
  else if (min !== undefined && max === undefined && !said(min) && !(paren && min === 0)) r = `${min} or more`;
  else if (max !== undefined && min === undefined && !said(max)) r = `at most ${max}`;
  return r === "" ? "" : paren ? ` (${r})` : ` ${r}`;
}

/** What a (unwrapped) schema expects, in words. */
export function typeText(s: Zod): string {
  const d = def(s);
  const words = expects(d);
  switch (d.type) {
    case "boolean":
      return "boolean";
    case "literal":
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(" or ");
    case "pipe":
      return typeText(d.in!);
    case "number": {
      const b = bounds(d);
      const base = words ?? (b.int ? "integer" : "number");
      return base + range(base, b, false);
    }
    case "array": {
      const base = words ?? `list of ${typeText(unwrap(d.element!).inner)}`;
      return base + range(base, bounds(d), true);
    }
    case "union":
      if (d.discriminator)
        return `object, by ${d.discriminator}: ${d.options!.map((o) => typeText(unwrap(def(o).shape![d.discriminator!]!).inner)).join(" or ")}`;
      return words ?? d.options!.map((o) => typeText(unwrap(o).inner)).join(" or ");
    case "object":
      return words && !/^an object with /.test(words) ? words : "object";
    default:
      return words ?? d.type;
  }
}

const EMPTY = (v: unknown) => v !== null && typeof v === "object" && Object.keys(v).length === 0 && !Array.isArray(v);

const isJson = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** Thrown when a field's TSDoc `@default` names another value than the schema's default. */
export class DefaultMismatch extends Error {
  override readonly name = "DefaultMismatch";
}

function defaultText(key: string, u: ReturnType<typeof unwrap>, doc: FieldDoc | undefined, required: boolean): string {
  const said = doc?.default;
  if (u.default) {
    const value = u.default.value;
    if (said !== undefined) {
      if (isJson(said) && !isDeepStrictEqual(JSON.parse(said), value)) {
        throw new DefaultMismatch(`${key}: its TSDoc says @default ${said}, the schema's default is ${JSON.stringify(value)}`);
      }
    }
    // An object parsed from {} takes its fields' defaults: those rows say them.
    return EMPTY(value) ? "" : `\`${JSON.stringify(value)}\``;
  }
  if (said !== undefined) return isJson(said) ? `\`${said}\`` : said;
  return required ? "**required**" : "unset";
}

/** The walk's state: the prefix, the rows so far, and where each field schema was first shown. */
class Walk {
  readonly rows: ConfigRow[] = [];
  /** The maps met, with their entry field names. */
  readonly mapsFound: { readonly fields: string; readonly key: string; readonly depth: number }[] = [];
  private readonly seen = new Map<Zod, string>();
  constructor(
    private readonly docs: DocLookup,
    private readonly options: WalkOptions,
    /** For each set of map entry field names, the key of the map shown in full (the shallowest); the others refer to it. */
    private readonly canonical: ReadonlyMap<string, string> = new Map(),
  ) {}

  private key(parts: readonly string[]): string {
    return `${this.options.prefix ?? "quantlab:"}${parts.join(".").replace(/\.\[\]/g, "[]")}`;
  }

  private row(parts: readonly string[], docPath: readonly string[], field: Zod, required: boolean): void {
    const u = unwrap(field);
    const doc = this.docs(docPath);
    const key = this.key(parts);
    this.rows.push({
      key,
      type: typeText(u.inner),
      default: defaultText(key, u, doc, required && !u.optional && !u.default),
      description: doc?.text ?? "",
    });
  }

  /** The rows of an object's fields, under `parts` (shown) and `docPath` (for the TSDoc lookup). */
  object(shape: Readonly<Record<string, Zod>>, parts: readonly string[], docPath: readonly string[]): void {
    const entries = Object.entries(shape);
    // Fields shown before under one other object (the fields of `host` in an entry of `hosts`): one row.
    const shared = new Map<string, string[]>();
    for (const [name, field] of entries) {
      const at = this.seen.get(field);
      if (at !== undefined) shared.set(at, [...(shared.get(at) ?? []), name]);
    }
    const grouped = new Map<string, string>();
    for (const [at, names] of shared) if (names.length >= 2) for (const n of names) grouped.set(n, at);
    const done = new Set<string>();
    for (const [name, field] of entries) {
      const at = grouped.get(name);
      if (at !== undefined) {
        if (done.has(at)) continue;
        done.add(at);
        const names = entries.filter(([n]) => grouped.get(n) === at).map(([n]) => n);
        this.rows.push({
          key: `${this.key(parts)}.{${names.join(", ")}}`,
          type: "",
          default: "",
          description: `as under \`${at}\`: the same fields, types and defaults`,
        });
        continue;
      }
      this.field(field, [...parts, name], [...docPath, name], true);
    }
  }

  field(field: Zod, parts: readonly string[], docPath: readonly string[], required: boolean): void {
    const u = unwrap(field);
    const d = def(u.inner);
    if (!this.seen.has(field)) this.seen.set(field, this.key(parts.slice(0, -1)));
    this.row(parts, docPath, field, required);
    if (d.type === "object") {
      const map = mapEntry(d.shape!);
      if (!map) return this.object(d.shape!, parts, docPath);
      const name = this.placeholder(Object.keys(d.shape!));
      const entry = def(map.entry).shape;
      const entryParts = [...parts, name];
      const full = entry ? this.canonical.get(fieldNames(entry)) : undefined;
      if (entry && full !== undefined && full !== this.key(entryParts)) {
        const none = Object.values(entry).every((f) => !unwrap(f).default);
        this.rows.push({
          key: `${this.key(entryParts)}.*`,
          type: "",
          default: "",
          description: `the fields of \`${full}\`${none ? ", with no defaults of their own" : ""}`,
        });
        return;
      }
      if (entry) this.mapsFound.push({ fields: fieldNames(entry), key: this.key(entryParts), depth: entryParts.length });
      this.rows.push({
        key: this.key(entryParts),
        type: typeText(map.entry),
        default: "unset",
        description: `one of ${Object.keys(d.shape!)
          .map((k) => `\`${k}\``)
          .join(", ")}`,
      });
      if (entry) this.object(entry, entryParts, [...docPath, map.first]);
    } else if (d.type === "array") {
      const element = unwrap(d.element!).inner;
      if (def(element).type === "object") this.object(def(element).shape!, [...parts, "[]"], [...docPath, "[]"]);
    } else if (d.type === "union" && d.discriminator) {
      this.variants(d, parts, docPath);
    }
  }

  /** A discriminated union: the discriminator once, then each field, per variant where the variants differ. */
  private variants(d: Def, parts: readonly string[], docPath: readonly string[]): void {
    const tag = d.discriminator!;
    const variants = d.options!.map((o) => {
      const shape = def(o).shape!;
      const value = String(def(unwrap(shape[tag]!).inner).values?.[0]);
      return { value, shape, docPath: [...docPath, `@${tag}=${value}`] };
    });
    const tagKey = this.key([...parts, tag]);
    const tagDocs = variants.map((v) => `\`${v.value}\`: ${this.docs([...v.docPath, tag])?.text ?? ""}`);
    this.rows.push({
      key: tagKey,
      type: variants.map((v) => JSON.stringify(v.value)).join(" or "),
      default: "**required**",
      description: tagDocs.join(" "),
    });
    const names = [...new Set(variants.flatMap((v) => Object.keys(v.shape)))].filter((n) => n !== tag);
    for (const name of names) {
      const having = variants.filter((v) => v.shape[name] !== undefined);
      const same = having.length === variants.length && having.every((v) => v.shape[name] === having[0]!.shape[name]);
      if (same) {
        this.field(having[0]!.shape[name]!, [...parts, name], [...having[0]!.docPath, name], true);
        continue;
      }
      for (const v of having) {
        const before = this.rows.length;
        this.field(v.shape[name]!, [...parts, name], [...v.docPath, name], true);
        const r = this.rows[before]!;
        this.rows[before] = { ...r, description: `(${tag} \`${v.value}\`) ${r.description}`.trimEnd() };
      }
    }
  }

  private placeholder(keys: readonly string[]): string {
    const sorted = [...keys].sort().join(",");
    return this.options.placeholders?.find((p) => [...p.keys].sort().join(",") === sorted)?.name ?? "<name>";
  }
}

/** A map: every field an optional wrapper of one and the same entry schema (the schema's `servicesOf`, its cron jobs). */
function mapEntry(shape: Readonly<Record<string, Zod>>): { entry: Zod; first: string } | undefined {
  const fields = Object.entries(shape);
  if (fields.length < 2) return undefined;
  const inners = fields.map(([, f]) => (def(f).type === "optional" ? def(f).innerType : undefined));
  const first = inners[0];
  return first && inners.every((i) => i === first) ? { entry: first, first: fields[0]![0] } : undefined;
}

const fieldNames = (shape: Readonly<Record<string, Zod>>): string => Object.keys(shape).join(",");

/** Every key of the schema (a zod object), in schema order. */
export function configRows(schema: Zod, docs: DocLookup, options: WalkOptions = {}): ConfigRow[] {
  const d = def(schema);
  if (d.type !== "object") throw new Error(`docs: the config schema is a ${d.type}, expected an object`);
  // A first walk finds the maps and where each kind of entry sits; the shallowest is shown in full.
  const first = new Walk(() => undefined, options);
  first.object(d.shape!, [], []);
  const canonical = new Map<string, { key: string; depth: number }>();
  for (const m of first.mapsFound) {
    const had = canonical.get(m.fields);
    if (!had || m.depth < had.depth) canonical.set(m.fields, m);
  }
  const walk = new Walk(docs, options, new Map([...canonical].map(([f, m]) => [f, m.key])));
  walk.object(d.shape!, [], []);
  return walk.rows;
}
