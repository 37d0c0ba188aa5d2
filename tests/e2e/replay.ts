/**
 * The program's host commands, replayed over real SSH without the Pulumi
 * engine: the program runs under Pulumi mocks (as in tests/program), every
 * `command:remote:Command` it registers is recorded with its create and
 * delete scripts, its stdin and its dependencies, and the scripts then run on
 * the sandbox host in the engine's order (a command runs after every command
 * under the resources it depends on). Destroy runs the delete scripts in
 * reverse order.
 *
 * This exercises everything the package puts on a host (units, env files,
 * cron, tmpfiles, sysusers, code placement, activation order) against a real
 * systemd host where the Pulumi engine and the command provider cannot be
 * built (see README, "Blocked"). It is not a substitute for them: state,
 * diffs and replacement are the engine's and are not exercised here.
 */
import type { Registration } from "../program/engine";

export interface HostCommand {
  readonly name: string;
  readonly create: string;
  readonly delete?: string;
  readonly stdin?: string;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A serialized input value without its secret envelope. */
function plain(value: unknown): unknown {
  if (value && typeof value === "object" && SECRET_SIG in value) return (value as unknown as { value: unknown }).value;
  return value;
}

/** The remote commands in an order the engine could run them (dependencies first, then registration order). */
export function commandsInOrder(regs: readonly Registration[]): HostCommand[] {
  const byUrn = new Map(regs.map((r) => [r.urn, r]));
  const children = new Map<string, Registration[]>();
  for (const r of regs) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const commandsUnder = (urn: string): string[] => {
    const r = byUrn.get(urn);
    const own = r?.type === "command:remote:Command" ? [urn] : [];
    return [...own, ...(children.get(urn) ?? []).flatMap((c) => commandsUnder(c.urn))];
  };
  // A dependency on a component is a dependency on everything under it (and on what its ancestors depend on).
  const depsOf = (r: Registration): Set<string> => {
    const deps = new Set<string>();
    for (let at: Registration | undefined = r; at; at = byUrn.get(at.parent)) {
      for (const d of at.dependencies) for (const c of commandsUnder(d)) deps.add(c);
    }
    deps.delete(r.urn);
    return deps;
  };
  const commands = regs.filter((r) => r.type === "command:remote:Command");
  const done = new Set<string>();
  const ordered: HostCommand[] = [];
  while (ordered.length < commands.length) {
    const next = commands.find((c) => !done.has(c.urn) && [...depsOf(c)].every((d) => done.has(d)));
    if (!next) throw new Error("dependency cycle among the recorded commands");
    done.add(next.urn);
    const inputs = next.inputs as Record<string, unknown>;
    ordered.push({
      name: next.name,
      create: String(plain(inputs.create)),
      delete: inputs.delete === undefined ? undefined : String(plain(inputs.delete)),
      stdin: inputs.stdin === undefined ? undefined : String(plain(inputs.stdin)),
    });
  }
  return ordered;
}
