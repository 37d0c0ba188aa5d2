'use strict';
// Stand-in strategyd (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'strategyd',
  requires: ['STRATEGYD_PORT', 'STRATEGYD_TOKEN', 'REPLAYD_URL', 'REPLAYD_TOKEN', 'S3_COMPACT_ENDPOINT', 'RUN_ARCHIVE_S3_BUCKET', 'RUN_ARCHIVE_ENABLED', 'EXECUTION_STREAMING_MAXDD', 'EXECUTION_STREAM_FILLS', 'EXECUTION_FILLS_STREAM_PATH'],
  port: 'STRATEGYD_PORT', health: { path: '/health', tokenVar: 'STRATEGYD_TOKEN' },
});
