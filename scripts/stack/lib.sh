# Sourced by scripts/stack-test*.sh: their shared helpers. A Docker engine: uses the engine $DOCKER_HOST names
# when set; otherwise starts one with the workplace's docker-engine tool (FINREP_DOCKER_ENGINE, default
# ../shared/tools/docker-engine) and sets started_engine=1, so the caller's stop_engine stops it again and
# leaves the machine as found.
started_engine=0
engine_tool=${FINREP_DOCKER_ENGINE:-../shared/tools/docker-engine}
if [ -z "${DOCKER_HOST:-}" ]; then
  [ -x "$engine_tool" ] || { echo "stack-test: no DOCKER_HOST and no docker-engine tool at $engine_tool" >&2; exit 2; }
  eval "$("$engine_tool" up)"
  started_engine=1
fi

# Stops the engine when this script started it; says so when the machine differs from its baseline after.
stop_engine() {
  if [ "$started_engine" = 1 ]; then
    "$engine_tool" down >&2 || echo "stack-test: docker-engine down reported a difference from the baseline" >&2
  fi
}

# check NAME COMMAND… — runs COMMAND with its output in $log and records "ok" or "FAIL" in results (fail=1).
results=()
fail=0
check() {
  local name=$1
  shift
  if "$@" >>"$log" 2>&1; then results+=("ok    $name"); else results+=("FAIL  $name"); fail=1; fi
}

# Mailpit cannot be pulled here: builds the stand-in (SMTP and the part of its API the tests read) once.
mailpit_standin() {
  docker image inspect axllent/mailpit:v1.21 >/dev/null 2>&1 ||
    DOCKER_BUILDKIT=0 docker build -q -t axllent/mailpit:v1.21 scripts/stack/mailpit-standin >>"$log"
}
