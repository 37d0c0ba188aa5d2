/** logrotate rules for the scheduler logs (/etc/logrotate.d/quantlab). */
import { MANAGED_HEADER } from "../model/values";

export interface LogrotateSpec {
  readonly paths: readonly string[];
  readonly user: string;
  readonly group: string;
}

export function renderLogrotate(spec: LogrotateSpec): string {
  return [
    MANAGED_HEADER,
    `${spec.paths.join(" ")} {`,
    "    daily",
    "    rotate 14",
    "    missingok",
    "    notifempty",
    "    compress",
    "    delaycompress",
    `    create 0640 ${spec.user} ${spec.group}`,
    "}",
    "",
  ].join("\n");
}
