#!/usr/bin/env bash
# The reference edition of bench:edition inside the prod stack (`npm run bench:stack`; docs/deploy.md
# "The reference edition on the 2 CPU / 2 GB server"): the seed's 2 CPU / 2 GB server, measured.
#
# Builds finrep/app (runtime) and finrep/app:dev from the committed tree (git archive HEAD), brings up
# docker-compose.prod.yml (web, worker, beat, postgres, redis — no monitoring, no nginx) with
# deploy/compose/bench.yml: the world container serves bench:edition's workload (200 sources of which 10
# dynamic, rendered by the worker's Chromium; ~6,000 items of ~600 stories; the fake LLM at 1.5 s a call;
# an SMTP sink for 500 recipients at MAIL_RATE_LIMIT_PER_SEC=10) and seeds the stack's database. Then runs
# `finrep run --date D --json` in a one-off container of the web service (the edition runs on the worker),
# samples every container's memory cgroup each second until it ends, and checks the edition (articles,
# clusters, report, each recipient mailed exactly once) from the world's report. Writes docs/stack-bench.txt.
# Engine: $DOCKER_HOST when set, else the workplace's docker-engine tool, stopped again at the end.
# STACK_SKIP_BUILD=1 reuses finrep/app:$version and finrep/app:dev as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

. scripts/stack/lib.sh
. scripts/stack/memory.sh

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
version=$(node -p 'require("./package.json").version')
image=finrep/app:$version
work=$(mktemp -d)
project=finrep-bench-$$
log="$work/stack-bench.log"
compose_args=(--project-name "$project" --project-directory "$work" -f "$work/docker-compose.prod.yml"
  -f "$work/deploy/compose/bench.yml")
compose() { docker compose "${compose_args[@]}" "$@"; }
services=(finrep_web_prod finrep_worker_prod finrep_beat_prod finrep_postgres_prod finrep_redis_prod)
cleanup() {
  touch "$work/sampler.stop"
  compose down -v --remove-orphans >>"$log" 2>&1 || true
  stop_engine
  rm -rf "$work"
}
trap cleanup EXIT

echo "stack-bench: building $image and finrep/app:dev ($rev)"
t0=$(date +%s)
if [ -z "${STACK_SKIP_BUILD:-}" ]; then
  git archive --format=tar HEAD | DOCKER_BUILDKIT=0 docker build -q -t "$image" -t "finrep/app:$rev" \
    --build-arg VERSION="$version" --build-arg REVISION="$rev" --target runtime - >>"$log"
  git archive --format=tar HEAD | DOCKER_BUILDKIT=0 docker build -q -t finrep/app:dev --target dev - >>"$log"
fi
build_s=$(($(date +%s) - t0))

