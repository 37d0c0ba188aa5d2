'use strict';
// Stand-in observer (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'observer',
  requires: ['OBSERVER_TOKEN', 'STRATEGYD_RUNS_DIR', 'OBSERVER_MODE'],
  dotenv: require('path').join(__dirname, '../.env'),
});
