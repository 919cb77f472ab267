#!/usr/bin/env bash
# The monitoring profile, run for real (`npm run test:stack:monitoring`; docs/deploy.md "Proof: monitoring"):
# the prod stack with Prometheus and Alertmanager from docker-compose.prod.yml's monitoring profile, their
# shipped configuration (deploy/prometheus, deploy/alertmanager) mounted as an operator mounts it. Checks:
# Prometheus healthy by its compose health check; web, worker and beat scraped (up == 1 in /api/v1/targets);
# the rule file loaded (/api/v1/rules); Alertmanager discovered; then a worker stopped (`docker stop`) and
# beat frozen (`docker pause`, a hung process): FinrepNoWorker and FinrepTargetDown fire in Prometheus,
# reach Alertmanager (/api/v2/alerts) and its mail lands in a mail catcher.
# Not run here: Grafana (no Debian package to build a stand-in from; its provisioning is checked statically by
# test/ops-metrics-rules.test.ts and test/deploy-*.test.ts). The real images cannot be pulled: Prometheus is
# the docker-engine tool's stand-in (Debian's 2.42) tagged v2.53.2, Alertmanager a stand-in built here
# (Debian's 0.25, scripts/stack/alertmanager-standin) tagged v0.27.0, the mail catcher the Mailpit stand-in.
# The one change to the shipped files: Alertmanager's SMTP settings point at the catcher (a copy in the
# scratch folder). Engine: $DOCKER_HOST when set, else the docker-engine tool, stopped again at the end.
# Appends its results to docs/stack-test.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

. scripts/stack/lib.sh

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
version=$(node -p 'require("./package.json").version')
image=${FINREP_IMAGE:-finrep/app:$version}
work=$(mktemp -d)
project=finrep-monitoring-$$
log="$work/stack-test-monitoring.log"
compose_args=(--project-name "$project" --project-directory "$work" -f "$work/docker-compose.prod.yml" --profile monitoring)
compose() { docker compose "${compose_args[@]}" "$@"; }
catcher=finrep_mailpit_monitoring
cleanup() {
  docker unpause finrep_beat_prod >>"$log" 2>&1 || true
  docker rm -f "$catcher" >>"$log" 2>&1 || true
  compose down -v --remove-orphans >>"$log" 2>&1 || true
  stop_engine
  rm -rf "$work"
}
trap cleanup EXIT

echo "stack-test-monitoring: images ($rev)"
t0=$(date +%s)
[ -n "${STACK_SKIP_BUILD:-}" ] || git archive --format=tar HEAD | DOCKER_BUILDKIT=0 docker build -q -t "$image" -t "finrep/app:$rev" \
  --build-arg VERSION="$version" --build-arg REVISION="$rev" --target runtime - >>"$log"
# The stand-ins under the tags the compose file pins.
docker image inspect prom/prometheus:v2.53.2 >/dev/null 2>&1 || docker tag prom/prometheus:latest prom/prometheus:v2.53.2
docker image inspect prom/alertmanager:v0.27.0 >/dev/null 2>&1 ||
  DOCKER_BUILDKIT=0 docker build -q -t prom/alertmanager:v0.27.0 scripts/stack/alertmanager-standin >>"$log"
mailpit_standin
build_s=$(($(date +%s) - t0))

