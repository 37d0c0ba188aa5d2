'use strict';
// Stand-in scheduler script (tests only): records that cron ran it.
console.log(`quantlab-standin cron script=generate_daily_health.js ran at_ms=${Date.now()} uid=${process.getuid()}`);
