#!/usr/bin/env bash
# scripts/sandbox.sh - a fresh Debian 12 (bookworm) systemd host for tests.
#
# The host is a systemd-nspawn container booted (-b, systemd as PID 1) inside a
# network namespace of its own, reachable over SSH (key only) at 10.231.X.2:22
# from this machine through a veth pair. Nothing listens on this machine's own
# interfaces and no traffic leaves the namespace pair.
#
# Usage:
#   scripts/sandbox.sh deps [PKG...]            install host tools (and PKGs) with apt if missing
#   scripts/sandbox.sh image                    build/cache the base tarball only
#   scripts/sandbox.sh up STATE_DIR             extract fresh rootfs, boot, wait, write host.json
#   scripts/sandbox.sh ssh STATE_DIR [cmd...]   run cmd over SSH (pinned host key, BatchMode)
#   scripts/sandbox.sh exec STATE_DIR cmd...    run cmd in the container via nsenter (clean env)
#   scripts/sandbox.sh reboot STATE_DIR         reboot inside; boot again on the same rootfs
#   scripts/sandbox.sh status STATE_DIR         print running/stopped (exit 0 / 3)
#   scripts/sandbox.sh down STATE_DIR [--keep-rootfs]
#                                               poweroff, remove netns/veth, remove rootfs
#
# Environment:
#   SANDBOX_CACHE_DIR     base tarball cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/quantlab-sandbox)
#   SANDBOX_MIRROR        Debian mirror (default: read from /etc/apt/sources.list{,.d/*})
#   SANDBOX_BOOT_TIMEOUT  seconds to wait for ssh + is-system-running (default 120)
#   SANDBOX_KEEP_ROOTFS=1 same as down --keep-rootfs
#
# STATE_DIR layout (written by up): rootfs/ id_ed25519{,.pub} known_hosts host.json
#   net.env nspawn.pid wrapper.pid container.pid nspawn.exit nspawn.log sandbox.log
set -euo pipefail

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
SSH_PORT=22

