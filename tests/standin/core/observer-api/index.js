'use strict';
// Stand-in observer-api (tests only): see lib/standin.js. GET /api/runs (bearer
// OBSERVER_TOKEN) lists the runs directory: one entry per <id>.json file,
// with the status and strategy the file names and its modification time.
const fs = require('fs');
const path = require('path');

function runs() {
  const dir = process.env.STRATEGYD_RUNS_DIR;
  const list = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const st = fs.statSync(path.join(dir, f));
    let doc = {};
    try { doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch { doc = {}; }
    return { id: f.slice(0, -5), status: doc.status || 'unknown', strategy: doc.strategy, updated: st.mtime.toISOString(), bytes: st.size };
  });
  return { runs: list };
}

require('../../lib/standin').start({
  service: 'observer-api',
  requires: ['OBSERVER_API_PORT', 'OBSERVER_TOKEN', 'STRATEGYD_RUNS_DIR', 'OBSERVER_MODE'],
  port: 'OBSERVER_API_PORT', health: { path: '/ping' },
  routes: { '/api/runs': { tokenVar: 'OBSERVER_TOKEN', handle: runs } },
  dotenv: path.join(__dirname, '../.env'),
});
