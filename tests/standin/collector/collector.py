"""Stand-in collector (tests only): see ../lib/standin.js for the contract.

Refuses root (77) and a missing variable (78), records its start in the
journal, writes collector-alive.json into COLLECTOR_SPOOL_DIR and answers
GET /health and GET /metrics (queue size, writer stats) on COLLECTOR_PORT.
"""
import http.server
import json
import os
import sys
import time

SERVICE = "collector"
REQUIRES = ["COLLECTOR_PORT", "COLLECTOR_SPOOL_DIR"]

if os.getuid() == 0:
    print(f"quantlab-standin refused service={SERVICE}: running as root", file=sys.stderr, flush=True)
    sys.exit(77)
missing = [name for name in REQUIRES if not os.environ.get(name)]
if missing:
    print(f"quantlab-standin refused service={SERVICE} missing={','.join(missing)}", file=sys.stderr, flush=True)
    sys.exit(78)

started_ms = int(time.time() * 1000)
alive = os.path.join(os.environ["COLLECTOR_SPOOL_DIR"], "collector-alive.json")
with open(alive + ".tmp", "w") as f:
    json.dump({"service": SERVICE, "pid": os.getpid(), "started_ms": started_ms}, f)
os.replace(alive + ".tmp", alive)
print(f"quantlab-standin started service={SERVICE} at_ms={started_ms} pid={os.getpid()}", flush=True)


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            code, body = 200, b'{"service":"collector","status":"ok"}\n'
        elif self.path == "/metrics":
            metrics = {"queue_size": 0, "writer": {"files_written": 1, "last_write_ms": started_ms}}
            code, body = 200, (json.dumps(metrics) + "\n").encode()
        else:
            code, body = 404, b""
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["COLLECTOR_PORT"])), Health).serve_forever()
