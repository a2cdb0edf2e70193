# Sourced by test.sh: starts the services the slow suites need and stops what it started.
# Postgres and HAProxy are started by the tests themselves (tests/support); dockerd is started here.
STARTED_DOCKERD=""

start_services() {
  if command -v dockerd >/dev/null 2>&1 && [ ! -S /var/run/docker.sock ]; then
    echo "Starting dockerd for the end-to-end tests"
    (dockerd >/tmp/pgstage-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do
      [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1 && break
      sleep 1
    done
    if docker info >/dev/null 2>&1; then STARTED_DOCKERD=1; else
      echo "warning: dockerd did not start (see /tmp/pgstage-dockerd.log); Docker tests will fail" >&2
    fi
  fi
}

stop_services() {
  if [ -n "$STARTED_DOCKERD" ]; then
    pkill -x dockerd >/dev/null 2>&1 || true
  fi
}
