#!/usr/bin/env bash
# A two-node Docker Swarm on one machine, for trying the swarm runtime across nodes
# (see /work/shared/reference/swarm.md for the facts this follows).
#
#   scripts/swarm-cluster.sh up [IMAGE...]   node 1 = the host's dockerd (manager, advertised on
#                                            10.213.0.1), node 2 = a second dockerd with its own
#                                            containerd in network namespace pgstage-node2
#                                            (10.213.0.2, veth pair to the host), joined as a
#                                            worker; a registry (Debian's docker-registry) on
#                                            10.213.0.1:5000 that both trust; each IMAGE is pushed
#                                            there as 10.213.0.1:5000/IMAGE, the name a service
#                                            uses so that every node pulls the same image
#   scripts/swarm-cluster.sh down            node 2 leaves and stops, the namespace and veth go,
#                                            the host leaves the swarm
#   scripts/swarm-cluster.sh crash           kill -9 node 2's dockerd, as when the engine crashes (its
#                                            containers keep running; the manager marks the node
#                                            down about 15 s later and reschedules its tasks);
#                                            `up` starts it again and it rejoins
#   scripts/swarm-cluster.sh status
#
# Needs root, docker, containerd, iproute2, nsenter/unshare. Node 2's API: unix:///run/pgstage-node2/docker.sock.
# Task containers reach the host at 10.213.0.1 from either node. The host's dockerd must trust the
# registry to push to it (scripts/services.sh starts it with --insecure-registry 10.213.0.1:5000);
# one that does not gets each image copied to node 2 (docker save | load) under the same name
# instead, and says so. Node 2 reaches no other registry: its dockerd runs with
# DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1, so a task whose image it has does not first try to pull
# it (about 15 s of DNS timeouts per task start without it).
set -euo pipefail

NS=pgstage-node2
HOST_IF=pgs-veth-h
NODE_IF=pgs-veth-n
HOST_ADDR=10.213.0.1
NODE_ADDR=10.213.0.2
RUN=/run/pgstage-node2
LIB=/var/lib/pgstage-node2
SOCK=$RUN/docker.sock
REGISTRY=$HOST_ADDR:5000
D2="docker -H unix://$SOCK"

log() { echo "swarm-cluster: $*" >&2; }

# Node 2's dockerd, in its network namespace over its own containerd.
start_dockerd2() {
  # Its own key (engine ID) and hostname: the host's /etc/docker/key.json would make both
  # daemons the same engine.
  echo "{\"deprecated-key-path\": \"$LIB/key.json\", \"insecure-registries\": [\"$REGISTRY\"]}" >"$LIB/daemon.json"
  nsenter --net=/run/netns/$NS unshare --uts sh -c "hostname $NS; export DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1; exec setsid dockerd \
    --config-file $LIB/daemon.json -H unix://$SOCK --data-root $LIB/docker --exec-root $RUN/exec \
    --pidfile $RUN/docker.pid --containerd $RUN/containerd.sock --bip 172.31.0.1/24" >"$RUN/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do $D2 info >/dev/null 2>&1 && break; sleep 0.5; done
  $D2 info >/dev/null 2>&1 || { log "node 2's dockerd did not start: see $RUN/dockerd.log"; return 1; }
}

registry_up() { curl -fsS -m 2 "http://$REGISTRY/v2/" >/dev/null 2>&1; }

# The registry on the host's veth address (one already answering there is used as it is).
start_registry() {
  registry_up && return 0
  command -v docker-registry >/dev/null 2>&1 || { log "docker-registry is not installed (apt-get install docker-registry)"; return 1; }
  mkdir -p "$LIB/registry"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$LIB/registry" "$REGISTRY" >"$RUN/registry.yml"
  setsid docker-registry serve "$RUN/registry.yml" >"$RUN/registry.log" 2>&1 &
  echo $! >"$RUN/registry.pid"
  for _ in $(seq 1 40); do registry_up && return 0; sleep 0.25; done
  log "the registry did not start: see $RUN/registry.log"
  return 1
}

