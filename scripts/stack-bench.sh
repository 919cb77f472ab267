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
# clusters, report, each recipient mailed exactly once) from the world's report. Then (issue 17) the log bytes
# a day writes per container at production's LOG_LEVEL (info): the edition's bytes + BENCH_IDLE_S of idling
# (health checks, the status sampler, beat's ticks, Prometheus' 15 s scrapes of web, worker and beat)
# scaled to 24 h, against each container's json-file rotation; and `finrep backup` inside beat, its memory
# as beat's cgroup counts it. Writes docs/stack-bench.txt.
# Engine: $DOCKER_HOST when set, else the workplace's docker-engine tool, stopped again at the end.
# STACK_SKIP_BUILD=1 reuses finrep/app:$version and finrep/app:dev as they are. BENCH_LOG_LEVEL (default
# info, production's default) is the stack's LOG_LEVEL; BENCH_IDLE_S (default 300) the idle window.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

. scripts/stack/lib.sh
. scripts/stack/memory.sh
. scripts/stack/log-volume.sh
. scripts/stack/backup-probe.sh

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
version=$(node -p 'require("./package.json").version')
log_level=${BENCH_LOG_LEVEL:-info}
idle_s=${BENCH_IDLE_S:-300}
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
LOG_LEVEL=$log_level
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

declare -A after_up
for c in "${services[@]}"; do after_up[$c]=$(log_bytes "$c"); done

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

# Log volume (issue 17: does the json-file rotation keep 7 days at production's level?): bytes written while
# the stack came up (once per start), during the edition, and in BENCH_IDLE_S of idling with Prometheus'
# scrapes; a day = one edition + the idle rate × 24 h.
declare -A after_edition
for c in "${services[@]}"; do after_edition[$c]=$(log_bytes "$c"); done
scrapes=$(scrape_metrics "$idle_s" 2>&1 | tail -1) || true
for c in "${services[@]}"; do
  echo "$c ${after_up[$c]} $((after_edition[$c] - after_up[$c])) $(($(log_bytes "$c") - after_edition[$c]))"
done >"$work/log-bytes.txt"
per_request=$(web_request_bytes 20) || per_request='?'
{
  echo "log bytes per container at LOG_LEVEL=$log_level (json-file bytes, what rotation counts); idle ${idle_s} s with health checks every 30 s, beat's ticks, the status sampler, and Prometheus' scrapes every 15 s ($scrapes)"
  echo "  container               up (once) |   edition | idle / hour | one day = edition + 24 h idle | rotation -> days kept (just after a rotation to full)"
  log_day_table "$idle_s" "$work/log-bytes.txt" "$work/log-days.txt" || true
  echo "  a console request (GET /login, 20 of them): $per_request bytes each in web's log"
} >"$work/logs.txt"
check "json-file rotation keeps >= 7 days of logs at LOG_LEVEL=$log_level in every container" \
  bash -c "[ -s $work/log-days.txt ] && ! awk '\$2 < 7' $work/log-days.txt | grep -q ."

# Backup inside beat (issue 17: pg_dump within beat's 256 MB), of the database the edition just filled.
backup_probe finrep_beat_prod "$work" >"$work/backup-probe.txt" 2>>"$log" || true
backup_report "$work" "$work/backup-probe.txt" finrep_beat_prod >"$work/backup.txt" 2>>"$log" || true
check "finrep backup inside beat: exit 0, gzip -t ok, manifest with the edition's articles" bash -c \
  "grep -q '^exit=0\$' $work/backup-probe.txt && grep -q 'gzip -t inside finrep_beat_prod: ok' $work/backup.txt && grep -q 'articles [1-9]' $work/backup.txt"
check "finrep backup inside beat: beat's memory limit never reached, no OOM kill" bash -c \
  "grep -q '^failcnt_delta=0\$' $work/backup-probe.txt && grep -q '^oom_kill_delta=0\$' $work/backup-probe.txt"

node scripts/stack/bench-report.mjs "$work" "$wall_ms" >"$work/summary.txt" || echo "stack-bench: report failed" >>"$work/summary.txt"
cat "$work/logs.txt" "$work/backup.txt" >>"$work/summary.txt"
{
  echo "# scripts/stack-bench.sh — $(date -u +%Y-%m-%dT%H:%MZ), $image built from $(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$image"); the world's bench/ from $rev"
  echo "build ${build_s} s; up --wait (incl. the world's plan and seed) ${up_s} s; load after $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM on the host"
  printf '%s\n' "${results[@]}"
  echo
  cat "$work/summary.txt"
} | tee "$repo/docs/stack-bench.txt"
[ "$fail" = 0 ] || { echo "stack-bench: failures; log:"; tail -60 "$log"; }
exit "$fail"
