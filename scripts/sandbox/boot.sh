# shellcheck shell=bash
# scripts/sandbox/boot.sh - a fresh rootfs made into this sandbox's host, booted
# with systemd-nspawn inside the sandbox's namespace, and waited for.
# Sourced by scripts/sandbox.sh.

# Identity, SSH keys and the few units a container cannot run, in a rootfs
# just extracted from the image.
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
  prepare_ssh "$r" "$hn"
  prepare_s3 "$r"
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

# SSH: a fresh client key (for root), a fresh host key, key-only auth.
prepare_ssh() {
  local r=$1 hn=$2
  rm -f "$STATE/id_ed25519" "$STATE/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C "quantlab-sandbox-$HASH" -f "$STATE/id_ed25519"
  chmod 600 "$STATE/id_ed25519"
  install -d -m 700 "$r/root/.ssh"
  install -m 600 "$STATE/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
  rm -f "$r"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "root@$hn" -f "$r/etc/ssh/ssh_host_ed25519_key"
  install -d -m 755 "$r/etc/ssh/sshd_config.d"
  cat >"$r/etc/ssh/sshd_config.d/10-quantlab-sandbox.conf" <<'CONF'
# written by scripts/sandbox.sh
HostKey /etc/ssh/ssh_host_ed25519_key
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
CONF
}

# The container's cgroup in the unified (cgroup2) hierarchy. Without one of its
# own, a container on a host whose PID 1 is not systemd shares the root cgroup
# with every other sandbox, and its systemd cannot see, stop or kill the
# processes of its own units (a restart would leave the old process running).
cgroup_dir() {
  local root
  root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  if [[ -n $root ]]; then printf '%s/qlsbx-%s\n' "$root" "$HASH"; fi
}

start_container() {
  local np i s3
  s3=$(s3_bin)
  rm -f "$STATE/nspawn.pid" "$STATE/wrapper.pid" "$STATE/container.pid" "$STATE/nspawn.exit"
  printf '\n===== boot %s =====\n' "$(date -Is)" >>"$STATE/nspawn.log"
  # The wrapper records nspawn's pid and exit status (133 = the container rebooted).
  # setsid: own session, so the caller's terminal/process group does not reach it.
  # All fds are redirected so a caller capturing our output is not kept open.
  # shellcheck disable=SC2016 # the wrapper's own script, expanded by its bash
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
    --bind-ro="$s3:/usr/local/sbin/sandbox-s3" \
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

# wait_running T0: waits until SSH answers, then until systemd says running
# (or degraded with only allowed failed units); timings are measured from T0.
wait_running() {
  local t0=$1 deadline state
  deadline=$(($(date +%s) + ${SANDBOX_BOOT_TIMEOUT:-120}))
  ssh_opts
  wait_ssh "$deadline"
  printf '[sandbox] timing: ssh-ready %ss\n' "$(elapsed "$t0")" >&2
  # is-system-running exits non-zero unless running: the state it prints is judged below.
  state=$(timeout $((deadline - $(date +%s) + 5)) ssh "${SSH_OPTS[@]}" "root@$CT_IP" \
    systemctl is-system-running --wait 2>&1) || :
  case $state in
  running) ;;
  degraded) check_failed_units ;;
  *) die "systemctl is-system-running says '$state' (log: $STATE/nspawn.log)" ;;
  esac
  printf '[sandbox] timing: system-running %ss (%s)\n' "$(elapsed "$t0")" "$state" >&2
}

wait_ssh() {
  local deadline=$1 out
  while :; do
    if [[ -z $(nspawn_pid) ]]; then
      tail -n 30 "$STATE/nspawn.log" >&2
      die "container exited during boot (exit $(cat "$STATE/nspawn.exit" 2>/dev/null || echo ?); log: $STATE/nspawn.log)"
    fi
    if out=$(timeout 5 ssh "${SSH_OPTS[@]}" "root@$CT_IP" true 2>&1); then return 0; fi
    if (($(date +%s) > deadline)); then
      die "timeout: ssh to root@$CT_IP not working after ${SANDBOX_BOOT_TIMEOUT:-120}s: $out (log: $STATE/nspawn.log)"
    fi
    sleep 0.3
  done
}

# A degraded boot passes when every failed unit is in ALLOW_FAILED.
check_failed_units() {
  local failed bad="" u
  failed=$(ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl list-units --failed --plain --no-legend --no-pager |
    awk '{print $1}')
  for u in $failed; do
    [[ " $ALLOW_FAILED " == *" $u "* ]] || bad+="$u "
  done
  log "degraded; failed units: $failed"
  [[ -n $bad ]] || return 0
  # systemctl status exits 3 for failed units: it is printed for the reader, the die follows
  # shellcheck disable=SC2086 # one argument per unit
  ssh "${SSH_OPTS[@]}" "root@$CT_IP" systemctl status --no-pager --lines=15 $bad >&2 || :
  die "container degraded, failed units: $bad"
}

write_host_json() {
  local hostkey
  hostkey=$(awk '{print $1" "$2}' "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub")
  printf '%s %s\n' "$CT_IP" "$hostkey" >"$STATE/known_hosts"
  cat >"$STATE/host.json.tmp" <<JSON
{"address":"$CT_IP","port":$SSH_PORT,"user":"root","privateKeyPath":"$STATE/id_ed25519","hostKey":"$hostkey","namespace":"$NS","rootfs":"$ROOTFS"}
JSON
  mv -f "$STATE/host.json.tmp" "$STATE/host.json"
}