# IMAGE as $REGISTRY/IMAGE on both nodes: pushed to the registry when the host's dockerd trusts it,
# else copied to node 2.
publish_image() {
  local image=$1 name=$REGISTRY/$1 out=""
  docker tag "$image" "$name"
  if registry_up && out=$(docker push "$name" 2>&1); then
    $D2 pull -q "$name" >/dev/null
    log "pushed $image to the registry: both nodes run $name"
    return
  fi
  log "could not push $name (${out:-no registry}; the host's dockerd needs --insecure-registry $REGISTRY):" \
    "copying $image to node 2 with docker save | load instead"
  docker save "$name" | $D2 load >/dev/null
}

node2_state() { $D2 info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }

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
  $D2 info >/dev/null 2>&1 || start_dockerd2 || exit 1
  if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    timeout 60 docker swarm init --advertise-addr "$HOST_ADDR" --listen-addr "$HOST_ADDR:2377" >/dev/null
  fi
  # A node 2 that restarts after a crash rejoins by itself (pending, then active). One that still
  # belongs to an earlier swarm (its dockerd was dead when that swarm went down) stays pending or
  # errs: it leaves that swarm, then joins this one.
  for _ in $(seq 1 20); do
    [ "$(node2_state)" = pending ] || break
    sleep 0.5
  done
  if [ "$(node2_state)" != active ]; then
    [ "$(node2_state)" = inactive ] || $D2 swarm leave --force >/dev/null 2>&1 || true
    token=$(docker swarm join-token -q worker)
    timeout 60 $D2 swarm join --token "$token" --advertise-addr "$NODE_ADDR" --listen-addr "$NODE_ADDR:2377" \
      "$HOST_ADDR:2377" >/dev/null
  fi
  start_registry || true
  for image in "$@"; do publish_image "$image"; done
  docker node ls
}

down() {
  # A crashed node 2 (`crash`) left its containers running under its containerd: its dockerd
  # starts again to stop them and leave the swarm like a live node.
  if ! $D2 info >/dev/null 2>&1 && [ -S "$RUN/containerd.sock" ]; then
    start_dockerd2 || true
  fi
  if $D2 info >/dev/null 2>&1; then
    timeout 60 $D2 swarm leave --force >/dev/null 2>&1 || true
  else
    rm -rf "$LIB/docker/swarm"  # forget the membership: the next `up` joins afresh
  fi
  if [ -f "$RUN/docker.pid" ]; then
    pid=$(cat "$RUN/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  if [ -S "$RUN/containerd.sock" ]; then
    # Whatever still runs under node 2's containerd (its dockerd did not stop it) is killed first:
    # stopping containerd leaves its containers running.
    for id in $(ctr -a "$RUN/containerd.sock" -n moby tasks ls -q 2>/dev/null); do
      ctr -a "$RUN/containerd.sock" -n moby tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
      for _ in $(seq 1 20); do
        ctr -a "$RUN/containerd.sock" -n moby tasks delete "$id" >/dev/null 2>&1 && break
        sleep 0.25
      done
    done
  fi
  if [ -f "$RUN/registry.pid" ]; then
    kill "$(cat "$RUN/registry.pid")" 2>/dev/null || true
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
  grep -q " $LIB/docker " /proc/mounts && umount "$LIB/docker" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$HOST_IF" 2>/dev/null || true
  rm -rf "$RUN"
  log "down (node 2's images and the registry's stay in $LIB; rm -rf it to reclaim the space)"
}

crash() {
  [ -f "$RUN/docker.pid" ] || { log "node 2's dockerd is not running"; exit 1; }
  pid=$(cat "$RUN/docker.pid")
  kill -9 "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$RUN/docker.pid"
  log "killed node 2's dockerd (pid $pid)"
}

status() {
  docker node ls 2>/dev/null || log "the host is not in a swarm"
  $D2 info --format 'node 2: {{.Name}} swarm={{.Swarm.LocalNodeState}}' 2>/dev/null || log "node 2 is not running"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  crash) crash ;;
  status) status ;;
  *) echo "usage: $0 up [IMAGE...] | down | crash | status" >&2; exit 2 ;;
esac
