/**
 * The generated docs: docs/reference.md and the README's command table are
 * exactly what `npm run docs` makes from the code now (a stale table fails
 * here); the generator follows its sources (an eleventh service in a
 * fixture catalog is a row; a TSDoc default that contradicts the schema
 * stops it); every relative link of README.md and docs/*.md resolves inside
 * the repository.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CATALOG, SERVICE_NAMES, TOKEN_NAMES } from "../../model/catalog";
import { CRON_JOB_NAMES } from "../../model/cron";
import { COMMANDS } from "../../cli/commands";
import { configRows, DefaultMismatch, type Zod } from "../../scripts/docs/config";
import { generatedFiles, packageInput, referenceText, splice } from "../../scripts/docs/reference";
import { levelsTable, type ServiceEntry } from "../../scripts/docs/services";
import { parseDocComment, type FieldDoc } from "../../scripts/docs/tsdoc";
import { ROOT } from "../fixtures/stack";

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");
// The TypeScript checker reads the schema's TSDoc once (a few seconds).
const input = packageInput(ROOT);

describe("the generated docs are current", () => {
  it("docs/reference.md and the README's command table are what `npm run docs` makes from the code now", () => {
    const files = generatedFiles(input, read("README.md"));
    for (const [rel, text] of Object.entries(files)) expect(read(rel), `${rel} is stale: run npm run docs`).toBe(text);
  });

  it("names every service, token, cron job, command and config section of the code", () => {
    const ref = read("docs/reference.md");
    for (const s of SERVICE_NAMES) expect(ref).toContain(`| \`${s}\` | \`${CATALOG[s].unit}\` |`);
    for (const t of TOKEN_NAMES) expect(ref).toContain(`| \`quantlab:tokens.${t}\` |`);
    for (const j of CRON_JOB_NAMES) expect(ref).toContain(`| \`${j}\` |`);
    for (const c of COMMANDS) expect(read("README.md")).toContain(`| \`${c.name}`);
    for (const k of ["host", "hosts", "rollout", "generations", "runtime", "services", "env", "s3", "cron", "code"])
      expect(ref).toContain(`| \`quantlab:${k}\` |`);
    expect(ref).toContain("| `quantlab:sshPrivateKey` |");
    expect(ref).toContain("| `quantlab:sshKeyPassphrase` |");
  });

  it("gives every config key what it expects and a description", () => {
    expect(input.config.filter((r) => r.description.trim() === "").map((r) => r.key)).toEqual([]);
    expect(input.config.filter((r) => r.type === "" && !/[.][{*]|\*$/.test(r.key)).map((r) => r.key)).toEqual([]);
  });
});

/** labeld's entry, renamed: a service whose every field differs from the others'. */
const riskd: ServiceEntry = {
  ...CATALOG.labeld,
  name: "riskd",
  unit: "quantlab-riskd.service",
  description: "QuantLab risk service",
  envFile: "riskd.env",
  workingDir: "services/riskd",
  command: ["/usr/bin/node", "riskd.js"],
  port: 3071,
  health: { path: "/ready", auth: true },
  token: "riskd",
  caps: ["s3-archive"],
  after: ["labeld"],
  calls: ["labeld"],
};

describe("the tables follow the catalog they are given", () => {
  const text = referenceText({ ...input, services: [...input.services, riskd], tokens: [...input.tokens, "riskd"] });

  it("an eleventh service is a row of the services table, of its startup level and of its capability", () => {
    expect(text).toContain(
      "| `riskd` | `quantlab-riskd.service` | 3071 | `GET /ready`, bearer `tokens.riskd` | `/usr/bin/node riskd.js` | `services/riskd` | `labeld` | `labeld` | `s3-archive` |",
    );
    expect(text).toContain("| `riskd` | QuantLab risk service | `/etc/quantlab/riskd.env` | `tokens.riskd` | - |");
    expect(text).toContain(
      "| 4 | `observer`, `observer-api`, `console-ui`, `riskd` | observer: strategyd, backtestd, job-worker; observer-api: backtestd, job-worker; console-ui: featurexd, labeld, strategyd, backtestd; riskd: labeld |",
    );
    expect(text).toContain("| `s3-archive` | Writes run archives to the archive bucket. | `strategyd`, `riskd` |");
    expect(text).toContain(
      "| `quantlab:tokens.riskd` | The bearer token `riskd` checks; presented by the health gate. Required while `riskd` is enabled. Set with `openssl rand -hex 32 \\| npx quantlab secret --stack STACK --key tokens.riskd`. |",
    );
    expect(referenceText(input)).not.toContain("riskd");
  });

  it("a startup edge to an unknown service stops the generator with the DAG's error", () => {
    expect(() => levelsTable([...input.services, { ...riskd, after: ["nope"] }])).toThrow(
      '"riskd" starts after unknown service "nope"; known services: replayd, collector, featurexd, labeld, strategyd, backtestd, job-worker, observer, observer-api, console-ui, riskd',
    );
  });
});

