'use strict';
// Stand-in backtestd (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'backtestd',
  requires: ['BACKTESTD_PORT', 'BACKTESTD_TOKEN', 'REPLAYD_URL', 'REPLAYD_TOKEN', 'STRATEGYD_URL', 'STRATEGYD_TOKEN', 'EXECUTION_STREAMING_MAXDD', 'EXECUTION_STREAM_FILLS', 'EXECUTION_FILLS_STREAM_PATH'],
  port: 'BACKTESTD_PORT', health: { path: '/health', tokenVar: 'BACKTESTD_TOKEN' },
});
