#!/usr/bin/env bash
# Runs all tests: the offline suite (renderers, real validators, program under
# mocks, hostile configs) and the end-to-end suite (real Pulumi engine, real
# command provider, real SSH, a fresh systemd sandbox host). Installs what it
# needs first. Ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -f test-results.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results.json "$@" || status=$?
node scripts/summarize.mjs test-results.json || status=$((status == 0 ? 1 : status))
exit "$status"
