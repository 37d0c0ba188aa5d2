/**
 * The runtime's user and group, as a sysusers.d file
 * (/etc/sysusers.d/quantlab.conf): created on a fresh host, left as they are
 * where they already exist.
 */
import { MANAGED_HEADER } from "../model/values";

export interface SysusersSpec {
  readonly user: string;
  readonly group: string;
  readonly home: string;
}

export function renderSysusers(spec: SysusersSpec): string {
  return [MANAGED_HEADER, `g ${spec.group} -`, `u ${spec.user} -:${spec.group} "QuantLab runtime" ${spec.home} /bin/bash`, ""].join("\n");
}
