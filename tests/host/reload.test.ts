/** The shared daemon-reload (host/reload.ts): asks share runs, and none resolves before a run that began after it. */
import { describe, expect, it } from "vitest";
import { DAEMON_RELOAD, daemonReloader, shared } from "../../host/reload";
import type { HostSession } from "../../host/session";

/** A run the test ends by hand; `log` records each run's start and end and each ask's settling, in order. */
function harness() {
  const log: string[] = [];
  const ends: ((error?: Error) => void)[] = [];
  const ask = shared(() => {
    const n = ends.length + 1;
    log.push(`start ${n}`);
    return new Promise<void>((resolve, reject) =>
      ends.push((error) => {
        log.push(`end ${n}`);
        if (error) reject(error);
        else resolve();
      }),
    );
  });
  const asked = (name: string) =>
    ask().then(
      () => void log.push(`${name} ok`),
      (e: Error) => void log.push(`${name} failed: ${e.message}`),
    );
  const settle = () => new Promise((r) => setImmediate(r));
  /** The first entry is in the log before the second (which ask settles first among those a run served is not fixed). */
  const inOrder = (first: string, second: string) => {
    expect(log).toContain(first);
    expect(log).toContain(second);
    expect(log.indexOf(first)).toBeLessThan(log.indexOf(second));
  };
  return { log, ends, asked, settle, inOrder };
}

describe("shared daemon-reload", () => {
  it("asks made together share one run", async () => {
    const h = harness();
    const all = Promise.all([h.asked("a"), h.asked("b"), h.asked("c")]);
    await h.settle();
    h.ends[0]!();
    await all;
    expect(h.log).toEqual(["start 1", "end 1", "a ok", "b ok", "c ok"]);
  });

  it("asks made while a run is going share the next run, which starts when it ends; no ask settles on the run before it", async () => {
    const h = harness();
    const a = h.asked("a");
    await h.settle();
    const later = Promise.all([h.asked("b"), h.asked("c")]);
    await h.settle();
    expect(h.log).toEqual(["start 1"]);
    h.ends[0]!();
    await a;
    await h.settle();
    const d = h.asked("d"); // during run 2: run 3
    h.ends[1]!();
    await later;
    await h.settle();
    expect(h.log).not.toContain("d ok");
    h.ends[2]!();
    await d;
    expect(h.log.filter((l) => /^(start|end)/.test(l))).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    h.inOrder("end 1", "a ok");
    h.inOrder("end 2", "b ok");
    h.inOrder("end 2", "c ok");
    h.inOrder("end 3", "d ok");
    expect(h.log).toHaveLength(10);
  });

  it("a failed run fails the asks it served, and the next ask starts a run of its own", async () => {
    const h = harness();
    const first = Promise.all([h.asked("a"), h.asked("b")]);
    await h.settle();
    h.ends[0]!(new Error("systemctl daemon-reload on host: Failed"));
    await first;
    const c = h.asked("c");
    await h.settle();
    h.ends[1]!();
    await c;
    expect(h.log).toEqual([
      "start 1",
      "end 1",
      "a failed: systemctl daemon-reload on host: Failed",
      "b failed: systemctl daemon-reload on host: Failed",
      "start 2",
      "end 2",
      "c ok",
    ]);
  });

  it("an ask during a run that fails still gets a run of its own after it", async () => {
    const h = harness();
    const a = h.asked("a");
    await h.settle();
    const b = h.asked("b");
    h.ends[0]!(new Error("boom"));
    await a;
    await h.settle();
    h.ends[1]!();
    await b;
    expect(h.log.filter((l) => /^(start|end)/.test(l))).toEqual(["start 1", "end 1", "start 2", "end 2"]);
    h.inOrder("end 1", "a failed: boom");
    h.inOrder("end 2", "b ok");
    expect(h.log).toHaveLength(6);
  });

  it("the reload is root's systemctl daemon-reload", () => {
    expect([DAEMON_RELOAD.who, DAEMON_RELOAD.text]).toEqual([{ kind: "root" }, "systemctl daemon-reload"]);
  });
});

describe("daemon-reload after the unit files in flight", () => {
  /** A session whose reloads the test ends by hand; `log` records writes, reloads and loads in order. */
  function host() {
    const log: string[] = [];
    const reloads: (() => void)[] = [];
    const session = {
      must: (label: string) => {
        log.push(`${label} start`);
        return new Promise<string>((resolve) => reloads.push(() => (log.push(`${label} end`), resolve(""))));
      },
    } as unknown as HostSession;
    const r = daemonReloader(session);
    const settle = () => new Promise((done) => setImmediate(done));
    /** A unit file's write the test ends by hand (with an error to fail it); `loaded` logs when the reload that covers it is done. */
    const write = (name: string) => {
      let end!: (error?: Error) => void;
      const written = r.write(
        () =>
          new Promise<void>((resolve, reject) => {
            log.push(`write ${name}`);
            end = (error) => (error ? reject(error) : resolve());
          }),
      );
      // What its service would wait for once it is written (c.loaded()).
      const loaded = written.then(() => r.loaded().then(() => void log.push(`${name} loaded`)));
      return { written, loaded, end: (error?: Error) => end(error) };
    };
    return { log, reloads, settle, write };
  }

  it("unit files written together share one reload, which begins once the last is written; each is done before it", async () => {
    const h = host();
    const a = h.write("a");
    const b = h.write("b");
    a.end();
    await a.written;
    await h.settle();
    expect(h.log).toEqual(["write a", "write b"]); // a is done, but no reload while b is being written
    b.end();
    await b.written;
    await h.settle();
    expect(h.log).toEqual(["write a", "write b", "systemctl daemon-reload start"]);
    h.reloads[0]!();
    await Promise.all([a.loaded, b.loaded]);
    expect(h.log.slice(3).sort()).toEqual(["a loaded", "b loaded", "systemctl daemon-reload end"].sort());
    expect(h.log[3]).toBe("systemctl daemon-reload end");
    expect(h.reloads).toHaveLength(1);
  });

  it("a file written during a reload gets the next one; a failed write counts as done, and its error is its caller's", async () => {
    const h = host();
    const a = h.write("a");
    a.end();
    await a.written;
    await h.settle();
    const b = h.write("b");
    const c = h.write("c");
    b.end();
    await b.written;
    c.end(new Error("no space left"));
    await expect(c.written).rejects.toThrow("no space left");
    await expect(c.loaded).rejects.toThrow("no space left");
    await h.settle();
    expect(h.reloads).toHaveLength(1); // b's waits for a's reload to end
    h.reloads[0]!();
    await a.loaded;
    await h.settle();
    expect(h.reloads).toHaveLength(2);
    expect(h.log).not.toContain("b loaded");
    h.reloads[1]!();
    await b.loaded;
    expect(h.log).toEqual([
      "write a",
      "systemctl daemon-reload start",
      "write b",
      "write c",
      "systemctl daemon-reload end",
      "a loaded",
      "systemctl daemon-reload start",
      "systemctl daemon-reload end",
      "b loaded",
    ]);
  });
});
