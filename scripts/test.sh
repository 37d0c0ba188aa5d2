#!/usr/bin/env bash
# Runs all tests: the offline suite (renderers, real validators, provider
# scripts under bash, the program under mocks, hostile configs) and the
# end-to-end suite (the operator command, the real Pulumi engine and the
# package's host provider over SSH against fresh systemd sandbox hosts).
# Installs what it needs first. Ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -f test-results.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results.json "$@" || status=$?
# The quick benchmark (one run per tool, fresh sandbox hosts) so it cannot rot; an erroring bench fails the run.
if (($# == 0)); then npm run --silent bench -- --quick || status=$((status == 0 ? 1 : status)); fi
node scripts/summarize.mjs test-results.json || status=$((status == 0 ? 1 : status))
exit "$status"
