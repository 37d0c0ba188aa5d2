#!/usr/bin/env bash
# Installs everything the package, its tests and the sandbox need, on a fresh
# Debian 12 machine with Node 20, Go and root: Debian packages, npm packages,
# and the Pulumi toolchain built from Go modules. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Validators (systemd-analyze, crontab, logrotate, systemd-tmpfiles/sysusers)
# and the sandbox host (debootstrap, systemd-nspawn, ip netns, ssh).
PACKAGES=(systemd cron logrotate debootstrap systemd-container iproute2 openssh-client curl ca-certificates)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, exactly as locked (skipped when node_modules matches the lock).
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# pulumi CLI, nodejs language host, command provider (Go builds, cached).
bash scripts/pulumi-toolchain.sh >&2
