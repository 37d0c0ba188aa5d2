# shellcheck shell=bash
# scripts/sandbox/net.sh - the sandbox's network: a namespace of its own joined
# to this machine by a veth pair, 10.231.X.1 (here) - 10.231.X.2 (the host).
# Sourced by scripts/sandbox.sh.

# The third octets of the 10.231.0.0/16 addresses on this machine's interfaces.
used_subnets() {
  ip -4 -o addr show | awk '{ split($4, a, "[./]"); if (a[1] == 10 && a[2] == 231) print a[3] }'
}

# Picks a free 10.231.X.0/30 (starting from one derived from the state dir) and
# records it in STATE/net.env; keeps the one already recorded.
pick_subnet() {
  if [[ -n $X ]]; then return; fi
  local base i cand used
  base=$((16#${HASH:0:4} % 250 + 1))
  used=$(used_subnets)
  for ((i = 0; i < 250; i++)); do
    cand=$(((base - 1 + i) % 250 + 1))
    if ! grep -qx "$cand" <<<"$used"; then X=$cand; break; fi
  done
  [[ -n $X ]] || die "no free 10.231.X.0/30 subnet"
  printf 'X=%s\n' "$X" >"$STATE/net.env"
}

net_vars() { HOST_IP=10.231.$X.1; CT_IP=10.231.$X.2; }

netns_exists() { ip netns list | awk -v ns="$NS" '$1 == ns { found = 1 } END { exit !found }'; }
veth_exists() { ip link show "$VETH_H" >/dev/null 2>&1; }

# Deletes this machine's end of the veth pair if it is there. The kernel also
# removes it by itself once the namespace holding its peer is gone, so a failed
# delete only counts when the link is still there afterwards.
delete_veth() {
  if veth_exists && ! ip link del "$VETH_H" 2>/dev/null && veth_exists; then
    die "could not delete veth $VETH_H"
  fi
}

# Picking a subnet and taking it are one step for every sandbox of this machine:
# sandboxes brought up at the same time (a fleet's, test files side by side)
# never pick the same free one. /run is root's own, so the lock is no one else's file.
NET_LOCK=/run/quantlab-sandbox-net.lock

# Creates what is missing of the namespace, the veth pair and their addresses (idempotent).
net_up() {
  exec 8>>"$NET_LOCK"
  flock -w 300 8 || die "another sandbox.sh holds $NET_LOCK"
  pick_subnet
  net_vars
  netns_exists || ip netns add "$NS"
  ip -n "$NS" link set lo up
  if ! ip -n "$NS" link show eth0 >/dev/null 2>&1; then
    delete_veth # a half of an old pair
    ip link add "$VETH_H" type veth peer name eth0 netns "$NS"
  fi
  ip addr replace "$HOST_IP/30" dev "$VETH_H"
  ip link set "$VETH_H" up
  ip -n "$NS" addr replace "$CT_IP/30" dev eth0
  ip -n "$NS" link set eth0 up
  exec 8>&-
}

# Removes the namespace (refused while a process is still in it) and the veth pair.
net_down() {
  if netns_exists; then
    local pids
    pids=$(ip netns pids "$NS")
    [[ -z $pids ]] || die "processes still in netns $NS: $pids"
    ip netns del "$NS"
  fi
  delete_veth
}
