/** The command table: every command of `npx quantlab`, in the order the usage lists them. */
import type { Command } from "../args";
import { deploy } from "./deploy";
import { destroy } from "./destroy";
import { doctor } from "./doctor";
import { generations, rollback } from "./generations";
import { logs } from "./logs";
import { drift, preview } from "./preview";
import { restart } from "./restart";
import { run } from "./runjob";
import { runs } from "./runs";
import { secret, unlock, validate } from "./stackfile";
import { status } from "./status";
import { up } from "./up";

export const COMMANDS: readonly Command[] = [
  up,
  preview,
  drift,
  destroy,
  status,
  logs,
  restart,
  deploy,
  run,
  doctor,
  runs,
  generations,
  rollback,
  validate,
  secret,
  unlock,
];