log() { printf '[sandbox %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[sandbox] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
timing() { printf '[sandbox] timing: %s %ss\n' "$1" "$(elapsed "$2")" >&2; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, netns, nspawn)"; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- deps
HOST_PKGS=(debootstrap systemd-container iproute2 openssh-client util-linux tar coreutils
  procps debian-archive-keyring curl ca-certificates)

cmd_deps() {
  need_root
  local t0 missing=() p
  t0=$(now)
  for p in "${HOST_PKGS[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
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
  for t in debootstrap systemd-nspawn ip ssh ssh-keygen nsenter setsid flock timeout tar; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "missing host tools: ${missing[*]} (run: $0 deps)"
}

# ---------------------------------------------------------------- base image
# Debian mirror configured on this machine: first deb entry whose suites include
# exactly $SUITE (not -security/-updates), from deb822 .sources or one-line .list files.
detect_mirror() {
  local SUITE=${1:-$SUITE} f m=""
  if [[ -n ${SANDBOX_MIRROR:-} && $SUITE != *-security ]]; then printf '%s\n' "$SANDBOX_MIRROR"; return; fi
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    m=$(awk -v suite="$SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " ") && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = ""; suites = ""; uris = ""; enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
        if (key == "types") types = val; else if (key == "suites") suites = val
        else if (key == "uris") uris = val; else if (key == "enabled") enabled = tolower(val) }
      END { if (!found) flush() }' "$f")
    [[ -n $m ]] && break
  done
  if [[ -z $m ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      m=$(awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit } }' "$f")
      [[ -n $m ]] && break
    done
  fi
  shopt -u nullglob
  [[ -n $m || ${2:-} == optional ]] || die "no Debian mirror for '$SUITE' found in /etc/apt/sources.list{,.d/*}; set SANDBOX_MIRROR"
  [[ -z $m ]] || printf '%s\n' "${m%/}"
}

cache_dir() { printf '%s\n' "${SANDBOX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quantlab-sandbox}"; }

image_path() {
  local key
  key=$(printf 'format=%s suite=%s variant=%s include=%s apt=%s\n' "$IMAGE_FORMAT" "$SUITE" "$VARIANT" \
    "$(IFS=,; echo "${BASE_PKGS[*]}")" "$(IFS=,; echo "${APT_PKGS[*]}")" | sha256sum | cut -c1-12)
  printf '%s/%s-%s.tar\n' "$(cache_dir)" "$SUITE" "$key"
}

# Builds the cached tarball if missing. Prints its path on stdout.
ensure_image() {
  local img dir mirror security keyring=() t0 build
  img=$(image_path)
  dir=$(dirname "$img")
  mkdir -p "$dir"
  if [[ -s $img ]]; then printf '%s\n' "$img"; return; fi
  exec 8>"$img.lock"
  flock 8
  if [[ -s $img ]]; then exec 8>&-; printf '%s\n' "$img"; return; fi # built meanwhile
  mirror=$(detect_mirror)
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
    keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  build=$(mktemp -d "$dir/build.XXXXXX")
  log "image: debootstrap $SUITE ($VARIANT) from $mirror into $build (cold build, takes a minute)"
  t0=$(now)
  if ! debootstrap --variant="$VARIANT" "${keyring[@]}" \
    --include="$(IFS=,; echo "${BASE_PKGS[*]}")" \
    "$SUITE" "$build/rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1; then
    cp -f "$build/rootfs/debootstrap/debootstrap.log" "$dir/debootstrap-target.log" 2>/dev/null || true
    tail -n 30 "$dir/debootstrap.log" >&2
    [[ -f $dir/debootstrap-target.log ]] && tail -n 40 "$dir/debootstrap-target.log" >&2
    rm -rf --one-file-system "$build"
    die "debootstrap failed (full log: $dir/debootstrap.log)"
  fi
  timing debootstrap "$t0"
  t0=$(now)
  security=$(detect_mirror "$SUITE-security" optional)
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    [[ -z $security ]] || echo "deb $security $SUITE-security main"
  } >"$build/rootfs/etc/apt/sources.list"
  # no daemon may start inside the build root
  printf '#!/bin/sh\nexit 101\n' >"$build/rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$build/rootfs/usr/sbin/policy-rc.d"
  # nspawn (no --boot) gives apt a proper /proc, /dev, /sys and tears them down again;
  # it shares this machine's network to reach the mirror.
  if ! systemd-nspawn --quiet --register=no --keep-unit -D "$build/rootfs" \
    --resolv-conf=copy-host --timezone=off --link-journal=no \
    -E DEBIAN_FRONTEND=noninteractive -E LANG=C.UTF-8 \
    sh -euc 'apt-get update -q
             apt-get -y -q -o Dpkg::Options::=--force-confold upgrade
             apt-get -y -q -o Dpkg::Options::=--force-confold install --no-install-recommends "$@"
             apt-get clean' apt "${APT_PKGS[@]}" \
    >>"$dir/debootstrap.log" 2>&1 </dev/null; then
    tail -n 40 "$dir/debootstrap.log" >&2
    rm -rf --one-file-system "$build"
    die "apt-get install ${APT_PKGS[*]} in the new root failed (log: $dir/debootstrap.log)"
  fi
  rm -f "$build/rootfs/usr/sbin/policy-rc.d"
  timing apt-install "$t0"
  # Drop what only makes the tarball bigger; the container has no route to a mirror anyway.
  rm -rf "$build/rootfs/var/cache/apt/archives/"*.deb "$build/rootfs/var/lib/apt/lists/"* \
    "$build/rootfs/var/cache/apt/"*.bin
  t0=$(now)
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$build/rootfs" -cf "$build/image.tar" .
  mv -f "$build/image.tar" "$img"
  rm -rf --one-file-system "$build"
  timing tarball "$t0"
  log "image: $img ($(du -h "$img" | cut -f1))"
  exec 8>&-
  printf '%s\n' "$img"
}

cmd_image() { need_root; check_tools; ensure_image; }

# ---------------------------------------------------------------- state
STATE="" ROOTFS="" NS="" VETH_H="" X="" HOST_IP="" CT_IP="" HASH=""

load_state() {
  local arg=${1:-}
  [[ -n $arg ]] || die "STATE_DIR argument required"
  if [[ ${2:-} == create ]]; then mkdir -p "$arg"; fi
  [[ -d $arg ]] || die "STATE_DIR $arg does not exist"
  STATE=$(cd "$arg" && pwd -P)
  [[ $STATE != / ]] || die "STATE_DIR must not be /"
  [[ $STATE != *[\"\\\ ]* ]] || die "STATE_DIR path must not contain quotes, backslashes or spaces: $STATE"
  ROOTFS=$STATE/rootfs
  HASH=$(printf '%s' "$STATE" | sha256sum | cut -c1-8)
  NS=qlsbx-$HASH
  VETH_H=qlh-$HASH
  if [[ -f $STATE/net.env ]]; then
    # shellcheck disable=SC1091
    X=$(. "$STATE/net.env"; echo "$X")
  fi
}

lock_state() {
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "another sandbox.sh holds $STATE/.lock"
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { [[ -f $STATE/$1 ]] && cat "$STATE/$1" 2>/dev/null || true; }

# The nspawn process we started (validated by name so a recycled pid is never used).
nspawn_pid() {
  local p
  p=$(read_pid nspawn.pid)
  [[ -n $p ]] && pid_alive "$p" && [[ $(cat "/proc/$p/comm" 2>/dev/null) == systemd-nspawn ]] &&
    printf '%s\n' "$p"
  return 0
}

# Container PID 1: the child of our nspawn process that is PID 1 of its pid namespace.
container_pid() {
  local np c
  np=$(nspawn_pid)
  [[ -n $np ]] || return 0
  for c in $(cat /proc/"$np"/task/*/children 2>/dev/null); do
    if awk '/^NSpid:/ { exit !($NF == 1 && NF > 2) }' "/proc/$c/status" 2>/dev/null; then
      printf '%s\n' "$c"
      return 0
    fi
  done
}

SSH_OPTS=()
ssh_opts() {
  SSH_OPTS=(-F /dev/null -i "$STATE/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$STATE/known_hosts"
    -o GlobalKnownHostsFile=/dev/null -o HostKeyAlgorithms=ssh-ed25519
    -o ConnectTimeout=5 -o ServerAliveInterval=5 -o ServerAliveCountMax=3
    -o LogLevel=ERROR -p "$SSH_PORT")
}

# ---------------------------------------------------------------- network
pick_subnet() {
  if [[ -n $X ]]; then return; fi
  local base i cand used
  base=$((16#${HASH:0:4} % 250 + 1))
  used=$(ip -4 -o addr show 2>/dev/null | awk '{print $4}' | grep -E '^10\.231\.' | cut -d. -f3 || true)
  for ((i = 0; i < 250; i++)); do
    cand=$(((base - 1 + i) % 250 + 1))
    if ! grep -qx "$cand" <<<"$used"; then X=$cand; break; fi
  done
  [[ -n $X ]] || die "no free 10.231.X.0/30 subnet"
  printf 'X=%s\n' "$X" >"$STATE/net.env"
}

net_vars() { HOST_IP=10.231.$X.1; CT_IP=10.231.$X.2; }

net_up() {
  pick_subnet
  net_vars
  if ! ip netns list | awk '{print $1}' | grep -qx "$NS"; then
    ip netns add "$NS"
  fi
  ip -n "$NS" link set lo up
  if ! ip -n "$NS" link show eth0 >/dev/null 2>&1; then
    ip link del "$VETH_H" 2>/dev/null || true
    ip link add "$VETH_H" type veth peer name eth0 netns "$NS"
  fi
  ip addr replace "$HOST_IP/30" dev "$VETH_H"
  ip link set "$VETH_H" up
  ip -n "$NS" addr replace "$CT_IP/30" dev eth0
  ip -n "$NS" link set eth0 up
}

net_down() {
  if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$NS"; then
    local pids
    pids=$(ip netns pids "$NS" 2>/dev/null || true)
    [[ -z $pids ]] || die "processes still in netns $NS: $pids"
    ip netns del "$NS"
  fi
  ip link del "$VETH_H" 2>/dev/null || true
}

# ---------------------------------------------------------------- rootfs preparation
prepare_rootfs() {
  local r=$ROOTFS hn=qlsbx-$HASH
  touch "$r/.qlsbx-rootfs"
  # identity
  printf '%s\n' "$hn" >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$hn" >"$r/etc/hosts"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$r/etc/machine-id"
  echo >>"$r/etc/machine-id"
  printf '# quantlab sandbox: no DNS (isolated network namespace)\n' >"$r/etc/resolv.conf"
  # deploy must not exist: the package under test creates it
  if grep -q '^deploy:' "$r/etc/passwd"; then
    userdel --root "$r" --remove deploy >/dev/null 2>&1 || die "could not remove user deploy from rootfs"
  fi
  rm -rf --one-file-system "$r/home/deploy"
  # SSH: fresh client key (for root), fresh host key, key-only auth
  rm -f "$STATE/id_ed25519" "$STATE/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C "quantlab-sandbox-$HASH" -f "$STATE/id_ed25519"
  chmod 600 "$STATE/id_ed25519"
  install -d -m 700 "$r/root/.ssh"
  install -m 600 "$STATE/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
  rm -f "$r"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "root@$hn" -f "$r/etc/ssh/ssh_host_ed25519_key"
  install -d -m 755 "$r/etc/ssh/sshd_config.d"
  cat >"$r/etc/ssh/sshd_config.d/10-quantlab-sandbox.conf" <<'EOF'
# written by scripts/sandbox.sh
HostKey /etc/ssh/ssh_host_ed25519_key
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
EOF
  # Units that cannot work in a container / would only add noise.
  local u
  for u in console-getty.service getty@tty1.service systemd-timesyncd.service \
    apt-daily.timer apt-daily-upgrade.timer; do
    ln -sfn /dev/null "$r/etc/systemd/system/$u"
  done
  # The container has no login console: send journald output only to the journal.
  install -d -m 755 "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nForwardToConsole=no\nForwardToWall=no\n' \
    >"$r/etc/systemd/journald.conf.d/10-quantlab-sandbox.conf"
}

# ---------------------------------------------------------------- boot / wait
start_container() {
  local np i
  rm -f "$STATE/nspawn.pid" "$STATE/wrapper.pid" "$STATE/container.pid" "$STATE/nspawn.exit"
  printf '\n===== boot %s =====\n' "$(date -Is)" >>"$STATE/nspawn.log"
  # The wrapper records nspawn's pid and exit status (133 = the container rebooted).
  # setsid: own session, so the caller's terminal/process group does not reach it.
  # All fds are redirected so a caller capturing our output is not kept open.
  setsid bash -c '
    state=$1; cg=$2; shift 2
    echo $$ >"$state/wrapper.pid"
    # Its own cgroup: the container (own cgroup namespace) then sees only its subtree.
    [[ -z $cg ]] || { mkdir -p "$cg" && echo $$ >"$cg/cgroup.procs"; }
    "$@" &
    echo $! >"$state/nspawn.pid"
    rc=0; wait $! || rc=$?
    echo "$rc" >"$state/nspawn.exit"
  ' qlsbx-wrapper "$STATE" "$(cgroup_dir)" \
    env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
    systemd-nspawn --quiet --register=no --keep-unit --boot \
    --directory="$ROOTFS" --machine="qlsbx-$HASH" \
    --network-namespace-path="/run/netns/$NS" \
    --resolv-conf=off --timezone=off --link-journal=no --console=read-only \
    </dev/null >>"$STATE/nspawn.log" 2>&1 8>&- 9>&- &
  for ((i = 0; i < 100; i++)); do
    np=$(nspawn_pid)
    [[ -n $np ]] && break
    [[ -f $STATE/nspawn.exit ]] && break
    sleep 0.1
  done
  [[ -n $np ]] || { tail -n 20 "$STATE/nspawn.log" >&2; die "systemd-nspawn did not start (log: $STATE/nspawn.log)"; }
  for ((i = 0; i < 100; i++)); do
    [[ -n $(container_pid) ]] && break
    sleep 0.1
  done
  [[ -n $(container_pid) ]] || { tail -n 20 "$STATE/nspawn.log" >&2; die "container PID 1 not found (log: $STATE/nspawn.log)"; }
  container_pid >"$STATE/container.pid"
}

# Harmless failed units (none known so far); extend with SANDBOX_ALLOW_FAILED="a.service b.service".
ALLOW_FAILED=${SANDBOX_ALLOW_FAILED:-}

wait_running() {
  local t0=$1 deadline state out failed bad u
  deadline=$(($(date +%s) + ${SANDBOX_BOOT_TIMEOUT:-120}))
  ssh_opts
  while :; do
    if [[ -z $(nspawn_pid) ]]; then
      tail -n 30 "$STATE/nspawn.log" >&2
      die "container exited during boot (exit $(cat "$STATE/nspawn.exit" 2>/dev/null || echo ?); log: $STATE/nspawn.log)"
    fi
    if out=$(timeout 5 ssh "${SSH_OPTS[@]}" "root@$CT_IP" true 2>&1); then break; fi
    if (($(date +%s) > deadline)); then
      die "timeout: ssh to root@$CT_IP not working after ${SANDBOX_BOOT_TIMEOUT:-120}s: $out (log: $STATE/nspawn.log)"
    fi
    sleep 0.3
  done
  printf '[sandbox] timing: ssh-ready %ss\n' "$(elapsed "$t0")" >&2
  state=$(timeout $((deadline - $(date +%s) + 5)) ssh "${SSH_OPTS[@]}" "root@$CT_IP" \
    systemctl is-system-running --wait 2>&1) || true
  case $state in
  running) ;;
  degraded)
    failed=$(ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl list-units --failed --plain --no-legend --no-pager |
      awk '{print $1}')
    bad=""
    for u in $failed; do
      [[ " $ALLOW_FAILED " == *" $u "* ]] || bad+="$u "
    done
    log "degraded; failed units: $failed"
    if [[ -n $bad ]]; then
      ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl status --no-pager --lines=15 $bad >&2 || true
      die "container degraded, failed units: $bad"
    fi
    ;;
  *) die "systemctl is-system-running says '$state' (log: $STATE/nspawn.log)" ;;
  esac
  printf '[sandbox] timing: system-running %ss (%s)\n' "$(elapsed "$t0")" "$state" >&2
}

write_host_json() {
  local hostkey
  hostkey=$(awk '{print $1" "$2}' "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub")
  printf '%s %s\n' "$CT_IP" "$hostkey" >"$STATE/known_hosts"
  cat >"$STATE/host.json.tmp" <<EOF
{"address":"$CT_IP","port":$SSH_PORT,"user":"root","privateKeyPath":"$STATE/id_ed25519","hostKey":"$hostkey","namespace":"$NS","rootfs":"$ROOTFS"}
EOF
  mv -f "$STATE/host.json.tmp" "$STATE/host.json"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  need_root
  check_tools
  load_state "${1:-}" create
  lock_state
  local t_all img t0
  t_all=$(now)
  if [[ -n $(nspawn_pid) && -f $STATE/host.json ]]; then
    net_vars
    log "already up: $STATE (use down first for a fresh host)"
    wait_running "$t_all"
    return 0
  fi
  # leftovers of a failed or interrupted run
  stop_container
  net_down
  img=$(ensure_image)
  if [[ -e $ROOTFS ]]; then
    remove_rootfs
  fi
  t0=$(now)
  mkdir -p "$ROOTFS"
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$ROOTFS" -xpf "$img"
  timing extract "$t0"
  rm -f "$STATE/host.json" "$STATE/known_hosts"
  t0=$(now)
  net_up
  prepare_rootfs
  write_host_json
  timing prepare "$t0"
  t0=$(now)
  start_container
  wait_running "$t0"
  timing boot "$t0"
  timing up-total "$t_all"
  log "up: $STATE/host.json (ssh root@$CT_IP, netns $NS)"
}

cmd_ssh() {
  load_state "${1:-}"
  shift
  [[ -f $STATE/host.json ]] || die "no host.json in $STATE (run up first)"
  net_vars
  ssh_opts
  local tty=()
  if (($# == 0)) && [[ -t 0 ]]; then tty=(-t); fi
  exec ssh "${SSH_OPTS[@]}" "${tty[@]}" "root@$CT_IP" "$@"
}

cmd_exec() {
  load_state "${1:-}"
  shift
  (($# > 0)) || die "exec: command required"
  local cp
  cp=$(container_pid)
  [[ -n $cp ]] || die "container of $STATE is not running"
  exec nsenter -t "$cp" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

cmd_status() {
  load_state "${1:-}"
  if [[ -n $(nspawn_pid) ]]; then
    echo "running nspawn=$(nspawn_pid) pid1=$(container_pid) netns=$NS"
  else
    echo stopped
    return 3
  fi
}

wait_gone() { # pid timeout_s
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    pid_alive "$1" || return 0
    sleep 0.1
  done
  ! pid_alive "$1"
}

cmd_reboot() {
  need_root
  load_state "${1:-}"
  lock_state
  local np t0 rc
  np=$(nspawn_pid)
  [[ -n $np ]] || die "container of $STATE is not running"
  [[ -d $ROOTFS ]] || die "no rootfs in $STATE"
  net_vars
  ssh_opts
  t0=$(now)
  timeout 10 ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl reboot >/dev/null 2>&1 || true
  wait_gone "$np" "${SANDBOX_BOOT_TIMEOUT:-120}" || die "container did not shut down for reboot within ${SANDBOX_BOOT_TIMEOUT:-120}s"
  local i
  for ((i = 0; i < 50; i++)); do [[ -f $STATE/nspawn.exit ]] && break; sleep 0.1; done
  rc=$(cat "$STATE/nspawn.exit" 2>/dev/null || echo '?')
  if [[ $rc == 133 ]]; then log "reboot: nspawn exited 133 (reboot)"; else log "warning: nspawn exit status $rc (expected 133 for reboot)"; fi
  timing reboot-shutdown "$t0"
  net_up # idempotent; the namespace outlives the container
  start_container
  wait_running "$t0"
  timing reboot "$t0"
}

# The container's cgroup in the unified (cgroup2) hierarchy. Without one of its
# own, a container on a host whose PID 1 is not systemd shares the root cgroup
# with every other sandbox, and its systemd cannot see, stop or kill the
# processes of its own units (a restart would leave the old process running).
cgroup_dir() {
  local root
  root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  [[ -n $root ]] && printf '%s/qlsbx-%s\n' "$root" "$HASH"
}

remove_cgroup() {
  local cg
  cg=$(cgroup_dir)
  [[ -n $cg && -d $cg ]] || return 0
  find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || log "cgroup $cg not removed (processes left in it?)"
}

stop_container() {
  local np cp wp
  np=$(nspawn_pid)
  cp=$(read_pid container.pid)
  wp=$(read_pid wrapper.pid)
  if [[ -n $np ]]; then
    net_vars 2>/dev/null || true
    if [[ -n $X && -f $STATE/id_ed25519 ]]; then
      ssh_opts
      timeout 10 ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl poweroff >/dev/null 2>&1 || true
    fi
    if ! wait_gone "$np" 30; then
      log "poweroff over ssh did not stop the container; SIGTERM to nspawn $np"
      kill -TERM "$np" 2>/dev/null || true
      if ! wait_gone "$np" 20; then
        log "SIGKILL to container PID 1 ${cp:-?} and nspawn $np"
        cp=$(container_pid)
        [[ -n $cp ]] && kill -KILL "$cp" 2>/dev/null || true
        kill -KILL "$np" 2>/dev/null || true
        wait_gone "$np" 10 || die "nspawn $np does not die"
      fi
    fi
  fi
  # a container PID 1 left behind by a SIGKILLed nspawn (validated: PID 1 of its pid ns, root in our rootfs)
  if [[ -n $cp ]] && pid_alive "$cp" &&
    [[ $(readlink "/proc/$cp/root" 2>/dev/null) == "$ROOTFS" ]]; then
    kill -KILL "$cp" 2>/dev/null || true
    wait_gone "$cp" 10 || true
  fi
  if [[ -n $wp ]] && pid_alive "$wp" && grep -q qlsbx-wrapper "/proc/$wp/cmdline" 2>/dev/null; then
    wait_gone "$wp" 5 || kill -TERM "$wp" 2>/dev/null || true
  fi
  rm -f "$STATE/nspawn.pid" "$STATE/wrapper.pid" "$STATE/container.pid"
  remove_cgroup
}

mounts_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo; }

procs_in_rootfs() {
  local d r
  for d in /proc/[0-9]*; do
    r=$(readlink "$d/root" 2>/dev/null) || continue
    [[ $r == "$ROOTFS" || $r == "$ROOTFS"/* ]] && printf '%s ' "${d#/proc/}"
  done
  return 0
}

remove_rootfs() {
  [[ -d $ROOTFS ]] || return 0
  [[ -z $(mounts_under "$ROOTFS") ]] || die "mounts left under $ROOTFS: $(mounts_under "$ROOTFS" | tr '\n' ' ')"
  if [[ ! -e $ROOTFS/.qlsbx-rootfs && ! -e $ROOTFS/etc/debian_version ]] && [[ -n $(ls -A "$ROOTFS") ]]; then
    die "$ROOTFS does not look like a sandbox rootfs; not removing"
  fi
  rm -rf --one-file-system "$ROOTFS"
}

cmd_down() {
  need_root
  local keep=${SANDBOX_KEEP_ROOTFS:-0} arg="" a t0 left
  for a in "$@"; do
    case $a in
    --keep-rootfs) keep=1 ;;
    -*) die "down: unknown option $a" ;;
    *) arg=$a ;;
    esac
  done
  [[ -n $arg ]] || die "down: STATE_DIR required"
  if [[ ! -d $arg ]]; then log "down: $arg does not exist, nothing to do"; return 0; fi
  load_state "$arg"
  lock_state
  t0=$(now)
  stop_container
  left=$(procs_in_rootfs)
  [[ -z $left ]] || die "processes still running in $ROOTFS: $left"
  net_down
  [[ -z $(mounts_under "$ROOTFS") ]] || die "mounts left under $ROOTFS"
  if ip netns list | awk '{print $1}' | grep -qx "$NS"; then die "netns $NS still exists"; fi
  if ip link show "$VETH_H" >/dev/null 2>&1; then die "veth $VETH_H still exists"; fi
  if [[ $keep != 1 ]]; then remove_rootfs; fi
  rm -f "$STATE/host.json" "$STATE/known_hosts"
  timing down "$t0"
  log "down: $STATE stopped, netns $NS removed${keep:+$([[ $keep == 1 ]] && echo ', rootfs kept')}"
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
  deps) cmd_deps "$@" ;;
  image) cmd_image "$@" ;;
  up) cmd_up "$@" ;;
  ssh) cmd_ssh "$@" ;;
  exec) cmd_exec "$@" ;;
  reboot) cmd_reboot "$@" ;;
  status) cmd_status "$@" ;;
  down) cmd_down "$@" ;;
  -h | --help | help | "") usage ;;
  *) die "unknown subcommand '$cmd' (try: $0 help)" ;;
  esac
}

main "$@"
