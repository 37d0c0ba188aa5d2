'use strict';
// Stand-in observer-api (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'observer-api',
  requires: ['OBSERVER_API_PORT', 'OBSERVER_TOKEN', 'STRATEGYD_RUNS_DIR', 'OBSERVER_MODE'],
  port: 'OBSERVER_API_PORT', health: { path: '/ping' },
  dotenv: require('path').join(__dirname, '../.env'),
});
