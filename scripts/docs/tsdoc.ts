/**
 * The TSDoc of the config schema's fields, read with the TypeScript checker:
 * the properties of the schema's inferred type keep the declarations they
 * came from (through spreads, shared field objects and helper functions), so
 * the comment above a field in config/schema.ts is found by its key path,
 * however the schema is assembled. Nothing is copied by hand.
 */
import * as path from "path";
import * as ts from "typescript";

/** A field's comment: its text, and what its `@default` says (when it says something). */
export interface FieldDoc {
  readonly text: string;
  readonly default?: string;
}

/**
 * A key path, as the schema walk goes: property names, `[]` for the entry of
 * a list, and `@<key>=<value>` for the member of a union whose `<key>` is
 * that string literal (a discriminated union's variant).
 */
export type DocLookup = (keyPath: readonly string[]) => FieldDoc | undefined;

/** The text of a `/** ... *\/` comment, split at its `@default`. Other `@` words are text (`@pulumi/aws`). */
export function parseDocComment(raw: string): FieldDoc {
  const body = raw
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  const at = body.search(/(^|\s)@default\b/);
  if (at < 0) return { text: body };
  const text = body.slice(0, at).trim();
  const def = body
    .slice(at)
    .replace(/^\s*@default\s*/, "")
    .trim();
  return def ? { text, default: def } : { text };
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  types: [],
  skipLibCheck: true,
  noEmit: true,
};

/** The TSDoc of the fields of `typeName` (a type alias exported by `file`, e.g. `z.infer` of the schema). */
export function schemaDocs(file: string, typeName: string): DocLookup {
  const absolute = path.resolve(file);
  const program = ts.createProgram([absolute], OPTIONS);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(absolute);
  if (!source) throw new Error(`docs: cannot read ${file}`);
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === typeName);
  if (!alias) throw new Error(`docs: ${file} declares no type ${typeName}`);
  const root = checker.getTypeAtLocation(alias.name);

  const members = (t: ts.Type): readonly ts.Type[] => {
    const n = checker.getNonNullableType(t);
    return n.isUnion() ? n.types : [n];
  };
  const literalOf = (t: ts.Type, key: string): string | undefined => {
    const p = checker.getPropertyOfType(t, key);
    const pt = p && checker.getTypeOfSymbol(p);
    return pt?.isStringLiteral() ? pt.value : undefined;
  };

  /** The symbol at the key path, if any. */
  function resolve(keyPath: readonly string[]): ts.Symbol | undefined {
    let types: readonly ts.Type[] = [root];
    let symbol: ts.Symbol | undefined;
    for (const seg of keyPath) {
      const all = types.flatMap(members);
      symbol = undefined;
      if (seg === "[]") {
        types = all.filter((t) => checker.isArrayType(t)).map((t) => checker.getTypeArguments(t as ts.TypeReference)[0]!);
        continue;
      }
      const variant = /^@([^=]+)=(.*)$/.exec(seg);
      if (variant) {
        types = all.filter((t) => literalOf(t, variant[1]!) === variant[2]);
        continue;
      }
      for (const t of all) {
        symbol = checker.getPropertyOfType(t, seg);
        if (symbol) break;
      }
      if (!symbol) return undefined;
      types = [checker.getTypeOfSymbol(symbol)];
    }
    return symbol;
  }

  return (keyPath) => {
    const decl = resolve(keyPath)?.declarations?.[0];
    if (!decl) return undefined;
    const docs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc);
    const last = docs[docs.length - 1];
    return last ? parseDocComment(last.getText()) : undefined;
  };
}

/** The comment above each member of a union type alias of string literals (`type Capability = /** ... *\/ | "a" | ...`). */
export function unionMemberDocs(file: string, typeName: string): ReadonlyMap<string, string> {
  const text = ts.sys.readFile(path.resolve(file));
  if (text === undefined) throw new Error(`docs: cannot read ${file}`);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === typeName);
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error(`docs: ${file} declares no union type ${typeName}`);
  const docs = new Map<string, string>();
  const members = alias.type.types;
  members.forEach((member, i) => {
    if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) return;
    // The comment sits before the member's `|`: between the previous member (or the `=`) and this one.
    const between = text.slice(i === 0 ? alias.name.end : members[i - 1]!.end, member.getStart(source));
    const doc = between.match(/\/\*\*[\s\S]*?\*\//g);
    if (doc) docs.set(member.literal.text, parseDocComment(doc[doc.length - 1]!).text);
  });
  return docs;
}