# A scratch deployment as an operator lays it out, plus the committed bench/ and test/ the world runs from.
cp docker-compose.prod.yml "$work/" && cp -r deploy "$work/"
git archive --format=tar HEAD bench test | tar -x -C "$work"
mkdir -p "$work/secrets"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/secrets/postgres_password"
head -c 48 /dev/urandom | base64 | tr -d '/+=' >"$work/secrets/jwt_secret_key"
printf 'bench-edition-key' >"$work/secrets/deepseek_api_key"
: >"$work/secrets/smtp_pass"; : >"$work/secrets/qwen_api_key"
chmod 644 "$work"/secrets/*
# bench:edition's settings (bench/edition.ts); everything else at its default, as in production.
cat >"$work/.env.prod" <<EOF
FINREP_IMAGE=$image
LOG_LEVEL=warn
PUBLIC_BASE_URL=http://finrep.bench
LLM_PROVIDERS=deepseek
LLM_CONCURRENCY=8
PROVIDER_DEEPSEEK_BASE_URL=http://world:8081/v1
SMTP_HOST=world
SMTP_PORT=2525
SMTP_FROM=report@finrep.bench
MAIL_RATE_LIMIT_PER_SEC=${BENCH_RATE:-10}
BENCH_LLM_KEY=bench-edition-key
RECIPIENTS=${BENCH_RECIPIENTS:-500}
EOF
cp "$work/.env.prod" "$work/.env"

echo "stack-bench: up (prod + the bench world)"
t0=$(date +%s)
check "compose up --wait: the stack and the world healthy, the world seeded" compose up -d --wait --wait-timeout 600
up_s=$(($(date +%s) - t0))
[ "$fail" = 0 ] || { compose ps -a >>"$log" 2>&1; compose logs --tail 40 >>"$log" 2>&1; tail -80 "$log"; exit 1; }
world() { docker exec finrep_world_bench node -e "fetch('http://127.0.0.1:8090/$1').then(r=>r.text()).then(t=>process.stdout.write(t))"; }
ready=$(world ready)
date=$(node -p 'JSON.parse(process.argv[1]).date' "$ready")
bound=$(node -p 'JSON.parse(process.argv[1]).bound.total_s' "$ready")

# The edition: `finrep run` in a one-off container of the web service (own cgroup, not one of the five),
# the work done by the worker; memory sampled each second meanwhile.
sample_memory "$work/memory.tsv" "$work/sampler.stop" "${services[@]}" finrep_run_bench &
sampler=$!
sleep 2
echo "stack-bench: edition $date (bound ${bound} s)"
t0=$(date +%s%3N)
check "finrep run --date $date completes through the worker" bash -c \
  "docker compose ${compose_args[*]} run --rm --no-deps -T --name finrep_run_bench web run --date $date --json >$work/run.json"
wall_ms=$(($(date +%s%3N) - t0))
sleep 2
touch "$work/sampler.stop"
wait "$sampler" || true
report=$(world report)
printf '%s' "$report" >"$work/report.json"

for c in "${services[@]}"; do
  lim=$(memory_limits "$c")
  oom=$(docker inspect -f '{{.State.OOMKilled}} {{.RestartCount}}' "$c")
  echo "$c $lim $oom" >>"$work/limits.txt"
done
check "no container OOM-killed or restarted" bash -c "! awk '\$6 != \"false\" || \$7 != 0' $work/limits.txt | grep -q ."
check "no container reached its memory limit (cgroup failcnt 0)" bash -c "! awk '\$3 != 0' $work/limits.txt | grep -q ."
check "the edition's checks: articles, clusters, report, exactly-once mail" \
  node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).check.ok ? 0 : 1)' "$work/report.json"

# Log volume (issue 17: does the json-file rotation of 3 x 50 MB keep 7 days?): the bytes each container's
# log file holds after the stack came up and ran the edition, and what it adds in 60 s of idling afterwards
# (health checks, beat ticks, scrapes), from which a day of one edition plus idling follows.
log_bytes() { local f; f=$(docker inspect -f '{{.LogPath}}' "$1"); stat -c %s "$f" 2>/dev/null || docker logs "$1" 2>&1 | wc -c; }
declare -A after_edition
for c in "${services[@]}"; do after_edition[$c]=$(log_bytes "$c"); done
sleep 60
{
  echo "log bytes per container at the bench's LOG_LEVEL=warn (json-file, what rotation counts): after up + the edition | +60 s idle | one day = edition + 24 h idle"
  for c in "${services[@]}"; do
    b=${after_edition[$c]}; idle=$(( $(log_bytes "$c") - b ))
    case $c in *postgres*) keep=40 ;; *redis*) keep=20 ;; *) keep=150 ;; esac # docker-compose.prod.yml's rotation
    awk -v c="$c" -v b="$b" -v i="$idle" -v k="$keep" 'BEGIN { d = b + i * 1440; printf "  %-22s %10d | %8d | %8.2f MB/day -> 7 days %.1f MB (rotation keeps %d MB)\n", c, b, i, d / 1e6, 7 * d / 1e6, k }'
  done
} >"$work/logs.txt"

node scripts/stack/bench-report.mjs "$work" "$wall_ms" >"$work/summary.txt" || echo "stack-bench: report failed" >>"$work/summary.txt"
cat "$work/logs.txt" >>"$work/summary.txt"
{
  echo "# scripts/stack-bench.sh — $(date -u +%Y-%m-%dT%H:%MZ), $image built from $(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$image"); the world's bench/ from $rev"
  echo "build ${build_s} s; up --wait (incl. the world's plan and seed) ${up_s} s; load after $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM on the host"
  printf '%s\n' "${results[@]}"
  echo
  cat "$work/summary.txt"
} | tee "$repo/docs/stack-bench.txt"
[ "$fail" = 0 ] || { echo "stack-bench: failures; log:"; tail -60 "$log"; }
exit "$fail"
