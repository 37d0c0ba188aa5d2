'use strict';
// Stand-in job-worker (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'job-worker',
  requires: ['EXECUTION_STREAMING_MAXDD', 'EXECUTION_STREAM_FILLS', 'EXECUTION_FILLS_STREAM_PATH', 'S3_COMPACT_BUCKET'],
  dotenv: require('path').join(__dirname, '../.env'),
});
