/** The observer API's /api/runs, asked on the host's loopback with the observer token (the runbook's "View Active Runs"). */
import { root, type Script } from "../script";
import { int } from "../values";

/** Prints the body, then the HTTP status on a last line of its own. */
export function runsScript(port: number, withToken: boolean): Script {
  const p = int(port, 1, 65535);
  return withToken
    ? root`curl -s --max-time 10 -w '\n%{http_code}' -H @- http://127.0.0.1:${p}/api/runs`
    : root`curl -s --max-time 10 -w '\n%{http_code}' http://127.0.0.1:${p}/api/runs`;
}
