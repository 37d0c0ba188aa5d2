# shellcheck shell=bash
# scripts/sandbox/lib.sh - messages, timings and this machine's tools.
# Sourced by scripts/sandbox.sh (set -euo pipefail is on there).

log() { printf '[sandbox %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[sandbox] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
timing() { printf '[sandbox] timing: %s %ss\n' "$1" "$(elapsed "$2")" >&2; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (mmdebstrap, netns, nspawn)"; }

# Debian packages this machine needs to build, boot and reach a sandbox host.
HOST_PKGS=(mmdebstrap systemd-container iproute2 openssh-client util-linux tar coreutils
  procps debian-archive-keyring curl ca-certificates)

# shellcheck disable=SC2016 # ${Status} is dpkg-query's field
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]; }

# Installs HOST_PKGS and the given packages with apt-get when any is missing.
install_deps() {
  local t0 missing=() p
  t0=$(now)
  for p in "${HOST_PKGS[@]}" "$@"; do
    installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "deps: all present (${HOST_PKGS[*]} $*)"
    return 0
  fi
  log "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
  timing deps "$t0"
}

check_tools() {
  local t missing=()
  for t in mmdebstrap systemd-nspawn ip ssh ssh-keygen nsenter setsid flock timeout tar; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "missing host tools: ${missing[*]} (run: $0 deps)"
}
