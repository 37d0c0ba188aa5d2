'use strict';
// Stand-in scheduler script (tests only): records that cron ran it.
console.log(`quantlab-standin cron script=run_daily_prod.js ran at_ms=${Date.now()} uid=${process.getuid()}`);
