#!/usr/bin/env bash
# The main job on the built-in default: installs what it needs, boots (or
# reuses) a local Debian 12 sandbox host, runs `pulumi up` against it over
# SSH, and prints each service's health.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx vite-node scripts/sandbox-converge.ts