cp docker-compose.prod.yml "$work/" && cp -r deploy "$work/"
mkdir -p "$work/secrets"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/secrets/postgres_password"
head -c 48 /dev/urandom | base64 | tr -d '/+=' >"$work/secrets/jwt_secret_key"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/secrets/grafana_admin_password"
for f in smtp_pass deepseek_api_key qwen_api_key alertmanager_smtp_pass; do : >"$work/secrets/$f"; done
chmod 644 "$work"/secrets/*
printf 'FINREP_IMAGE=%s\nLOG_LEVEL=info\nPUBLIC_BASE_URL=http://localhost\n' "$image" >"$work/.env.prod"
cp "$work/.env.prod" "$work/.env"
# Alertmanager mails the catcher: plain SMTP on its port 1025, no AUTH (the shipped file: a real relay, TLS).
sed -i -e "s|^  smtp_smarthost: .*|  smtp_smarthost: '$catcher:1025'|" -e 's|^  smtp_require_tls: true|  smtp_require_tls: false|' \
  -e '/^  smtp_auth_username:/d' -e '/^  smtp_auth_password_file:/d' "$work/deploy/alertmanager/alertmanager.yml"

echo "stack-test-monitoring: up (prod + Prometheus + Alertmanager; Grafana not run)"
t0=$(date +%s)
check "monitoring: compose up --wait (Grafana left out: no image here)" \
  compose up -d --wait --wait-timeout 300 web worker beat postgres redis prometheus alertmanager
up_s=$(($(date +%s) - t0))
check "monitoring: the mail catcher on finrep-net" \
  docker run -d --name "$catcher" --network finrep-net axllent/mailpit:v1.21
check "monitoring: Prometheus healthy by its compose health check (promtool query)" \
  bash -c "[ \"\$(docker inspect -f '{{.State.Health.Status}}' finrep_prometheus_prod)\" = healthy ]"

ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }
prom="http://$(ip finrep_prometheus_prod finrep-monitoring):9090"
am="http://$(ip finrep_alertmanager_prod finrep-monitoring):9093"
mail="http://$(ip "$catcher" finrep-net):8025"
# until SECONDS NODE_EXPRESSION URL — polls URL every 3 s until the expression (on `j`, its JSON) is true.
until_json() {
  local secs=$1 expr=$2 url=$3 i
  for i in $(seq 1 $((secs / 3))); do
    curl -fsS "$url" 2>/dev/null | node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); process.exit(($expr) ? 0 : 1)" && return 0
    sleep 3
  done
  echo "until_json: timed out: $expr on $url" >&2
  curl -sS "$url" | head -c 3000 >&2 || true
  return 1
}

t0=$(date +%s)
check "monitoring: web, worker and beat scraped, up == 1 (/api/v1/targets)" until_json 120 \
  "['finrep-web','finrep-worker','finrep-beat'].every(job => j.data.activeTargets.some(t => t.labels.job === job && t.health === 'up'))" \
  "$prom/api/v1/targets"
scrape_s=$(($(date +%s) - t0))
check "monitoring: the rule file loaded, every rule healthy (/api/v1/rules)" until_json 30 \
  "j.data.groups.length >= 3 && j.data.groups.every(g => g.rules.every(r => r.health === 'ok')) && ['FinrepTargetDown','FinrepNoWorker','FinrepEditionNotDelivered'].every(n => j.data.groups.some(g => g.rules.some(r => r.name === n)))" \
  "$prom/api/v1/rules"
check "monitoring: Prometheus found Alertmanager (/api/v1/alertmanagers)" until_json 30 \
  "j.data.activeAlertmanagers.length === 1" "$prom/api/v1/alertmanagers"
rules=$(curl -fsS "$prom/api/v1/rules" | node -p "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); j.data.groups.map(g => g.name + ': ' + g.rules.length).join(', ')" 2>/dev/null || echo '?')

# A stopped worker (gone from Docker's DNS: FinrepNoWorker) and a hung beat (paused: FinrepTargetDown), each
# with the shipped `for: 2m`.
echo "stack-test-monitoring: worker stopped, beat paused; waiting for the alerts (for: 2m)"
t0=$(date +%s)
check "monitoring: docker stop the worker, docker pause beat" bash -c "docker stop finrep_worker_prod && docker pause finrep_beat_prod"
check "monitoring: FinrepNoWorker and FinrepTargetDown{service=beat} fire in Prometheus (/api/v1/alerts)" until_json 300 \
  "['FinrepNoWorker','FinrepTargetDown'].every(n => j.data.alerts.some(a => a.labels.alertname === n && a.state === 'firing' && (n !== 'FinrepTargetDown' || a.labels.service === 'beat')))" \
  "$prom/api/v1/alerts"
fire_s=$(($(date +%s) - t0))
check "monitoring: Alertmanager received both (/api/v2/alerts)" until_json 60 \
  "['FinrepNoWorker','FinrepTargetDown'].every(n => j.some(a => a.labels.alertname === n && a.status.state === 'active'))" \
  "$am/api/v2/alerts"
check "monitoring: Alertmanager mailed both alerts to the catcher" until_json 120 \
  "['FinrepNoWorker','FinrepTargetDown'].every(n => j.messages.some(m => m.Subject.includes('FIRING ' + n)))" \
  "$mail/api/v1/messages"
alert_mails=$(curl -fsS "$mail/api/v1/messages" | node -p "JSON.parse(require('fs').readFileSync(0,'utf8')).messages.map(m => m.Subject).join(' | ')" 2>/dev/null || echo '?')
check "monitoring: worker started again, beat resumed" \
  bash -c "docker unpause finrep_beat_prod && docker start finrep_worker_prod"
check "monitoring: both scraped again, up == 1" until_json 150 \
  "['finrep-worker','finrep-beat'].every(job => j.data.activeTargets.some(t => t.labels.job === job && t.health === 'up'))" \
  "$prom/api/v1/targets"

{
  echo
  echo "# scripts/stack-test-monitoring.sh — $(date -u +%Y-%m-%dT%H:%MZ), $image built from $(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$image"), files at $rev; prom/prometheus:v2.53.2 = stand-in $(docker run --rm --entrypoint /bin/prometheus prom/prometheus:v2.53.2 --version 2>&1 | head -1 | cut -d' ' -f3), prom/alertmanager:v0.27.0 = stand-in $(docker run --rm prom/alertmanager:v0.27.0 --version 2>&1 | head -1 | cut -d' ' -f3)"
  echo "images ${build_s} s; up --wait ${up_s} s; all three scraped after ${scrape_s} s; alerts firing ${fire_s} s after the stop (for: 2m, 15 s scrapes and evaluations); load $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%s\n' "${results[@]}"
  echo "rule groups: $rules"
  echo "alert mails in the catcher: $alert_mails"
  echo "not run: Grafana (no image and no Debian package for a stand-in; provisioning and dashboards checked statically by the test suite)"
} | tee -a "$repo/docs/stack-test.txt"
[ "$fail" = 0 ] || { echo "stack-test-monitoring: failures; log:"; tail -60 "$log"; }
exit "$fail"
