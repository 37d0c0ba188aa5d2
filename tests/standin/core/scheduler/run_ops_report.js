'use strict';
// Stand-in scheduler script (tests only): records that cron ran it.
console.log(`quantlab-standin cron script=run_ops_report.js ran at_ms=${Date.now()} uid=${process.getuid()}`);
