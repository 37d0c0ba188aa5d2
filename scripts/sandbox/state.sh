# shellcheck shell=bash
# scripts/sandbox/state.sh - a sandbox's state directory: its names, its lock,
# the processes it records, and the SSH options that reach its host.
# Sourced by scripts/sandbox.sh.

SSH_PORT=22
STATE="" ROOTFS="" NS="" VETH_H="" X="" HOST_IP="" CT_IP="" HASH=""

# load_state STATE_DIR [create]: sets STATE, ROOTFS and the names derived from its path.
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

# The pid recorded in STATE/FILE, or nothing (the file may be gone: a concurrent down).
read_pid() {
  local f=$STATE/$1 p=""
  [[ -f $f ]] && read -r p 2>/dev/null <"$f"
  printf '%s\n' "$p"
}

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
