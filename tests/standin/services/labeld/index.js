'use strict';
// Stand-in labeld (tests only): see lib/standin.js.
require('../../lib/standin').start({
  service: 'labeld',
  requires: ['LABELD_PORT', 'LABELD_TOKEN', 'FEATUREXD_URL', 'FEATUREXD_TOKEN'],
  port: 'LABELD_PORT', health: { path: '/health', tokenVar: 'LABELD_TOKEN' },
});
