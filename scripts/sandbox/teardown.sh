# shellcheck shell=bash
# scripts/sandbox/teardown.sh - stopping the container and removing what it
# left: processes, its cgroup, mounts, the rootfs.
# Sourced by scripts/sandbox.sh.

wait_gone() { # pid timeout_s
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    pid_alive "$1" || return 0
    sleep 0.1
  done
  ! pid_alive "$1"
}

remove_cgroup() {
  local cg
  cg=$(cgroup_dir)
  [[ -n $cg && -d $cg ]] || return 0
  find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || log "cgroup $cg not removed (processes left in it?)"
}

# Asks the host to power off; kill the nspawn process when it does not.
# The ssh session ends with the host, so its status says nothing: wait_gone decides.
stop_nspawn() {
  local np=$1 cp
  if [[ -n $X && -f $STATE/id_ed25519 ]]; then
    net_vars
    ssh_opts
    timeout 10 ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl poweroff >/dev/null 2>&1 || :
  fi
  wait_gone "$np" 30 && return 0
  log "poweroff over ssh did not stop the container; SIGTERM to nspawn $np"
  kill -TERM "$np" 2>/dev/null || : # exited meanwhile: wait_gone tells
  wait_gone "$np" 20 && return 0
  cp=$(container_pid)
  log "SIGKILL to container PID 1 ${cp:-?} and nspawn $np"
  [[ -z $cp ]] || kill -KILL "$cp" 2>/dev/null || :
  kill -KILL "$np" 2>/dev/null || :
  wait_gone "$np" 10 || die "nspawn $np does not die"
}

stop_container() {
  local np cp wp
  np=$(nspawn_pid)
  cp=$(read_pid container.pid)
  wp=$(read_pid wrapper.pid)
  if [[ -n $np ]]; then stop_nspawn "$np"; fi
  # a container PID 1 left behind by a SIGKILLed nspawn (validated: PID 1 of its pid ns, root in our rootfs)
  if [[ -n $cp ]] && pid_alive "$cp" &&
    [[ $(readlink "/proc/$cp/root" 2>/dev/null) == "$ROOTFS" ]]; then
    kill -KILL "$cp" 2>/dev/null || :
    wait_gone "$cp" 10 || log "container PID 1 $cp survives SIGKILL"
  fi
  # the wrapper ends right after nspawn (it only records the exit status)
  if [[ -n $wp ]] && pid_alive "$wp" && grep -q qlsbx-wrapper "/proc/$wp/cmdline" 2>/dev/null; then
    wait_gone "$wp" 5 || kill -TERM "$wp" 2>/dev/null || :
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
