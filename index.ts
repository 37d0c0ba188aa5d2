/**
 * quantlab-infra: one stack's config -> everything a QuantLab host needs.
 * Config is read here, once; see config/schema.ts for every key.
 */
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "./program";

const stack = runProgram(pulumi.runtime.allConfig());

/** service -> systemd unit name */
export const units = stack.units;
/** service -> health URL on the host (and whether it wants a bearer token) */
export const healthUrls = stack.healthUrls;
/** bucket names and endpoint the env files carry */
export const buckets = stack.buckets;
/** startup levels of the enabled services (the runbook's safe parallel groups) */
export const startupLevels = stack.startupLevels;
