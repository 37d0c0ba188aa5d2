'use strict';
// Stand-in scheduler script (tests only): records that it ran, and with which arguments when it had any.
const args = process.argv.slice(2);
console.log(`quantlab-standin cron script=run_daily_ml.js ran at_ms=${Date.now()} uid=${process.getuid()}${args.length ? ` args=${args.join(',')}` : ''}`);
