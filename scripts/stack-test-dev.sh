#!/usr/bin/env bash
# The development stack, run for real (`npm run test:stack -- dev`; docs/deploy.md "Development"):
# builds finrep/app:dev from the committed tree, brings docker-compose.dev.yml up in a scratch copy of the
# tree, checks every service healthy and the console answering on the host port, then edits a source file in
# the copy and checks the change is served without a rebuild (tsx watch restarts the process). Uses the
# engine $DOCKER_HOST names when set, else the workplace's docker-engine tool (stopped after). Appends its
# result to docs/stack-test.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

. scripts/stack/lib.sh

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
work=$(mktemp -d)
project=finrep-devtest-$$
log="$work/log"
web_port=${STACK_DEV_WEB_PORT:-18000}
compose() { docker compose --project-name "$project" --project-directory "$work/tree" -f "$work/tree/docker-compose.dev.yml" "$@"; }
cleanup() {
  compose down -v --remove-orphans >>"$log" 2>&1 || true
  stop_engine
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/tree"
git archive --format=tar HEAD | tar -x -C "$work/tree"
# The dev services run as uid 1000 and read the mounted sources.
chmod -R a+rX "$work/tree"
mailpit_standin
t0=$(date +%s)
git archive --format=tar HEAD | DOCKER_BUILDKIT=0 docker build -q -t finrep/app:dev --target dev - >>"$log"
build_s=$(( $(date +%s) - t0 ))

export DEV_WEB_PORT=$web_port DEV_POSTGRES_PORT=${STACK_DEV_PG_PORT:-15433} DEV_REDIS_PORT=${STACK_DEV_REDIS_PORT:-16380}
export DEV_MAILPIT_PORT=${STACK_DEV_MAILPIT_PORT:-18025}
t0=$(date +%s)
check "dev: compose up --wait, every service healthy" compose up -d --wait --wait-timeout 420
up_s=$(( $(date +%s) - t0 ))
check "dev: /livez on the host port" curl -fsS "http://127.0.0.1:$web_port/livez"

# A source edit is served without a rebuild: /livez gains a field.
sed -i "s/async () => ({ status: 'ok' })/async () => ({ status: 'ok', edited: 'stack-test' })/" \
  "$work/tree/src/web/routes/livez.ts"
grep -q "edited: 'stack-test'" "$work/tree/src/web/routes/livez.ts" || { echo "stack-test-dev: the edit did not apply" >&2; exit 1; }
check "dev: a source edit is served without a rebuild" bash -c "
  for i in \$(seq 1 120); do
    curl -fsS http://127.0.0.1:$web_port/livez 2>/dev/null | grep -q stack-test && exit 0
    sleep 1
  done; exit 1"

{
  echo
  echo "# scripts/stack-test-dev.sh — $(date -u +%Y-%m-%dT%H:%MZ), finrep/app:dev ($rev)"
  echo "build ${build_s} s; up --wait ${up_s} s; load $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%s\n' "${results[@]}"
} | tee -a "$repo/docs/stack-test.txt"
[ "$fail" = 0 ] || { echo "stack-test-dev: failures; log:"; tail -60 "$log"; }
exit "$fail"
