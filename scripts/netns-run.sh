#!/usr/bin/env bash
# Run a command inside a private network namespace: loopback plus one veth pair,
# 10.77.0.1 <-> 10.77.0.2, with a default route inside so Chromium gathers host candidates,
# and the page can be opened through a "LAN" address (http://10.77.0.1:PORT, not a secure context).
# Nothing inside can reach any network outside the namespace. Needs root (unshare -n).
# Without root it runs CMD as it is, and tests that need the LAN address skip themselves.
# usage: scripts/netns-run.sh CMD [ARGS...]
set -eu
if [ "$(id -u)" != 0 ] || [ -n "${TABSWARM_NETNS:-}" ]; then exec "$@"; fi
export TABSWARM_NETNS=1 TABSWARM_LAN_IP=10.77.0.1
exec unshare -n bash -c 'ip link set lo up && ip link add veth0 type veth peer name veth1 &&
  ip addr add 10.77.0.1/24 dev veth0 && ip addr add 10.77.0.2/24 dev veth1 &&
  ip link set veth0 up && ip link set veth1 up && ip route add default via 10.77.0.2 dev veth0 && exec "$@"' netns-run "$@"
