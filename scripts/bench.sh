#!/usr/bin/env bash
# Prints the figures the closing notes ask for, measured on this machine:
#   toolchain: warm check (stamps match) and, with --cold, a build with an empty
#              Go build cache (modules already downloaded);
#   sandbox:   boot from the cached image, reboot, teardown; with --cold, the
#              image build itself (mmdebstrap) into an empty cache.
# The host-script and engine scenarios write their own step timings to
# .sandbox/host-scripts-timings.json and .sandbox/e2e-timings.json; they are
# printed too when present.
#   bash scripts/bench.sh [--cold]
set -euo pipefail
cd "$(dirname "$0")/.."
cold=0
[ "${1:-}" = --cold ] && cold=1

secs() { # secs CMD... -> runs CMD, prints elapsed seconds on stdout, output to the log
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >>"$log" 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

log=$(mktemp /tmp/quantlab-bench.XXXXXX.log)
scratch=$(mktemp -d /tmp/quantlab-bench.XXXXXX)
trap 'bash scripts/sandbox.sh down "$scratch/sbx" >>"$log" 2>&1 || true; rm -rf "$scratch"' EXIT

echo "toolchain warm check:      $(secs bash scripts/pulumi-toolchain.sh) s"
if ((cold)); then
  echo "toolchain cold CLI build:  $(GOCACHE=$scratch/gocache secs bash scripts/pulumi-toolchain.sh --force pulumi) s (empty Go build cache)"
  echo "sandbox image cold build:  $(SANDBOX_CACHE_DIR=$scratch/image secs bash scripts/sandbox.sh image) s (mmdebstrap, empty cache)"
fi
echo "sandbox boot (cached img): $(secs bash scripts/sandbox.sh up "$scratch/sbx") s"
echo "sandbox reboot:            $(secs bash scripts/sandbox.sh reboot "$scratch/sbx") s"
echo "sandbox teardown:          $(secs bash scripts/sandbox.sh down "$scratch/sbx") s"
for f in .sandbox/host-scripts-timings.json .sandbox/e2e-timings.json; do
  [ -f "$f" ] && echo "$f: $(tr -d '\n ' <"$f")"
done
echo "log: $log"
