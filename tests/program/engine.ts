/**
 * Runs the program under Pulumi mocks and records every registration as the
 * engine would receive it (type, name, parent, dependencies, protect,
 * retainOnDelete, deleteBeforeReplace, serialized inputs), by wrapping the mock monitor.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  dependencies: string[];
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** Inputs as serialized for the engine (secrets are wrapped in sig envelopes). */
  inputs: Record<string, unknown>;
  /** The declaring code's position and stack, as sent to the engine (stored in the state with the resource). */
  sourcePosition: string | undefined;
  stackFrames: number;
}

export async function recordRegistrations(): Promise<Registration[]> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "quantlab-infra",
    "prod",
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) =>
    register(req, (err: any, resp: any) => {
      if (!err) {
        registrations.push({
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          parent: req.getParent(),
          dependencies: req.getDependenciesList(),
          protect: req.getProtect() ?? false,
          retainOnDelete: req.getRetainondelete() ?? false,
          deleteBeforeReplace: req.getDeletebeforereplace(),
          inputs: req.getObject()?.toJavaScript() ?? {},
          sourcePosition: req.getSourceposition()?.getUri(),
          stackFrames: req.getStacktrace()?.getFramesList().length ?? 0,
        });
      }
      callback(err, resp);
    });
  return registrations;
}

/** Waits until no registration has arrived for a while (the program's applies have settled). */
export async function settled(registrations: Registration[]): Promise<void> {
  let last = -1;
  let quiet = 0;
  while (quiet < 10) {
    await new Promise((r) => setTimeout(r, 20));
    quiet = registrations.length === last ? quiet + 1 : 0;
    last = registrations.length;
  }
}
