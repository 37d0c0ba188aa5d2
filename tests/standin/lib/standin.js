'use strict';
/**
 * Stand-in QuantLab service for the sandbox host (tests only; never installed
 * in production). It behaves as the runbook says the real one does, as far as
 * the infrastructure can see:
 *  - refuses to run as root (exit 77) and refuses to start when a variable it
 *    needs is missing (exit 78), naming the variables;
 *  - refuses to start when a service it depends on is not accepting
 *    connections (exit 75): a start before its dependencies is visible;
 *  - records its start in the journal:
 *    `quantlab-standin started service=<name> at_ms=<epoch ms> pid=<pid>`;
 *  - listens on its port and answers its health path, checking
 *    `Authorization: Bearer <token>` where the runbook requires auth;
 *  - a broken build on demand: with the argument `--health-status=<code>`
 *    (e.g. `services.<name>.command: [/usr/bin/node, index.js,
 *    --health-status=500]` in the stack) it starts and listens, but its
 *    health path answers <code> to every caller.
 */
const fs = require('fs');
const http = require('http');
const net = require('net');

/** Reads KEY='value' lines (the format the package writes) without overriding the environment. */
function loadDotenv(file) {
  const text = fs.readFileSync(file, 'utf8');
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$/.exec(line);
    if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2];
  }
}

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/**
 * @param {{service: string, requires: string[], dotenv?: string, port?: string,
 *          health?: {path: string, tokenVar?: string},
 *          routes?: Record<string, {tokenVar?: string, handle: () => unknown}>}} spec
 *   routes: more GET paths answering JSON (e.g. observer-api's /api/runs), each
 *   checking its bearer token when it names one.
 */
async function start(spec) {
  const { service } = spec;
  if (process.getuid && process.getuid() === 0) {
    console.error(`quantlab-standin refused service=${service}: running as root`);
    process.exit(77);
  }
  if (spec.dotenv) {
    try {
      loadDotenv(spec.dotenv);
    } catch (e) {
      console.error(`quantlab-standin refused service=${service}: cannot read ${spec.dotenv}: ${e.code || e.message}`);
      process.exit(78);
    }
  }
  const missing = spec.requires.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    console.error(`quantlab-standin refused service=${service} missing=${missing.join(',')}`);
    process.exit(78);
  }
  for (const name of spec.requires.filter((n) => n.endsWith('_URL'))) {
    if (!(await reachable(process.env[name]))) {
      console.error(`quantlab-standin dependency-down service=${service} ${name}=${process.env[name]}`);
      process.exit(75);
    }
  }
  console.log(`quantlab-standin started service=${service} at_ms=${Date.now()} pid=${process.pid}`);
  process.on('SIGTERM', () => process.exit(0));

  if (!spec.port) {
    setInterval(() => {}, 1 << 30);
    return;
  }
  const port = Number(process.env[spec.port]);
  const token = spec.health && spec.health.tokenVar ? process.env[spec.health.tokenVar] : undefined;
  const forced = process.argv.map((a) => /^--health-status=(\d{3})$/.exec(a)).find(Boolean);
  http
    .createServer((req, res) => {
      const route = spec.routes && spec.routes[req.url];
      if (route) {
        const want = route.tokenVar ? process.env[route.tokenVar] : undefined;
        if (want !== undefined && req.headers.authorization !== `Bearer ${want}`) res.writeHead(401).end('unauthorized\n');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(route.handle()) + '\n');
      } else if (!spec.health || req.url !== spec.health.path) {
        res.writeHead(404).end();
      } else if (forced) {
        console.error(`quantlab-standin health-forced service=${service} status=${forced[1]}`);
        res.writeHead(Number(forced[1])).end('forced by --health-status\n');
      } else if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end('unauthorized\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ service, status: 'ok' }) + '\n');
      }
    })
    .listen(port, '0.0.0.0');
}

module.exports = { start };
