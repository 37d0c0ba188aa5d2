/** A systemd unit on the host: its state (with the hashes of the files it reads and its health), and its removal. */
import { asUser, lines, root, ROOT_WHO, type Script } from "./script";
import { int, path, probeUrl, unit as unitValue, user } from "./values";

/** A health endpoint on the host's loopback. */
export interface HealthProbe {
  /** e.g. http://127.0.0.1:3030/health */
  readonly url: string;
  /** The bearer token is sent (as a header line on stdin, never in argv). */
  readonly withToken: boolean;
}

/** The bearer header line the curl of a probe reads from stdin (`curl -H @-`), or "" without a token. */
export const bearer = (token: string | undefined): string => (token ? `Authorization: Bearer ${token}\n` : "");

/** The curl that prints a health endpoint's HTTP status (000: nothing answered); with a token, the header comes from stdin. */
export function curlStatus(probe: HealthProbe, maxTime = 5): Script {
  const url = probeUrl(probe.url);
  return probe.withToken
    ? root`curl -s -o /dev/null -w '%{http_code}' --max-time ${maxTimeValue(maxTime)} -H @- ${url}`
    : root`curl -s -o /dev/null -w '%{http_code}' --max-time ${maxTimeValue(maxTime)} ${url}`;
}

const maxTimeValue = (n: number) => int(n, 1, 600);

/**
 * Prints the unit's LoadState, UnitFileState, ActiveState and InvocationID,
 * `read <path> <sha256|absent>` for each file it reads (root's files by root;
 * a file in the runtime user's tree by `reader`), and `health <code>` for its
 * endpoint. With a token, stdin holds the header line.
 */
export function unitStateScript(unitName: string, reads: readonly string[], reader: string, probe?: HealthProbe, header?: number): Script {
  const u = unitValue(unitName);
  const hash = (p: string): Script => {
    const file = path(p);
    const who = file.tree === "root" ? root : asUser(user(reader));
    return root`${who`if [ -f ${file} ] && [ ! -L ${file} ]; then h=$(sha256sum < ${file}); printf 'read %s %s\n' ${file} "\${h%% *}"; else printf 'read %s absent\n' ${file}; fi`}`;
  };
  return lines(ROOT_WHO, [
    root`systemctl show -p LoadState,UnitFileState,ActiveState,InvocationID ${u}`,
    ...reads.map(hash),
    ...(probe
      ? // The token's header line: on stdin, or (several units in one script) line `header` of the $headers array.
        [
          header !== undefined && probe.withToken
            ? root`echo "health $(printf '%s\n' "\${headers[${int(header, 0, 999)}]}" | ${curlStatus(probe)})"`
            : root`echo "health $(${curlStatus(probe)})"`,
        ]
      : []),
  ]);
}

export interface UnitState {
  readonly loaded: boolean;
  readonly enabled: boolean;
  readonly active: boolean;
  /** systemd's id of the unit's current run ("" when it never ran). */
  readonly invocation: string;
  /** path -> sha256 or "absent" */
  readonly reads: Readonly<Record<string, string>>;
  /** HTTP status of the health endpoint ("000": no answer); undefined without a probe. */
  readonly health?: string;
}

export function parseUnitState(out: string): UnitState {
  const props: Record<string, string> = {};
  const reads: Record<string, string> = {};
  let health: string | undefined;
  for (const line of out.split("\n")) {
    const read = /^read (\S+) (\S+)$/.exec(line);
    const probe = /^health (\d{3})$/.exec(line);
    if (read) reads[read[1]!] = read[2]!;
    else if (probe) health = probe[1]!;
    else if (line.includes("=")) props[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
  }
  return {
    loaded: props.LoadState === "loaded",
    enabled: props.UnitFileState === "enabled",
    active: props.ActiveState === "active",
    invocation: props.InvocationID ?? "",
    reads,
    ...(health !== undefined ? { health } : {}),
  };
}

/** Stops and disables the unit when systemd knows it; nothing when it is gone already. */
export function deactivateScript(unitName: string): Script {
  const u = unitValue(unitName);
  return lines(ROOT_WHO, [root`set -eu`, root`if systemctl cat ${u} >/dev/null 2>&1; then systemctl disable --now --quiet ${u}; fi`]);
}

/** Prints `state <unit> <ActiveState>` for each unit. */
export function activeStatesScript(units: readonly string[]): Script {
  return lines(
    ROOT_WHO,
    units.map((name) => {
      const u = unitValue(name);
      return root`printf 'state %s %s\n' ${u} "$(systemctl show -p ActiveState --value ${u})"`;
    }),
  );
}

/** The units of activeStatesScript's output that are not active. */
export function notActive(out: string): Set<string> {
  return new Set(
    out
      .split("\n")
      .map((l) => /^state (\S+) (\S*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[2] !== "active")
      .map((m) => m[1]!),
  );
}
