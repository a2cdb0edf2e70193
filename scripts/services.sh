# Sourced by test.sh: starts the services the slow suites need and stops what it started.
# Postgres and HAProxy are started by the tests themselves (tests/support); dockerd is started here.
STARTED_DOCKERD=""

docker_up() { docker info >/dev/null 2>&1; }

start_services() {
  command -v dockerd >/dev/null 2>&1 || { echo "warning: dockerd is not installed; Docker tests will fail" >&2; return; }
  docker_up && return
  if pgrep -x dockerd >/dev/null 2>&1; then
    # A daemon is starting (or hung): give it a moment before starting our own.
    for _ in $(seq 1 20); do docker_up && return; sleep 1; done
    pkill -x dockerd >/dev/null 2>&1 || true
    sleep 2
  fi
  # A socket or pid file left by a daemon that died would stop a new one from starting.
  rm -f /var/run/docker.sock /var/run/docker.pid
  echo "Starting dockerd for the end-to-end tests"
  # It trusts the registry scripts/swarm-cluster.sh serves on the host's veth address (plain HTTP).
  (dockerd --insecure-registry 10.213.0.1:5000 >/tmp/pgstage-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker_up && break; sleep 1; done
  if docker_up; then STARTED_DOCKERD=1; else
    echo "warning: dockerd did not start (see /tmp/pgstage-dockerd.log); Docker tests will fail" >&2
  fi
}

stop_services() {
  if [ -n "$STARTED_DOCKERD" ]; then
    pkill -x dockerd >/dev/null 2>&1 || true
  fi
}
