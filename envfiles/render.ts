/**
 * Env file rendering. Every value is written as KEY='value', which systemd's
 * EnvironmentFile= and dotenv read as the same string, provided the value has
 * no `'`, newline, CR or NUL (model/values.ts envValueProblem) and the key is
 * a plain identifier. Anything else throws.
 */
import { MANAGED_HEADER, envValueProblem } from "../model/values";

export type EnvVars = ReadonlyArray<readonly [name: string, value: string]>;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The managed header, one comment line saying who reads the file, then the assignments. */
export function renderEnvAssignments(readBy: string, vars: EnvVars): string {
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
  return [MANAGED_HEADER, `# ${readBy}`, ...lines, ""].join("\n");
}

/** A systemd EnvironmentFile= under /etc/quantlab, read by PID 1 as root. */
export function renderEnvFile(unit: string, vars: EnvVars): string {
  return renderEnvAssignments(`Read by systemd for ${unit} (EnvironmentFile=).`, vars);
}

/** The dotenv file the core services and observer-api read themselves. */
export function renderDotenv(readers: readonly string[], vars: EnvVars): string {
  return renderEnvAssignments(`dotenv file read by: ${readers.join(", ")}.`, vars);
}
