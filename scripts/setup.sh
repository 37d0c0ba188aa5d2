#!/usr/bin/env bash
# Installs everything the tests and the sandbox need on a Debian 12 machine
# with Node 20, Go and root: Debian packages (the validators and the sandbox
# host's tools), npm packages as locked, the pinned Pulumi CLI built from Go
# modules, and the compiled package (dist/). Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: systemd-analyze/-tmpfiles/-sysusers, crontab and logrotate for
# the validators, and debootstrap/systemd-nspawn/iproute2/ssh for the sandbox host.
bash scripts/sandbox.sh deps systemd cron logrotate

# npm packages exactly as locked (skipped when node_modules was installed from this lock).
# The lock also lists rollup's other-platform packages, which the registry
# reachable here does not serve: npm ci skips them by os/cpu/libc
# (scripts/lock-optional.mjs restores them after an `npm install`).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.quantlab-lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >node_modules/.quantlab-lock.sha256
fi

# The pulumi CLI (Go build, cached) and the dynamic-provider launcher.
bash scripts/pulumi-toolchain.sh >&2

# The compiled package: the operator command and the host provider it loads.
npx tsc -p tsconfig.build.json
date -u +%FT%TZ >dist/.build-stamp

# The sandbox host's base image (debootstrap, cached as a tarball).
bash scripts/sandbox.sh image >/dev/null
