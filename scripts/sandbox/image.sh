# shellcheck shell=bash
# scripts/sandbox/image.sh - the base image: a Debian root built once with
# debootstrap + apt and cached as a tarball, which `up` extracts fresh.
# Sourced by scripts/sandbox.sh.

SUITE=bookworm
VARIANT=minbase
# Packages of the base image. debootstrap's own resolver cannot configure npm's
# dependency tree (it fails in "configuring base packages"), so the image is built
# in two steps: debootstrap --include=BASE_PKGS, then apt-get install APT_PKGS
# (plus pending bookworm-updates/-security upgrades) inside the new root.
# Changing these lists changes the cache key, so a new tarball is built.
BASE_PKGS=(
  systemd systemd-sysv dbus openssh-server
  python3 cron logrotate curl ca-certificates jq lsof git
  iproute2 procps less
)
APT_PKGS=(nodejs npm)
IMAGE_FORMAT=2 # bump when the way the tarball is built changes

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
  key=$(printf 'format=%s suite=%s variant=%s include=%s apt=%s\n' "$IMAGE_FORMAT" "$SUITE" "$VARIANT" \
    "$(joined "${BASE_PKGS[@]}")" "$(joined "${APT_PKGS[@]}")" | sha256sum | cut -c1-12)
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
  build=$(mktemp -d "$dir/build.XXXXXX")
  log "image: debootstrap $SUITE ($VARIANT) from $mirror into $build (cold build, takes a minute)"
  t0=$(now)
  debootstrap_root "$build" "$mirror" "$dir/debootstrap.log"
  timing debootstrap "$t0"
  t0=$(now)
  apt_install_root "$build" "$mirror" "$dir/debootstrap.log"
  timing apt-install "$t0"
  t0=$(now)
  pack_root "$build" "$img"
  timing tarball "$t0"
  log "image: $img ($(du -h "$img" | cut -f1))"
}

# fail_build BUILD MESSAGE: removes the half-built root and stops.
fail_build() {
  rm -rf --one-file-system "$1"
  die "$2"
}

debootstrap_root() {
  local build=$1 mirror=$2 logf=$3 dir keyring=()
  dir=$(dirname "$logf")
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
    keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  debootstrap --variant="$VARIANT" "${keyring[@]}" --include="$(joined "${BASE_PKGS[@]}")" \
    "$SUITE" "$build/rootfs" "$mirror" >"$logf" 2>&1 && return 0
  # The target's own log says which package failed to configure: keep it beside ours.
  if [[ -f $build/rootfs/debootstrap/debootstrap.log ]]; then
    cp -f "$build/rootfs/debootstrap/debootstrap.log" "$dir/debootstrap-target.log"
  fi
  tail -n 30 "$logf" >&2
  [[ -f $dir/debootstrap-target.log ]] && tail -n 40 "$dir/debootstrap-target.log" >&2
  fail_build "$build" "debootstrap failed (full log: $logf)"
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

apt_install_root() {
  local build=$1 mirror=$2 logf=$3 root=$1/rootfs list
  list=$(image_sources "$mirror")
  printf '%s\n' "$list" >"$root/etc/apt/sources.list"
  # no daemon may start inside the build root
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  # nspawn (no --boot) gives apt a proper /proc, /dev, /sys and tears them down again;
  # it shares this machine's network to reach the mirror.
  # shellcheck disable=SC2016 # "$@" expands in the root's sh
  if ! systemd-nspawn --quiet --register=no --keep-unit -D "$root" \
    --resolv-conf=copy-host --timezone=off --link-journal=no \
    -E DEBIAN_FRONTEND=noninteractive -E LANG=C.UTF-8 \
    sh -euc 'apt-get update -q
             apt-get -y -q -o Dpkg::Options::=--force-confold upgrade
             apt-get -y -q -o Dpkg::Options::=--force-confold install --no-install-recommends "$@"
             apt-get clean' apt "${APT_PKGS[@]}" \
    >>"$logf" 2>&1 </dev/null; then
    tail -n 40 "$logf" >&2
    fail_build "$build" "apt-get install ${APT_PKGS[*]} in the new root failed (log: $logf)"
  fi
  rm -f "$root/usr/sbin/policy-rc.d"
}

pack_root() {
  local build=$1 img=$2 root=$1/rootfs
  # Drop what only makes the tarball bigger; the container has no route to a mirror anyway.
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -cf "$build/image.tar" .
  mv -f "$build/image.tar" "$img"
  rm -rf --one-file-system "$build"
}
