/**
 * Root's AWS CLI on the host, pointed at the stack's S3: the runbook's
 * "Replay Not Returning Data" types `aws s3 ls s3://<compact bucket>/...`.
 * Debian 12's AWS CLI (2.9) reads no endpoint from its config (that came in
 * 2.13), so the config loads a small plugin that gives the s3 commands the
 * profile's `s3_endpoint_url`, unless --endpoint-url is given. Root's login
 * shells get AWS_CONFIG_FILE (and, with the stack's keys,
 * AWS_SHARED_CREDENTIALS_FILE) from /etc/profile.d. Pure renderers.
 */
import type { S3Credentials } from "../model/input";
import { AWS_CONFIG_PATH, AWS_CREDENTIALS_PATH, AWS_PLUGIN_DIR, AWS_PLUGIN_MODULE } from "../model/paths";
import { MANAGED_HEADER } from "../model/values";

export function renderAwsConfig(s3: { readonly region: string; readonly endpoint: string }): string {
  return [
    MANAGED_HEADER,
    "# Root's AWS CLI (AWS_CONFIG_FILE, from /etc/profile.d/quantlab-aws.sh): the stack's S3 region and endpoint.",
    "[plugins]",
    `cli_legacy_plugin_path = ${AWS_PLUGIN_DIR}`,
    `${AWS_PLUGIN_MODULE} = ${AWS_PLUGIN_MODULE}`,
    "",
    "[default]",
    `region = ${s3.region}`,
    `s3_endpoint_url = ${s3.endpoint}`,
    "",
  ].join("\n");
}

/** The shared credentials file (root-only): the keys the S3 users sign with. */
export function renderAwsCredentials(keys: S3Credentials): string {
  return [
    MANAGED_HEADER,
    "[default]",
    `aws_access_key_id = ${keys.accessKeyId}`,
    `aws_secret_access_key = ${keys.secretAccessKey}`,
    "",
  ].join("\n");
}

/** The plugin (Python, loaded by the AWS CLI): `s3_endpoint_url` of the profile for the s3 and s3api commands. */
export function renderAwsPlugin(): string {
  return [
    MANAGED_HEADER,
    '"""AWS CLI plugin: the s3 and s3api commands go to the profile\'s s3_endpoint_url, unless --endpoint-url is given."""',
    "",
    "",
    "def awscli_initialize(cli):",
    '    cli.register("top-level-args-parsed", _endpoint)',
    "",
    "",
    "def _endpoint(parsed_args, session=None, **kwargs):",
    '    if session is None or getattr(parsed_args, "endpoint_url", None):',
    "        return",
    '    url = session.get_scoped_config().get("s3_endpoint_url")',
    '    if url and parsed_args.command in ("s3", "s3api"):',
    "        parsed_args.endpoint_url = url",
    "",
  ].join("\n");
}

/** Root's login shells: the config (and keys) above, unless the shell names its own. */
export function renderAwsProfile(withKeys: boolean): string {
  return [
    MANAGED_HEADER,
    "# Root's AWS CLI talks to the stack's S3 (the runbook's `aws s3 ls`).",
    'if [ "$(id -u)" = 0 ]; then',
    `  export AWS_CONFIG_FILE="\${AWS_CONFIG_FILE:-${AWS_CONFIG_PATH}}"`,
    ...(withKeys ? [`  export AWS_SHARED_CREDENTIALS_FILE="\${AWS_SHARED_CREDENTIALS_FILE:-${AWS_CREDENTIALS_PATH}}"`] : []),
    "fi",
    "",
  ].join("\n");
}
