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
#   SANDBOX_MIRROR        Debian mirror (default: the one apt uses, from apt-get indextargets)
#   SANDBOX_BOOT_TIMEOUT  seconds to wait for ssh + is-system-running (default 120)
#   SANDBOX_KEEP_ROOTFS=1 same as down --keep-rootfs
#
#   SANDBOX_S3_BIN        the S3 server's binary (default .tools/bin/versitygw, built by scripts/setup.sh)
#   SANDBOX_S3_BUCKETS    buckets made on it (default "quantlab-compact-sandbox quantlab-archive-sandbox")
#
# STATE_DIR layout (written by up): rootfs/ id_ed25519{,.pub} known_hosts host.json
#   s3.json (the S3 server's endpoint on the host and its keys, 0600) net.env nspawn.pid wrapper.pid container.pid nspawn.exit nspawn.log sandbox.log
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too

# This file is the one entry point: the subcommands below. Their parts live in
# scripts/sandbox/: lib (messages, deps), image (the cached base tarball),
# state (a state dir's names, lock, pids, SSH options), net (namespace + veth),
# boot (rootfs preparation, nspawn, waiting), s3 (the host's S3 server), teardown.

SANDBOX_PARTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/sandbox" && pwd -P)
# shellcheck source=SCRIPTDIR/sandbox/lib.sh
. "$SANDBOX_PARTS/lib.sh"
# shellcheck source=SCRIPTDIR/sandbox/image.sh
. "$SANDBOX_PARTS/image.sh"
# shellcheck source=SCRIPTDIR/sandbox/state.sh
. "$SANDBOX_PARTS/state.sh"
# shellcheck source=SCRIPTDIR/sandbox/net.sh
. "$SANDBOX_PARTS/net.sh"
# shellcheck source=SCRIPTDIR/sandbox/boot.sh
. "$SANDBOX_PARTS/boot.sh"
# shellcheck source=SCRIPTDIR/sandbox/s3.sh
. "$SANDBOX_PARTS/s3.sh"
# shellcheck source=SCRIPTDIR/sandbox/teardown.sh
. "$SANDBOX_PARTS/teardown.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

cmd_deps() { need_root; install_deps "$@"; }

cmd_image() { need_root; check_tools; ensure_image; }

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
  remove_rootfs
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

cmd_reboot() {
  need_root
  load_state "${1:-}"
  lock_state
  local np t0 rc i
  np=$(nspawn_pid)
  [[ -n $np ]] || die "container of $STATE is not running"
  [[ -d $ROOTFS ]] || die "no rootfs in $STATE"
  net_vars
  ssh_opts
  t0=$(now)
  # the session ends with the host, so its status says nothing: wait_gone decides
  timeout 10 ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl reboot >/dev/null 2>&1 || :
  wait_gone "$np" "${SANDBOX_BOOT_TIMEOUT:-120}" || die "container did not shut down for reboot within ${SANDBOX_BOOT_TIMEOUT:-120}s"
  for ((i = 0; i < 50; i++)); do [[ -f $STATE/nspawn.exit ]] && break; sleep 0.1; done
  rc=$(cat "$STATE/nspawn.exit" 2>/dev/null || echo '?')
  if [[ $rc == 133 ]]; then log "reboot: nspawn exited 133 (reboot)"; else log "warning: nspawn exit status $rc (expected 133 for reboot)"; fi
  timing reboot-shutdown "$t0"
  net_up # idempotent; the namespace outlives the container
  start_container
  wait_running "$t0"
  timing reboot "$t0"
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
  if netns_exists; then die "netns $NS still exists"; fi
  if veth_exists; then die "veth $VETH_H still exists"; fi
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
