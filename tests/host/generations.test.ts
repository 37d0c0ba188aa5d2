/**
 * The generation store on the host (host/generations.ts): the whole text of
 * the record script, the others, the parser, and all of them run by a real
 * bash with scratch directories bound over /var/lib (the store) and
 * /var/log (a root tree holding a stored file), a file of the runtime
 * user's read through runuser (stubbed): record, prune, blob references,
 * a changed file refused, list, blob, mark current.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import {
  blobScript,
  GENERATIONS_DIR,
  listGenerationsScript,
  markCurrentScript,
  parseGenerations,
  recordGenerationScript,
  STORE_DIR,
  type StoredFile,
} from "../../host/generations";
import { runOnHost, runuserStub, scratchDir, stubLog } from "../fixtures/hostShell";

const A = "a".repeat(64);
const B = "b".repeat(64);
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

describe("script text", () => {
  it("record: under a lock, the missing blobs staged (the runtime user's by one process of theirs, into blobs root opened), checked by one sha256sum and moved in by one mv; the record written and made current; then the prune", () => {
    const s = recordGenerationScript(
      [
        { path: "/etc/quantlab/a.env", sha256: A },
        { path: "/srv/ql/core/.env", sha256: B, reader: "qlrun" },
      ],
      10,
    );
    const store = "'/var/lib/quantlab-infra/store'";
    const gens = "'/var/lib/quantlab-infra/generations'";
    const inc = "'/var/lib/quantlab-infra/store/.incoming'";
    expect(s.text).toBe(String.raw`set -eu
umask 077
install -d -m 0700 '/var/lib/quantlab-infra' ${store} ${gens}
exec 9>'/var/lib/quantlab-infra/generations.lock'
flock -w 60 9
rm -rf -- ${inc}
install -d -m 0700 ${inc}
inc=${inc}; trap 'rm -rf -- "$inc"' EXIT
bad() { printf '%s changed after its services passed their gates; no generation recorded\n' "$1" >&2; exit 1; }
declare -A src=() ok=() named=(); order=()
if ! [ -f ${store}/'${A}' ] && [ -z "${"${"}src['${A}']:-}" ]; then src['${A}']='/etc/quantlab/a.env'; order+=('${A}'); cat -- '/etc/quantlab/a.env' > ${inc}/'${A}' || bad '/etc/quantlab/a.env'; fi
fds=(); opened=""
if ! [ -f ${store}/'${B}' ] && [ -z "${"${"}src['${B}']:-}" ]; then src['${B}']='/srv/ql/core/.env'; order+=('${B}'); exec {fd}> ${inc}/'${B}'; fds+=("$fd"); opened=1; else fds+=(-); fi
[ -z "$opened" ] || printf '%s\n' "${"${"}fds[@]}" | runuser -u 'qlrun' -- env -C / bash -c 'for f in '\''/srv/ql/core/.env'\''; do read -r fd; [ "$fd" = - ] || cat -- "$f" >&"$fd" || :; done' || :
if [ ${"${"}#order[@]} -gt 0 ]; then
  while read -r h f; do if [ "$h" = "${"${"}f##*/}" ]; then ok[$h]=1; fi; done < <(sha256sum -- ${inc}/*)
  for s in "${"${"}order[@]}"; do [ -n "${"${"}ok[$s]:-}" ] || bad "${"${"}src[$s]}"; done
  mv -f -t ${store} -- ${inc}/*
fi
last=$(ls ${gens} | sed -n 's/^\([0-9][0-9]*\)\.json$/\1/p' | sort -n | tail -n 1)
n=$(( ${"${"}last:-0} + 1 ))
cat > ${gens}/.next.tmp
sync ${gens}/.next.tmp
mv -f ${gens}/.next.tmp ${gens}/$n.json
echo "$n" > '/var/lib/quantlab-infra/current'.tmp && mv -f '/var/lib/quantlab-infra/current'.tmp '/var/lib/quantlab-infra/current'
ls ${gens} | sed -n 's/^\([0-9][0-9]*\)\.json$/\1/p' | sort -n | head -n -10 | while read -r old; do rm -f ${gens}/"$old".json; done
while read -r s; do named[$s]=1; done < <(cat ${gens}/*.json | grep -o '[0-9a-f]\{64\}' || :)
drop=(); for b in ${store}/*; do if [ -f "$b" ] && [ -z "${"${"}named[${"${"}b##*/}]:-}" ]; then drop+=("$b"); fi; done
[ ${"${"}#drop[@]} -eq 0 ] || rm -f -- "${"${"}drop[@]}"
echo "generation $n"`);
  });

  it("list, blob, mark current", () => {
    expect(listGenerationsScript().text).toBe(String.raw`echo "current $(cat '/var/lib/quantlab-infra/current' 2>/dev/null || echo none)"
[ -d '/var/lib/quantlab-infra/generations' ] || exit 0
for n in $(ls '/var/lib/quantlab-infra/generations' | sed -n 's/^\([0-9][0-9]*\)\.json$/\1/p' | sort -n); do printf 'gen %s %s\n' "$n" "$(tr -d '\n' < '/var/lib/quantlab-infra/generations'/"$n".json)"; done`);
    expect(blobScript(A).text).toBe(`cat -- '/var/lib/quantlab-infra/store'/'${A}'`);
    expect(markCurrentScript(7).text).toBe(
      "set -eu\n[ -f '/var/lib/quantlab-infra/generations'/7.json ]\necho 7 > '/var/lib/quantlab-infra/current'.tmp && mv -f '/var/lib/quantlab-infra/current'.tmp '/var/lib/quantlab-infra/current'",
    );
    expect([STORE_DIR, GENERATIONS_DIR]).toEqual(["/var/lib/quantlab-infra/store", "/var/lib/quantlab-infra/generations"]);
  });

  it("refuses a keep, a generation number, a hash or a path it cannot place", () => {
    expect(() => recordGenerationScript([], 0)).toThrow("host script: invalid integer 1-1000 0");
    expect(() => markCurrentScript(0)).toThrow("host script: invalid integer 1-1000000000 0");
    expect(() => blobScript("../x")).toThrow('host script: invalid sha256 "../x"');
    expect(() => recordGenerationScript([{ path: "/etc/a b", sha256: A }], 5)).toThrow('host script: invalid path "/etc/a b"');
    // A runtime user's file named without its reader would be read by root: refused by the template.
    expect(() => recordGenerationScript([{ path: "/srv/ql/core/.env", sha256: A }], 5)).toThrow(
      "root script names /srv/ql/core/.env, which is outside the trees root owns: run that part as the runtime user (asUser) or look with inspect()",
    );
  });

  it("parses the list: the current generation and each record, oldest first", () => {
    expect(
      parseGenerations<{ stack: string }>(
        'current 3\ngen 2 {"stack":"quantlab-infra/prod"}\ngen 3 {"stack":"quantlab-infra/prod","x":1}\n',
      ),
    ).toEqual({
      current: 3,
      generations: [
        { n: 2, record: { stack: "quantlab-infra/prod" } },
        { n: 3, record: { stack: "quantlab-infra/prod", x: 1 } },
      ],
    });
    expect(parseGenerations("current none\n")).toEqual({ generations: [] });
  });
});

describe("under a real shell", () => {
  const varLib = scratchDir("gen-lib");
  const varLog = scratchDir("gen-log");
  const tree = scratchDir("gen-tree");
  afterAll(() => [varLib, varLog, tree].forEach((d) => d.cleanup()));
  const bin = path.join(tree.dir, "bin");
  runuserStub(bin);
  const run = (script: Parameters<typeof runOnHost>[0], input = "") =>
    runOnHost(script, { bin, input, mounts: { "/var/lib": varLib.dir, "/var/log": varLog.dir } });
  const state = path.join(varLib.dir, "quantlab-infra");
  const ls = (dir: string) => (fs.existsSync(path.join(state, dir)) ? fs.readdirSync(path.join(state, dir)).sort() : []);

  // A root file (in the scratch /var/log) and a runtime user's file (in a scratch tree).
  const envFile = "/var/log/ql-a.env";
  const dotenv = path.join(tree.dir, ".env");
  const put = (text: string) => fs.writeFileSync(path.join(varLog.dir, "ql-a.env"), text);
  fs.writeFileSync(dotenv, "DOT=1\n");
  const files = (envText: string): StoredFile[] => [
    { path: envFile, sha256: sha(envText) },
    { path: dotenv, sha256: sha("DOT=1\n"), reader: "qlrun" },
  ];
  /** A record as the provider writes it: JSON naming each file's hash. */
  const recordOf = (envText: string, label: string) =>
    JSON.stringify({ label, files: { [envFile]: { sha256: sha(envText) }, [dotenv]: { sha256: sha("DOT=1\n") } } }, null, 2);

  it("records generations, keeps the newest `keep`, and drops the blobs no remaining record names", () => {
    put("A=1\n");
    const r1 = run(recordGenerationScript(files("A=1\n"), 2), recordOf("A=1\n", "one"));
    expect([r1.status, r1.stdout, r1.stderr]).toEqual([0, "generation 1\n", ""]);
    expect(ls("store")).toEqual([sha("A=1\n"), sha("DOT=1\n")].sort());
    expect((fs.statSync(state).mode & 0o777).toString(8)).toBe("700");
    expect((fs.statSync(path.join(state, "store", sha("A=1\n"))).mode & 0o777).toString(8)).toBe("600");
    expect(fs.readFileSync(path.join(state, "store", sha("DOT=1\n")), "utf8")).toBe("DOT=1\n");
    expect(stubLog(bin, "runuser")).toBe("qlrun\n");

    put("A=2\n");
    expect(run(recordGenerationScript(files("A=2\n"), 2), recordOf("A=2\n", "two")).stdout).toBe("generation 2\n");
    // The runtime user's blob is in the store already: not read again.
    expect(stubLog(bin, "runuser")).toBe("qlrun\n");
    put("A=3\n");
    expect(run(recordGenerationScript(files("A=3\n"), 2), recordOf("A=3\n", "three")).stdout).toBe("generation 3\n");
    expect(ls("generations")).toEqual(["2.json", "3.json"]);
    expect(ls("store")).toEqual([sha("A=2\n"), sha("A=3\n"), sha("DOT=1\n")].sort());
    expect(fs.readFileSync(path.join(state, "current"), "utf8")).toBe("3\n");

    const listed = parseGenerations<{ label: string }>(run(listGenerationsScript()).stdout);
    expect([listed.current, listed.generations.map((g) => [g.n, g.record.label])]).toEqual([
      3,
      [
        [2, "two"],
        [3, "three"],
      ],
    ]);
    expect(run(blobScript(sha("A=2\n"))).stdout).toBe("A=2\n");
  });

  it("a file that changed after its gates passed: refused, naming it; no record, no temp blob, current unchanged", () => {
    put("A=edited by hand\n");
    const before = ls("generations");
    const r = run(recordGenerationScript(files("A=4\n"), 2), recordOf("A=4\n", "four"));
    expect([r.status, r.stdout, r.stderr]).toEqual([
      1,
      "",
      `${envFile} changed after its services passed their gates; no generation recorded\n`,
    ]);
    expect(ls("generations")).toEqual(before);
    expect(ls("store").filter((f) => f.startsWith("."))).toEqual([]);
    expect(fs.readFileSync(path.join(state, "current"), "utf8")).toBe("3\n");
  });

  it("mark current: only a generation the store holds", () => {
    expect(run(markCurrentScript(2)).status).toBe(0);
    expect(parseGenerations(run(listGenerationsScript()).stdout).current).toBe(2);
    expect(run(markCurrentScript(1)).status).toBe(1);
    expect(fs.readFileSync(path.join(state, "current"), "utf8")).toBe("2\n");
  });

  it("a blob is kept while any record names it, even one recorded before a rollback", () => {
    // Back on 2 (A=2), a new run records 4 with A=2 again: A=3's blob stays while 3.json names it; pruning 3 drops it.
    put("A=2\n");
    expect(run(recordGenerationScript(files("A=2\n"), 3), recordOf("A=2\n", "four")).stdout).toBe("generation 4\n");
    expect(ls("store")).toEqual([sha("A=2\n"), sha("A=3\n"), sha("DOT=1\n")].sort());
    expect(run(recordGenerationScript(files("A=2\n"), 1), recordOf("A=2\n", "five")).stdout).toBe("generation 5\n");
    expect(ls("generations")).toEqual(["5.json"]);
    expect(ls("store")).toEqual([sha("A=2\n"), sha("DOT=1\n")].sort());
  });

  it("many new blobs at once, two files of one content stored once, each blob its file's bytes; nothing staged is left", () => {
    // Three more of the runtime user's files (one the same as a root file's content) and a second root file.
    const more = ["x.py", "y.py", "z.txt"].map((n) => path.join(tree.dir, n));
    const texts = ["print('x')\n", "A=6\n", "binary \u0000\u00ff end"];
    more.forEach((f, i) => fs.writeFileSync(f, texts[i]!));
    const second = "/var/log/ql-b.env";
    fs.writeFileSync(path.join(varLog.dir, "ql-b.env"), "B=6\n");
    put("A=6\n");
    const set: StoredFile[] = [
      ...files("A=6\n"),
      { path: second, sha256: sha("B=6\n") },
      ...more.map((f, i) => ({ path: f, sha256: sha(texts[i]!), reader: "qlrun" })),
    ];
    const record = JSON.stringify({ files: Object.fromEntries(set.map((f) => [f.path, { sha256: f.sha256 }])) });
    const r = run(recordGenerationScript(set, 5), record);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "generation 6\n", ""]);
    expect(ls("store")).toEqual([...new Set([sha("A=2\n"), ...set.map((f) => f.sha256)])].sort());
    for (const f of set)
      expect(
        crypto
          .createHash("sha256")
          .update(fs.readFileSync(path.join(state, "store", f.sha256)))
          .digest("hex"),
      ).toBe(f.sha256);
    expect(fs.readdirSync(path.join(state, "store")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("a runtime user's file that changed: refused naming it, whatever its neighbours; nothing new in the store", () => {
    const before = ls("store");
    const changed = path.join(tree.dir, "y.py");
    fs.writeFileSync(changed, "A=7 edited\n");
    put("A=7\n");
    const set: StoredFile[] = [
      { path: envFile, sha256: sha("A=7\n") },
      { path: path.join(tree.dir, "x.py"), sha256: sha("print('x')\n"), reader: "qlrun" },
      { path: changed, sha256: sha("Y=7\n"), reader: "qlrun" },
    ];
    const r = run(recordGenerationScript(set, 5), "{}");
    expect([r.status, r.stdout, r.stderr]).toEqual([
      1,
      "",
      `${changed} changed after its services passed their gates; no generation recorded\n`,
    ]);
    expect(fs.readdirSync(path.join(state, "store")).sort()).toEqual(before);
    expect(fs.readFileSync(path.join(state, "current"), "utf8")).toBe("6\n");
  });

  it("with no store yet, the list says so", () => {
    const empty = scratchDir("gen-empty");
    try {
      expect(runOnHost(listGenerationsScript(), { mounts: { "/var/lib": empty.dir } })).toMatchObject({
        status: 0,
        stdout: "current none\n",
        stderr: "",
      });
    } finally {
      empty.cleanup();
    }
  });
});
