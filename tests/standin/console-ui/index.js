'use strict';
// Stand-in console-ui (tests only): see lib/standin.js.
require('../lib/standin').start({
  service: 'console-ui',
  requires: ['FEATUREXD_URL', 'FEATUREXD_TOKEN', 'LABELD_URL', 'LABELD_TOKEN', 'STRATEGYD_URL', 'STRATEGYD_TOKEN', 'BACKTESTD_URL', 'BACKTESTD_TOKEN'],
});
