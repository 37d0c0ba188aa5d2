/**
 * The folder layering of the non-test sources, read from their import
 * statements: model/ at the bottom, then the renderers (units/, envfiles/,
 * hostfiles/, which holds the plan), then config/ parsing, then host/
 * (everything that runs on a host: scripts, the session, the transport);
 * everything else (components, program, scripts, ...) on top. Imports only
 * point down, no folder-level cycle, and nothing below the top imports
 * @pulumi/*.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./fixtures/stack";

/**
 * Bottom first. The first PURE folders are plain code (no @pulumi/*), the
 * host layer last among them; then the host provider, the components, the
 * program (the root folder: program.ts, index.ts) and the operator command.
 * A folder not listed is on top, above all of these.
 */
const LAYERS = ["model", "units", "envfiles", "hostfiles", "config", "host", "provider", "components", ".", "cli"] as const;
const PURE = 6;

interface Import {
  /** Importing file, relative to the root. */
  readonly file: string;
  /** The module specifier as written. */
  readonly spec: string;
}

const SKIP = new Set(["node_modules", "tests", "tools", "dist"]);

function sourceFiles(dir = ""): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return e.name.startsWith(".") || SKIP.has(e.name) ? [] : sourceFiles(rel);
    return e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [rel] : [];
  });
}

const IMPORT =
  /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?["']([^"']+)["']|\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/gm;

/** The module specifiers a source text imports (static, re-export, dynamic, require). */
export function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

const folderOf = (file: string): string => (file.includes("/") ? file.slice(0, file.indexOf("/")) : ".");
const rank = (folder: string): number => {
  const i = (LAYERS as readonly string[]).indexOf(folder);
  return i < 0 ? LAYERS.length : i;
};

/** Folder -> folder edges of the relative imports (self edges dropped). */
export function folderEdges(imports: readonly Import[]): [from: string, to: string][] {
  const edges = new Set<string>();
  for (const { file, spec } of imports) {
    if (!spec.startsWith(".")) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from !== to) edges.add(`${from} ${to}`);
  }
  return [...edges].sort().map((e) => e.split(" ") as [string, string]);
}

/** Imports that point up (or sideways into an unlisted folder) from a layered folder. */
export function upwardImports(imports: readonly Import[]): string[] {
  return imports.flatMap(({ file, spec }) => {
    const from = folderOf(file);
    if (rank(from) === LAYERS.length) return [];
    if (spec.startsWith("@pulumi/") && rank(from) < PURE) return [`${file} imports ${spec} (no @pulumi/* below the top)`];
    if (!spec.startsWith(".")) return [];
    const to = folderOf(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    return to !== from && rank(to) >= rank(from) ? [`${file} imports ${spec}: ${to}/ is not below ${from}/`] : [];
  });
}

/** A cycle among folders, as a path, or undefined. */
export function folderCycle(edges: readonly (readonly [string, string])[]): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b]);
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "open") return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, "open");
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of next.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

const IMPORTS: Import[] = sourceFiles().flatMap((file) =>
  importsOf(fs.readFileSync(path.join(ROOT, file), "utf8")).map((spec) => ({ file, spec })),
);

describe("folder layering of the sources", () => {
  it("finds the imports of every layered folder (the scan is not empty)", () => {
    const files = new Set(IMPORTS.map((i) => folderOf(i.file)));
    expect(LAYERS.filter((l) => !files.has(l))).toEqual([]);
    expect(IMPORTS.filter((i) => i.file === "hostfiles/plan.ts").length).toBeGreaterThanOrEqual(8);
  });

  it("imports only point down, and nothing below the top imports @pulumi/*", () => {
    expect(upwardImports(IMPORTS)).toEqual([]);
  });

  it("the layered folders import exactly these folders", () => {
    const layered = folderEdges(IMPORTS).filter(([from]) => rank(from) < LAYERS.length);
    expect(layered.map(([a, b]) => `${a} -> ${b}`)).toEqual([
      ". -> components",
      ". -> config",
      ". -> hostfiles",
      ". -> provider",
      "cli -> .",
      "cli -> config",
      "cli -> host",
      "cli -> hostfiles",
      "cli -> model",
      "cli -> provider",
      "components -> hostfiles",
      "components -> model",
      "components -> provider",
      "config -> model",
      "envfiles -> model",
      "host -> model",
      "hostfiles -> envfiles",
      "hostfiles -> model",
      "hostfiles -> units",
      "provider -> config",
      "provider -> host",
      "provider -> hostfiles",
      "provider -> model",
      "units -> model",
    ]);
  });

  it("has no folder-level cycle anywhere", () => {
    expect(folderCycle(folderEdges(IMPORTS))).toBeUndefined();
  });
});

describe("the layering checks catch a regression", () => {
  it("reads static, multi-line, type-only, re-export, dynamic and require imports", () => {
    const text = `import { a,\n  b } from "../model/x";\nimport type { T } from './t';\nexport * from "../units/r";\nconst m = await import("../config/p");\nrequire("fs");\nimport "./side";\nexport const x = (y: string) => y === ".";\nimport * as z from "../hostfiles/z";`;
    expect(importsOf(text)).toEqual(["../model/x", "./t", "../units/r", "../config/p", "fs", "./side", "../hostfiles/z"]);
  });

  it("reports an upward import and a @pulumi import below the top", () => {
    expect(
      upwardImports([
        { file: "model/model.ts", spec: "../config/schema" },
        { file: "units/render.ts", spec: "../hostfiles/plan" },
        { file: "envfiles/compose.ts", spec: "@pulumi/pulumi" },
        { file: "hostfiles/plan.ts", spec: "../envfiles/compose" },
        { file: "components/host.ts", spec: "../hostfiles/plan" },
        { file: "host/gate.ts", spec: "../provider/service" },
        { file: "host/session.ts", spec: "@pulumi/pulumi" },
        { file: "provider/file.ts", spec: "../host/files" },
      ]),
    ).toEqual([
      "model/model.ts imports ../config/schema: config/ is not below model/",
      "units/render.ts imports ../hostfiles/plan: hostfiles/ is not below units/",
      "envfiles/compose.ts imports @pulumi/pulumi (no @pulumi/* below the top)",
      "host/gate.ts imports ../provider/service: provider/ is not below host/",
      "host/session.ts imports @pulumi/pulumi (no @pulumi/* below the top)",
    ]);
  });

  it("reports a folder cycle", () => {
    const edges = folderEdges([
      { file: "components/a.ts", spec: "../provider/b" },
      { file: "provider/b.ts", spec: "../cli/c" },
      { file: "cli/c.ts", spec: "../components/a" },
    ]);
    expect(folderCycle(edges)).toEqual(["cli", "components", "provider", "cli"]);
  });
});
