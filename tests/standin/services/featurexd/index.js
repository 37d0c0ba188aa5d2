'use strict';
// Stand-in featurexd (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'featurexd',
  requires: ['FEATUREXD_PORT', 'FEATUREXD_TOKEN', 'REPLAYD_URL', 'REPLAYD_TOKEN', 'S3_COMPACT_BUCKET', 'S3_COMPACT_ENDPOINT'],
  port: 'FEATUREXD_PORT', health: { path: '/health', tokenVar: 'FEATUREXD_TOKEN' },
});
