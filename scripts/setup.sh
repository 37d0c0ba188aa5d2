#!/usr/bin/env bash
# Installs everything the tests and the sandbox need on a Debian 12 machine
# with Node 20, npm, Go and root, each part only when it is missing or stale:
#
#   deps, image   Debian packages (the validators' systemd-analyze, crontab,
#                 logrotate; the sandbox host's mmdebstrap, nspawn, iproute2,
#                 ssh), then the sandbox host's base image (cached tarball)
#   modules       the Go modules of the two builds below that are missing,
#                 downloaded all at once
#   cli           the pinned Pulumi CLI: a `pulumi` of that version on PATH,
#                 or built from Go modules into .tools/bin (cached)
#   s3            the sandbox host's S3 server (versitygw), built from Go
#                 modules into .tools/bin (cached) with the CLI's flags
#   npm, dist     npm packages as locked (skipped when node_modules already
#                 holds this lock, whoever ran `npm ci`), then dist/ (tsc)
#   launcher      the dynamic-provider launcher from node_modules
#
# The three chains share nothing and run at the same time; the launcher runs
# when all are done. Each step logs to .quantlab/setup/<step>.log and prints
# its duration; a failed step fails setup and shows the end of its log. The
# last line sums it up: "setup: 312.4s (deps 2.1s, image 160.0s, ...)".
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

LOG_DIR=.quantlab/setup
STEPS=(deps image modules cli s3 npm dist launcher)

now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

# step NAME CMD...: runs CMD (stdin closed) with its output in LOG_DIR/NAME.log and
# records its duration. Call it as a plain command of a job (a chain), never in
# a condition: bash ignores `set -e` in whatever a condition runs, children too.
step() {
  local name=$1 log=$LOG_DIR/$1.log t rc=0 took
  shift
  t=$(now_ns)
  "$@" </dev/null >"$log" 2>&1 &
  wait $! || rc=$?
  took=$(secs_since "$t")
  printf '%s\n' "$took" >"$LOG_DIR/$name.secs"
  if ((rc != 0)); then
    printf 'setup: %s FAILED after %ss (exit %s); the end of %s:\n' "$name" "$took" "$rc" "$log" >&2
    tail -n 25 "$log" | sed 's/^/  | /' >&2
    return "$rc"
  fi
  printf 'setup: %-8s %6ss\n' "$name" "$took" >&2
}

npm_ci() {
  # The lock also lists rollup's other-platform packages, which the registry
  # reachable here does not serve: npm ci skips them by os/cpu/libc
  # (scripts/lock-optional.mjs restores them after an `npm install`).
  if node scripts/npm-installed.mjs; then
    echo "node_modules already holds package-lock.json"
    return 0
  fi
  npm ci --no-audit --no-fund --loglevel=error
}

image_chain() {
  step deps bash scripts/sandbox.sh deps systemd cron logrotate
  step image bash scripts/sandbox.sh image
}
# The Go tools: every module they need fetched at once (network-bound), then
# the CLI compiled, then the sandbox host's S3 server (versitygw,
# scripts/sandbox/s3.sh) with the CLI's flags, reusing what that compiled.
cli_chain() {
  step modules bash scripts/pulumi-toolchain.sh --fetch pulumi versitygw
  step cli bash scripts/pulumi-toolchain.sh pulumi
  step s3 bash scripts/pulumi-toolchain.sh versitygw
}
npm_chain() {
  step npm npm_ci
  step dist node scripts/build-dist.js
}
launcher_chain() { step launcher bash scripts/pulumi-toolchain.sh pulumi-resource-pulumi-nodejs; }

# Each chain is a job of its own (set -m: its own process group), so an
# interrupted setup stops every step it started, whatever they run.
CHAINS=()
stop_chains() {
  local pid
  for pid in "${CHAINS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || :; done # a chain that ended is gone
}
on_signal() {
  trap - INT TERM
  printf 'setup: interrupted, stopping the steps\n' >&2
  stop_chains
  wait
  exit 130
}

summary() {
  local s line="" total=$1
  for s in "${STEPS[@]}"; do
    [[ -f $LOG_DIR/$s.secs ]] && line+="${line:+, }$s $(cat "$LOG_DIR/$s.secs")s"
  done
  printf 'setup: %ss (%s)\n' "$total" "$line" >&2
}

main() {
  local t0 pid rc=0
  t0=$(now_ns)
  mkdir -p "$LOG_DIR"
  rm -f "$LOG_DIR"/*.secs
  trap on_signal INT TERM
  set -m
  image_chain &
  CHAINS+=($!)
  cli_chain &
  CHAINS+=($!)
  npm_chain &
  CHAINS+=($!)
  set +m
  for pid in "${CHAINS[@]}"; do wait "$pid" || rc=1; done
  if ((rc == 0)); then
    launcher_chain &
    wait $! || rc=1
  fi
  summary "$(secs_since "$t0")"
  return "$rc"
}

main
