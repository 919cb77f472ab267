# Sourced by scripts/stack-bench.sh: how many bytes of log each container writes, as Docker's json-file
# driver stores them (the bytes its rotation counts: each line wrapped in {"log":…,"stream":…,"time":…}), and
# how many days the rotation the container runs with (max-size × max-file) keeps at that rate.

# log_bytes CONTAINER — bytes of the container's json-file log, rotated files (LogPath.1, .2 …) included.
log_bytes() {
  local f
  f=$(docker inspect -f '{{.LogPath}}' "$1")
  if [ -n "$f" ] && [ -e "$f" ]; then
    # stat exits 1 for the unmatched "$f.*" pattern when nothing was rotated yet (and the caller has pipefail).
    { stat -c %s "$f" "$f".* 2>/dev/null || true; } | awk '{ s += $1 } END { print s + 0 }'
  else
    docker logs "$1" 2>&1 | wc -c
  fi
}

# log_rotation CONTAINER — "max_size_bytes max_file" of its json-file options (docker's units: 50m = 50 MiB;
# max-file defaults to 1), "0 0" when the log is not rotated.
log_rotation() {
  docker inspect -f '{{index .HostConfig.LogConfig.Config "max-size"}} {{index .HostConfig.LogConfig.Config "max-file"}}' "$1" |
    awk '{
      size = $1; files = ($2 == "" || $2 == "<no" ? 1 : $2); unit = tolower(substr(size, length(size)))
      n = size + 0; m = (unit == "k" ? 1024 : unit == "m" ? 1048576 : unit == "g" ? 1073741824 : 1)
      if (n == 0) print "0 0"; else printf "%d %d\n", n * m, files
    }'
}

# scrape_metrics SECONDS — what the monitoring profile's Prometheus does (scrape_interval 15 s): GET /metrics
# of web, worker and beat every 15 s for SECONDS, from the world container on the backend network (the
# internal network /metrics answers). Prints "scrapes=N statuses={…}" so the scrapes are seen to land.
scrape_metrics() {
  docker exec finrep_world_bench node -e '
    const urls = ["http://web:8000/metrics", "http://worker:9464/metrics", "http://beat:9464/metrics"];
    const end = Date.now() + Number(process.argv[1]) * 1000;
    const seen = {};
    let n = 0;
    const once = async () => {
      for (const u of urls) {
        const s = await fetch(u).then(async (r) => (await r.text(), r.status), () => "error");
        const k = `${new URL(u).hostname}:${s}`;
        seen[k] = (seen[k] ?? 0) + 1;
        n++;
      }
    };
    (async () => {
      while (Date.now() < end) {
        const t = Date.now();
        await once();
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(15000 - (Date.now() - t), end - Date.now()))));
      }
      console.log(`scrapes=${n} statuses=${JSON.stringify(seen)}`);
    })();
  ' "$1"
}

# web_request_bytes N — the log bytes web writes per console request at its level: N GETs of /login from the
# world container (a page every operator opens), the growth of web's log divided by N.
web_request_bytes() {
  local n=$1 before
  before=$(log_bytes finrep_web_prod)
  docker exec finrep_world_bench node -e '
    (async () => { for (let i = 0; i < Number(process.argv[1]); i++) await (await fetch("http://web:8000/login")).text(); })();
  ' "$n"
  sleep 1
  echo $((($(log_bytes finrep_web_prod) - before) / n))
}

# log_day_table IDLE_S FILE DAYS_FILE — from FILE's lines "container startup_bytes edition_bytes idle_bytes",
# one day per container = one edition + idle bytes per hour × 24, and the days its rotation keeps: at least
# (max-file − 1) × max-size (just after a rotation), at most max-file × max-size. DAYS_FILE gets
# "container least_days" lines (-1: not rotated, so unbounded; 1e9: nothing written).
log_day_table() {
  local idle_s=$1 file=$2 days=$3 c up ed idle rot
  while read -r c up ed idle; do
    rot=$(log_rotation "$c")
    echo "$c $up $ed $idle $rot"
  done <"$file" | awk -v s="$idle_s" -v days="$days" '{
    c = $1; up = $2; ed = $3; idle = $4; size = $5; files = $6
    hour = idle * 3600 / s; day = ed + 24 * hour
    keep = (size == 0 ? "not rotated" : sprintf("%d x %d MiB", files, size / 1048576))
    if (size == 0) kept = "unbounded"
    else if (day == 0) kept = "forever (0 bytes a day)"
    else kept = sprintf("%.0f to %.0f days", (files - 1) * size / day, files * size / day)
    printf "  %-22s %9d | %9d | %9.0f | %8.3f MiB/day | %-11s -> %s\n", c, up, ed, hour, day / 1048576, keep, kept
    printf "%s %s\n", c, (size == 0 ? -1 : day == 0 ? 1e9 : (files - 1) * size / day) >days
  }'
}
