/**
 * The host tools the runbook's procedures use, by Debian package and the
 * command each provides. The package makes sure they are on the host.
 */

export interface HostTool {
  /** Debian package name. */
  readonly package: string;
  /** The command the runbook types. */
  readonly command: string;
  /** Where the runbook needs it. */
  readonly usedFor: string;
}

export const HOST_TOOLS: readonly HostTool[] = [
  { package: "curl", command: "curl", usedFor: "health checks" },
  { package: "jq", command: "jq", usedFor: "Quick Health Check Script, View Active Runs, collector status" },
  { package: "lsof", command: "lsof", usedFor: "Service Won't Start (who holds the port)" },
  { package: "git", command: "git", usedFor: "Restart After Deploy (git pull)" },
  { package: "nodejs", command: "node", usedFor: "the node services and the scheduler scripts" },
  { package: "npm", command: "npm", usedFor: "npm start" },
  { package: "python3", command: "python3", usedFor: "the collector" },
  { package: "awscli", command: "aws", usedFor: "Replay Not Returning Data (aws s3 ls)" },
];
