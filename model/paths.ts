/** Where things live on the host: every fixed path, defined once. */
import type { CronJobName } from "./cron";

/** The systemd env files' directory (root-only). */
export const ENV_DIR = "/etc/quantlab";
export const TMPFILES_PATH = "/etc/tmpfiles.d/quantlab.conf";
export const SYSUSERS_PATH = "/etc/sysusers.d/quantlab.conf";
export const LOGROTATE_PATH = "/etc/logrotate.d/quantlab";
const UNIT_DIR = "/etc/systemd/system";
/** Root's AWS CLI on the host (the runbook's `aws s3 ls`): its config, keys, endpoint plugin, and the login-shell variables naming them. */
export const AWS_CONFIG_PATH = "/etc/quantlab/aws.conf";
export const AWS_CREDENTIALS_PATH = "/etc/quantlab/aws.credentials";
export const AWS_PLUGIN_DIR = "/etc/quantlab/aws-plugins";
export const AWS_PLUGIN_MODULE = "quantlab_s3_endpoint";
export const AWS_PROFILE_PATH = "/etc/profile.d/quantlab-aws.sh";

/** `root/rel`, for a relative path of plain words ("." is the root itself). */
export const join = (root: string, rel: string): string =>
  rel === "." || rel === "" ? root : `${root.replace(/\/$/, "")}/${rel.replace(/^\.\//, "").replace(/\/$/, "")}`;

/** `/etc/quantlab/<basename>` */
export const envFilePath = (basename: string): string => join(ENV_DIR, basename);
/** `/etc/systemd/system/<unit>` */
export const unitFilePath = (unit: string): string => join(UNIT_DIR, unit);
/** `/etc/cron.d/quantlab-<job>`: no dot in the name, or cron skips the file. */
export const cronFilePath = (job: CronJobName): string => `/etc/cron.d/quantlab-${job}`;
/** `/var/log/quantlab-<job>.log` (the runbook's `/var/log/quantlab-ml.log` for the ML job). */
export const cronLogPath = (job: CronJobName): string => `/var/log/quantlab-${job}.log`;

/** Below runtime.backendRoot. */
export const RUNS_DIR = "services/strategyd/runs";
export const CORE_DIR = "core";
export const DOTENV_FILE = "core/.env";

/** Where the package keeps its own host state: the owner record, generations and their file store (root-only). */
export const STATE_ROOT = "/var/lib/quantlab-infra";
/** The owner record's directory (`<project>/<stack>` in `owner`). */
export const OWNER_DIR = "/var/lib/quantlab";

/**
 * The trees root owns and the package writes into as root. No runtime
 * directory may lie inside one (config/rules.ts), so a path here is never in
 * a tree the runtime user can write; host scripts run as root may name only
 * these (host/script.ts).
 */
export const ROOT_TREES = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/var/log", OWNER_DIR, STATE_ROOT] as const;
