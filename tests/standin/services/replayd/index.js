'use strict';
// Stand-in replayd (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'replayd',
  requires: ['REPLAYD_PORT', 'REPLAYD_TOKEN', 'S3_COMPACT_BUCKET', 'S3_COMPACT_ENDPOINT'],
  port: 'REPLAYD_PORT', health: { path: '/health' },
});