describe("the config walk", () => {
  const port = z.number({ error: "expected a port number" }).int().min(1).max(65535).default(22);
  const address = z.string({ error: "expected a host name" });
  const bucket = z.string({ error: "expected a bucket name" });
  const job = z.strictObject({ on: z.boolean().default(true) });
  const fixture = z.strictObject({
    host: z.strictObject({ address, port }).optional(),
    hosts: z
      .array(z.strictObject({ name: z.string({ error: "expected a name" }), address, port }), { error: "expected a list of hosts" })
      .min(1)
      .max(5)
      .optional(),
    jobs: z.strictObject({ a: job.optional(), b: job.optional() }).default({}),
    store: z.discriminatedUnion("mode", [
      z.strictObject({ mode: z.literal("create"), bucket, region: z.string({ error: "expected a region" }) }),
      z.strictObject({ mode: z.literal("adopt"), bucket, endpoint: z.string({ error: "expected a URL" }).optional() }),
    ]),
  });
  const docs = new Map<string, FieldDoc>([
    ["host", { text: "The host." }],
    ["host.port", { text: "SSH port.", default: "22" }],
    ["hosts.[].name", { text: "Its name." }],
    ["jobs.a.on", { text: "Run it." }],
    ["store.@mode=create.mode", { text: "Create them." }],
    ["store.@mode=adopt.mode", { text: "Adopt them." }],
    ["store.@mode=adopt.endpoint", { text: "Where.", default: "the region's" }],
  ]);
  const lookup = (p: readonly string[]) => docs.get(p.join("."));

  it("gives each key what it expects, its default and its TSDoc; a map once, fields shared with another object once", () => {
    expect(
      configRows(fixture as unknown as Zod, lookup, { prefix: "x:", placeholders: [{ keys: ["a", "b"], name: "<job>" }] }).map((r) => [
        r.key,
        r.type,
        r.default,
        r.description,
      ]),
    ).toEqual([
      ["x:host", "object", "unset", "The host."],
      ["x:host.address", "a host name", "**required**", ""],
      ["x:host.port", "a port number 1-65535", "`22`", "SSH port."],
      ["x:hosts", "a list of hosts (1-5)", "unset", ""],
      ["x:hosts[].name", "a name", "**required**", "Its name."],
      ["x:hosts[].{address, port}", "", "", "as under `x:host`: the same fields, types and defaults"],
      ["x:jobs", "object", "", ""],
      ["x:jobs.<job>", "object", "unset", "one of `a`, `b`"],
      ["x:jobs.<job>.on", "boolean", "`true`", "Run it."],
      ["x:store", 'object, by mode: "create" or "adopt"', "**required**", ""],
      ["x:store.mode", '"create" or "adopt"', "**required**", "`create`: Create them. `adopt`: Adopt them."],
      ["x:store.bucket", "a bucket name", "**required**", ""],
      ["x:store.region", "a region", "**required**", "(mode `create`)"],
      ["x:store.endpoint", "a URL", "the region's", "(mode `adopt`) Where."],
    ]);
  });

  it("a TSDoc @default that names another value than the schema's stops it, naming the key", () => {
    const wrong = (p: readonly string[]) => (p.join(".") === "host.port" ? { text: "SSH port.", default: "2222" } : undefined);
    expect(() => configRows(fixture as unknown as Zod, wrong, { prefix: "x:" })).toThrow(
      new DefaultMismatch("x:host.port: its TSDoc says @default 2222, the schema's default is 22"),
    );
  });

  it("reads a TSDoc comment: its text, its @default, and an @ word that is no tag", () => {
    expect(parseDocComment("/**\n * Create the buckets with @pulumi/aws.\n * @default none\n */")).toEqual({
      text: "Create the buckets with @pulumi/aws.",
      default: "none",
    });
    expect(parseDocComment('/** Never root. @default "deploy" */')).toEqual({ text: "Never root.", default: '"deploy"' });
    expect(parseDocComment("/** Just text. */")).toEqual({ text: "Just text." });
  });

  it("replaces only the part between a section's markers, and refuses a file without them", () => {
    const text = "a\n<!-- generated by npm run docs: t -->\nold\n<!-- end of generated t -->\nb\n";
    expect(splice(text, "t", "new")).toBe("a\n<!-- generated by npm run docs: t -->\nnew\n<!-- end of generated t -->\nb\n");
    expect(() => splice("a\n", "t", "new")).toThrow(
      'docs: no "<!-- generated by npm run docs: t -->" ... "<!-- end of generated t -->" markers',
    );
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

/** The links of a Markdown text outside code blocks and code spans: `[text](target)`. */
function links(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** What is wrong with the relative links of `file` (relative to the root); `files` reads a file, undefined when missing. */
function brokenLinks(file: string, text: string, files: (rel: string) => string | undefined): string[] {
  return links(text).flatMap((target) => {
    if (/^[a-z]+:/i.test(target)) return [];
    const [p = "", fragment] = target.split("#", 2);
    const rel = p === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), p));
    if (rel.startsWith("..")) return [`${file}: ${target} points outside the repository`];
    const content = files(rel);
    if (content === undefined) return [`${file}: ${target}: no ${rel}`];
    if (fragment === undefined) return [];
    const anchors = [...content.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!));
    return anchors.includes(fragment) ? [] : [`${file}: ${target}: no heading #${fragment} in ${rel}`];
  });
}

const repoFile = (rel: string): string | undefined => {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return undefined;
  return fs.statSync(abs).isDirectory() ? "" : fs.readFileSync(abs, "utf8");
};

describe("the README and docs/", () => {
  const docs = [
    "README.md",
    ...fs
      .readdirSync(path.join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];

  it("every relative link resolves to a file of the repository (and a heading there)", () => {
    expect(docs.length).toBeGreaterThanOrEqual(6);
    expect(docs.flatMap((f) => brokenLinks(f, read(f), repoFile))).toEqual([]);
    expect(docs.flatMap((f) => links(read(f))).filter((l) => !/^[a-z]+:/i.test(l)).length).toBeGreaterThanOrEqual(10);
  });

  it("the link check catches a missing file, a missing heading and a link out of the repository", () => {
    const text =
      "[a](docs/nope.md) [b](docs/reference.md#no-such) [c](../elsewhere/NOTES.md) [d](docs/reference.md#config-keys) `[e](in/code.md)`";
    expect(brokenLinks("README.md", text, repoFile)).toEqual([
      "README.md: docs/nope.md: no docs/nope.md",
      "README.md: docs/reference.md#no-such: no heading #no-such in docs/reference.md",
      "README.md: ../elsewhere/NOTES.md points outside the repository",
    ]);
  });

  it("README.md stays under 10 KB and opens with the two commands", () => {
    const readme = read("README.md");
    expect(Buffer.byteLength(readme)).toBeLessThan(10_000);
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.docs).toBe("node scripts/docs.cjs");
    // The first command installs what is missing, then runs the main job on the built-in default (a sandbox host).
    expect(scripts.sandbox).toBe("bash scripts/setup.sh && node bin/quantlab.js up --stack sandbox --sandbox");
    expect(readme.split("\n").slice(0, 5).join("\n")).toMatch(/^# quantlab-infra\n\n```sh\nnpm run sandbox +# .*\nnpm test +# /);
  });
});
