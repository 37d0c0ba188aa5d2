/**
 * Env file rendering. Every value is written as KEY='value', which systemd's
 * EnvironmentFile= and dotenv read as the same string, provided the value has
 * no `'`, newline, CR or NUL and the key is a plain identifier
 * (../shared/FACTS.md, "EnvironmentFile vs dotenv"). Anything else throws.
 */

export type EnvVars = ReadonlyArray<readonly [name: string, value: string]>;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FORBIDDEN: ReadonlyArray<readonly [string, string]> = [
  ["'", "a single quote"],
  ["\n", "a newline"],
  ["\r", "a carriage return"],
  ["\0", "a NUL byte"],
];

/** Why a value cannot be written, or undefined when it can. */
export function envValueProblem(value: string): string | undefined {
  const hit = FORBIDDEN.find(([ch]) => value.includes(ch));
  return hit ? `contains ${hit[1]}` : undefined;
}

export function renderEnvAssignments(header: readonly string[], vars: EnvVars): string {
  const seen = new Set<string>();
  const lines = vars.map(([name, value]) => {
    if (!KEY.test(name)) throw new Error(`env variable name ${JSON.stringify(name)} does not match ${KEY.source}`);
    if (seen.has(name)) throw new Error(`env variable ${name} is set twice`);
    seen.add(name);
    const problem = envValueProblem(value);
    // The value is never echoed: it may be a token.
    if (problem) throw new Error(`env variable ${name}: value ${problem}, which systemd and dotenv would read differently`);
    return `${name}='${value}'`;
  });
  return [...header.map((h) => `# ${h}`), ...lines, ""].join("\n");
}

/** A systemd EnvironmentFile= under /etc/quantlab, read by PID 1 as root. */
export function renderEnvFile(unit: string, vars: EnvVars): string {
  return renderEnvAssignments(
    [
      "Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.",
      `Read by systemd for ${unit} (EnvironmentFile=).`,
    ],
    vars,
  );
}

/** The dotenv file the core services and observer-api read themselves. */
export function renderDotenv(readers: readonly string[], vars: EnvVars): string {
  return renderEnvAssignments(
    [
      "Managed by quantlab-infra (Pulumi): local edits are overwritten by the next `pulumi up`.",
      `dotenv file read by: ${readers.join(", ")}.`,
    ],
    vars,
  );
}
