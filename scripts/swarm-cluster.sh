#!/usr/bin/env bash
# A two-node Docker Swarm on one machine, for trying the swarm runtime across nodes
# (see /work/shared/reference/swarm.md for the facts this follows).
#
#   scripts/swarm-cluster.sh up [IMAGE...]   node 1 = the host's dockerd (manager, advertised on
#                                            10.213.0.1), node 2 = a second dockerd with its own
#                                            containerd in network namespace pgstage-node2
#                                            (10.213.0.2, veth pair to the host), joined as a
#                                            worker; each IMAGE is copied to node 2
#                                            (docker save | load: the same name on both nodes)
#   scripts/swarm-cluster.sh down            node 2 leaves and stops, the namespace and veth go,
#                                            the host leaves the swarm
#   scripts/swarm-cluster.sh status
#
# Needs root, docker, containerd, iproute2, nsenter/unshare. Node 2's API: unix:///run/pgstage-node2/docker.sock.
# Task containers reach the host at 10.213.0.1 from either node. Node 2 has no route to a registry:
# its dockerd runs with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1, so a task uses the copy loaded there
# instead of first trying to pull it (about 15 s of DNS timeouts per task start without it). Not
# here yet: the registry of swarm.md (docker-registry from apt).
set -euo pipefail

NS=pgstage-node2
HOST_IF=pgs-veth-h
NODE_IF=pgs-veth-n
HOST_ADDR=10.213.0.1
NODE_ADDR=10.213.0.2
RUN=/run/pgstage-node2
LIB=/var/lib/pgstage-node2
SOCK=$RUN/docker.sock
D2="docker -H unix://$SOCK"

log() { echo "swarm-cluster: $*" >&2; }

up() {
  [ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }
  docker info >/dev/null 2>&1 || { log "the host's dockerd is not running (. scripts/services.sh; start_services)"; exit 1; }
  mkdir -p "$RUN" "$LIB"
  if ! ip netns list | grep -qw "$NS"; then
    ip netns add "$NS"
    ip link add "$HOST_IF" type veth peer name "$NODE_IF"
    ip link set "$NODE_IF" netns "$NS"
    ip addr add "$HOST_ADDR/24" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip netns exec "$NS" ip addr add "$NODE_ADDR/24" dev "$NODE_IF"
    ip netns exec "$NS" ip link set "$NODE_IF" up
    ip netns exec "$NS" ip link set lo up
    ip netns exec "$NS" ip route add default via "$HOST_ADDR"
  fi
  # Enter only the network namespace (ip netns exec remounts /sys and hides the cgroups from runc).
  if [ ! -S "$RUN/containerd.sock" ]; then
    nsenter --net=/run/netns/$NS setsid containerd --address "$RUN/containerd.sock" --root "$LIB/containerd" \
      --state "$RUN/containerd" >"$RUN/containerd.log" 2>&1 &
    echo $! >"$RUN/containerd.pid"
    for _ in $(seq 1 30); do [ -S "$RUN/containerd.sock" ] && break; sleep 0.5; done
  fi
  if ! $D2 info >/dev/null 2>&1; then
    # Its own key (engine ID) and hostname: the host's /etc/docker/key.json would make both
    # daemons the same engine.
    echo "{\"deprecated-key-path\": \"$LIB/key.json\"}" >"$LIB/daemon.json"
    nsenter --net=/run/netns/$NS unshare --uts sh -c "hostname $NS; export DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1; exec setsid dockerd \
      --config-file $LIB/daemon.json -H unix://$SOCK --data-root $LIB/docker --exec-root $RUN/exec \
      --pidfile $RUN/docker.pid --containerd $RUN/containerd.sock --bip 172.31.0.1/24" >"$RUN/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do $D2 info >/dev/null 2>&1 && break; sleep 0.5; done
    $D2 info >/dev/null 2>&1 || { log "node 2's dockerd did not start: see $RUN/dockerd.log"; exit 1; }
  fi
  if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    timeout 60 docker swarm init --advertise-addr "$HOST_ADDR" --listen-addr "$HOST_ADDR:2377" >/dev/null
  fi
  if [ "$($D2 info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    token=$(docker swarm join-token -q worker)
    timeout 60 $D2 swarm join --token "$token" --advertise-addr "$NODE_ADDR" --listen-addr "$NODE_ADDR:2377" \
      "$HOST_ADDR:2377" >/dev/null
  fi
  for image in "$@"; do
    log "copying $image to node 2"
    docker save "$image" | $D2 load >/dev/null
  done
  docker node ls
}

down() {
  if $D2 info >/dev/null 2>&1; then
    timeout 60 $D2 swarm leave --force >/dev/null 2>&1 || true
  fi
  if [ -f "$RUN/docker.pid" ]; then
    pid=$(cat "$RUN/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  if [ -f "$RUN/containerd.pid" ]; then
    kill "$(cat "$RUN/containerd.pid")" 2>/dev/null || true
    sleep 1
  fi
  if [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]; then
    timeout 60 docker swarm leave --force >/dev/null || true
    docker network rm docker_gwbridge >/dev/null 2>&1 || true
  fi
  # dockerd bind-mounts the namespace: unmount before deleting it.
  grep -q "/run/netns/$NS" /proc/mounts && umount "/run/netns/$NS" 2>/dev/null || true
  grep -q "$RUN/exec" /proc/mounts && umount -R "$RUN/exec" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$HOST_IF" 2>/dev/null || true
  rm -rf "$RUN"
  log "down (node 2's images stay in $LIB; rm -rf it to reclaim the space)"
}

status() {
  docker node ls 2>/dev/null || log "the host is not in a swarm"
  $D2 info --format 'node 2: {{.Name}} swarm={{.Swarm.LocalNodeState}}' 2>/dev/null || log "node 2 is not running"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [IMAGE...] | down | status" >&2; exit 2 ;;
esac
