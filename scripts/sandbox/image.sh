# shellcheck shell=bash
# scripts/sandbox/image.sh - the base image: a Debian root built once with
# mmdebstrap and cached as a tarball, which `up` extracts fresh.
# Sourced by scripts/sandbox.sh.

SUITE=bookworm
VARIANT=minbase
# Packages of the base image on top of the minbase variant (Priority: required + apt),
# resolved by apt (mmdebstrap) from the suite, its updates and its security updates.
# Changing this list changes the cache key, so a new tarball is built.
IMAGE_PKGS=(
  systemd systemd-sysv dbus openssh-server
  python3 cron logrotate curl ca-certificates jq lsof git
  iproute2 procps less
  nodejs npm
  awscli
)
IMAGE_FORMAT=3 # bump when the way the tarball is built changes (3: mmdebstrap, was debootstrap + apt)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MMDEBSTRAP_HOOKS=/usr/share/mmdebstrap/hooks

joined() { local IFS=,; echo "$*"; }

# The Debian mirror this machine's apt uses for SUITE: the first `deb` source
# whose suite is exactly SUITE with a main component, as apt itself reads its
# sources (sources.list and sources.list.d/*.list / *.sources, Enabled: no and
# all). SANDBOX_MIRROR overrides it, except for the security suite.
# debian_mirror SUITE [optional]: with "optional", prints nothing when none.
debian_mirror() {
  local suite=$1 uris
  if [[ -n ${SANDBOX_MIRROR:-} && $suite != *-security ]]; then printf '%s\n' "$SANDBOX_MIRROR"; return; fi
  # shellcheck disable=SC2016 # $(REPO_URI) is apt's format field, not a shell expansion
  uris=$(apt-get indextargets --no-release-info --format '$(REPO_URI)' \
    'Target-Of: deb' 'Identifier: Packages' 'Component: main' "Release: $suite") ||
    die "apt-get indextargets could not read this machine's apt sources"
  if [[ -z $uris ]]; then
    [[ ${2:-} == optional ]] && return 0
    die "no Debian mirror for '$suite' found in /etc/apt/sources.list{,.d/*}; set SANDBOX_MIRROR"
  fi
  uris=${uris%%$'\n'*}
  printf '%s\n' "${uris%/}"
}

cache_dir() { printf '%s\n' "${SANDBOX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quantlab-sandbox}"; }

image_path() {
  local key
  key=$(printf 'format=%s suite=%s variant=%s include=%s\n' "$IMAGE_FORMAT" "$SUITE" "$VARIANT" \
    "$(joined "${IMAGE_PKGS[@]}")" | sha256sum | cut -c1-12)
  printf '%s/%s-%s.tar\n' "$(cache_dir)" "$SUITE" "$key"
}

# Builds the cached tarball if missing (one builder at a time). Prints its path on stdout.
ensure_image() {
  local img
  img=$(image_path)
  mkdir -p "$(dirname "$img")"
  if [[ ! -s $img ]]; then
    exec 8>"$img.lock"
    flock 8
    if [[ ! -s $img ]]; then build_image "$img"; fi # else built meanwhile
    exec 8>&-
  fi
  printf '%s\n' "$img"
}

build_image() {
  local img=$1 dir build mirror t0
  dir=$(dirname "$img")
  mirror=$(debian_mirror "$SUITE")
  remove_stale_builds "$img"
  build=$(mktemp -d "${img%.tar}.build.XXXXXX")
  log "image: mmdebstrap $SUITE ($VARIANT) from $mirror into $build (cold build, takes a few minutes)"
  t0=$(now)
  bootstrap_root "$build" "$mirror" "$dir/mmdebstrap.log"
  timing mmdebstrap "$t0"
  t0=$(now)
  pack_root "$build" "$img"
  timing tarball "$t0"
  log "image: $img ($(du -h "$img" | cut -f1))"
}

# Roots that an interrupted build of IMG left (a failed one removes its own).
# The caller holds IMG's lock, so no build of it is running.
remove_stale_builds() {
  local stale
  for stale in "${1%.tar}".build.*; do
    if [[ -d $stale ]]; then
      log "image: removing $stale (left by an interrupted build)"
      rm -rf --one-file-system "$stale"
    fi
  done
}

# The image's apt sources, one per line: the suite, its updates, and its
# security updates when this machine has a mirror for them.
image_sources() {
  local mirror=$1 security
  security=$(debian_mirror "$SUITE-security" optional)
  echo "deb $mirror $SUITE main"
  echo "deb $mirror $SUITE-updates main"
  [[ -z $security ]] || echo "deb $security $SUITE-security main"
}

# The root in one pass: mmdebstrap installs IMAGE_PKGS with apt from all of
# image_sources (no upgrade step after) and leaves them as the root's
# sources.list; it keeps daemons from starting and cleans apt's lists and cache.
# Hooks: merged-usr sets up /usr the way debootstrap does (usr-is-merged, not
# the usrmerge package); eatmydata runs dpkg without fsync (the root is only
# tarred afterwards) and is removed again. This machine's hostname and
# resolv.conf, which mmdebstrap copies in, stay out (prepare_rootfs writes both).
bootstrap_root() {
  local build=$1 mirror=$2 logf=$3 list sources keyring=()
  list=$(image_sources "$mirror")
  mapfile -t sources <<<"$list"
  [[ -f $KEYRING ]] && keyring=(--keyring="$KEYRING")
  if ! mmdebstrap --mode=root --variant="$VARIANT" "${keyring[@]}" \
    --hook-dir="$MMDEBSTRAP_HOOKS/merged-usr" --hook-dir="$MMDEBSTRAP_HOOKS/eatmydata" \
    --customize-hook='rm -f "$1/etc/hostname" "$1/etc/resolv.conf"' \
    --include="$(joined "${IMAGE_PKGS[@]}")" \
    "$SUITE" "$build/rootfs" "${sources[@]}" >"$logf" 2>&1 </dev/null; then
    tail -n 40 "$logf" >&2
    fail_build "$build" "mmdebstrap failed (full log: $logf)"
  fi
}

# fail_build BUILD MESSAGE: removes the half-built root and stops.
fail_build() {
  rm -rf --one-file-system "$1"
  die "$2"
}

pack_root() {
  local build=$1 img=$2 root=$1/rootfs
  # mmdebstrap cleaned apt's lists and cache; the container has no route to a mirror anyway.
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -cf "$build/image.tar" .
  mv -f "$build/image.tar" "$img"
  rm -rf --one-file-system "$build"
}
