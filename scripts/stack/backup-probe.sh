# Sourced by scripts/stack-bench.sh after memory.sh: `finrep backup` inside the beat container (its 256 MB
# limit), measured as the kernel counts it. On cgroup v1 the container's memory.max_usage_in_bytes is reset
# just before, so the peak it reads after is the backup's (beat's own process included — it shares the
# cgroup; page cache of the dump being written included); on v2 memory.peak is reset where the kernel allows
# (6.12+), else it is the peak since the container started. Meanwhile every 0.2 s: the cgroup's usage and
# working set, and each process's peak RSS (VmHWM from /proc on the host) — beat's Node, the exec'd
# `finrep backup` Node, pg_dump.

# proc_peaks_sample CGROUP_DIR — "pid vmhwm_kb command" for each process in the cgroup now.
proc_peaks_sample() {
  local pid hwm cmd
  for pid in $(cat "$1/cgroup.procs" 2>/dev/null); do
    hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
    [ -n "$hwm" ] || continue
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-70)
    echo "$pid $hwm $cmd"
  done
}

# backup_probe CONTAINER WORKDIR — runs `finrep backup --json` in CONTAINER (docker exec: the same cgroup),
# writes WORKDIR/backup.json (the manifest), backup.err (its log), backup-samples.tsv, backup-procs.tsv, and
# prints "key=value" lines: wall_ms exit peak_usage peak_ws failcnt_delta oom_kill_delta cpu_ms reset.
backup_probe() {
  local c=$1 w=$2 d cpu_d id reset=no failcnt0 failcnt1 oom0 oom1 cpu0 cpu1 t0 rc=0 stop
  d=$(cgroup_dir "$c")
  id=$(docker inspect -f '{{.Id}}' "$c")
  cpu_d=/sys/fs/cgroup/cpuacct/docker/$id
  [ -d "$cpu_d" ] || cpu_d=$d
  if [ -f "$d/memory.max_usage_in_bytes" ]; then
    echo 0 >"$d/memory.max_usage_in_bytes" && reset=yes
    failcnt0=$(cat "$d/memory.failcnt")
    oom0=$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.oom_control")
  else
    echo 0 >"$d/memory.peak" 2>/dev/null && reset=yes
    failcnt0=$(awk '$1 == "max" { print $2 }' "$d/memory.events")
    oom0=$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.events")
  fi
  cpu0=$(cat "$cpu_d/cpuacct.usage" 2>/dev/null || awk '$1 == "usage_usec" { print $2 * 1000 }' "$cpu_d/cpu.stat")
  stop=$w/backup-sampler.stop
  rm -f "$stop"
  (
    while [ ! -e "$stop" ]; do
      echo "$(date +%s%3N) $(memory_now "$d")" >>"$w/backup-samples.tsv"
      proc_peaks_sample "$d" >>"$w/backup-procs.tsv"
      sleep 0.2
    done
  ) &
  local sampler=$!
  t0=$(date +%s%3N)
  docker exec "$c" finrep backup --json >"$w/backup.json" 2>"$w/backup.err" || rc=$?
  local wall=$(($(date +%s%3N) - t0))
  sleep 0.5
  touch "$stop"
  wait "$sampler" || true
  if [ -f "$d/memory.max_usage_in_bytes" ]; then
    echo "peak_usage=$(cat "$d/memory.max_usage_in_bytes")"
    failcnt1=$(cat "$d/memory.failcnt")
    oom1=$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.oom_control")
  else
    echo "peak_usage=$(cat "$d/memory.peak")"
    failcnt1=$(awk '$1 == "max" { print $2 }' "$d/memory.events")
    oom1=$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.events")
  fi
  cpu1=$(cat "$cpu_d/cpuacct.usage" 2>/dev/null || awk '$1 == "usage_usec" { print $2 * 1000 }' "$cpu_d/cpu.stat")
  echo "reset=$reset"
  echo "exit=$rc"
  echo "wall_ms=$wall"
  echo "cpu_ms=$(((cpu1 - cpu0) / 1000000))"
  echo "failcnt_delta=$((failcnt1 - failcnt0))"
  echo "oom_kill_delta=$((${oom1:-0} - ${oom0:-0}))"
  echo "peak_ws=$(awk '{ if ($3 > m) m = $3 } END { print m + 0 }' "$w/backup-samples.tsv")"
  echo "peak_sampled_usage=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$w/backup-samples.tsv")"
}

# backup_report WORKDIR PROBE_FILE CONTAINER — the section of docs/stack-bench.txt: the cgroup's peaks, each
# process's peak RSS, and the backup itself (file, size, rows, gzip -t inside the container, the manifest).
# A subshell: PROBE_FILE's key=value lines (wall_ms, exit …) must not overwrite the caller's variables.
backup_report() (
  local w=$1 p=$2 c=$3 file manifest
  # shellcheck disable=SC1090
  . "$p"
  file=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).path' "$w/backup.json" 2>/dev/null || true)
  manifest=${file%.sql.gz}.manifest.json
  local limit_mib
  limit_mib=$(($(docker inspect -f '{{.HostConfig.Memory}}' "$c") / 1048576))
  echo "backup inside ${c} (docker exec $c finrep backup --json; the container's memory cgroup, limit ${limit_mib} MiB):"
  awk -v u="$peak_usage" -v ws="$peak_ws" -v su="$peak_sampled_usage" -v r="$reset" -v f="$failcnt_delta" \
    -v o="$oom_kill_delta" -v t="$wall_ms" -v cpu="$cpu_ms" -v rc="$exit" 'BEGIN {
      printf "  exit %d, wall %.1f s, CPU %.1f s (the container'\''s cpuacct)\n", rc, t / 1000, cpu / 1000
      printf "  cgroup peak: max_usage %.0f MiB (kernel, %s; page cache of the dump included) | sampled every 0.2 s: working set %.0f MiB, usage %.0f MiB\n",
        u / 1048576, (r == "yes" ? "reset just before the backup" : "since the container started"), ws / 1048576, su / 1048576
      printf "  limit reached during the backup (failcnt delta) %d; OOM kills %d\n", f, o
    }'
  echo "  peak RSS per process (VmHWM, sampled every 0.2 s; each counts the pages of node's binary it maps, the cgroup counts them once):"
  awk '{ k = $1; $1 = ""; $2 = $2 + 0; if ($2 > hwm[k]) hwm[k] = $2; cmd[k] = $0 }
    END { for (k in hwm) { c = cmd[k]; sub(/^ +[0-9]+ +/, "", c); printf "    %6.1f MiB  pid %s  %s\n", hwm[k] / 1024, k, c } }' \
    "$w/backup-procs.tsv" | sort -rn
  if [ -n "$file" ]; then
    echo "  file: $(docker exec "$c" sh -c "ls -l '$file' '$manifest' | awk '{ print \$5, \$9 }'" | paste -sd ' ' -)"
    echo "  gzip -t inside $c: $(docker exec "$c" gzip -t "$file" && echo ok || echo FAILED)"
    node -e '
      const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const rows = Object.values(m.tables).reduce((a, b) => a + b, 0);
      console.log(`  manifest: schema ${m.schema?.tag}, ${rows} rows (articles ${m.tables.articles}, story_clusters ${m.tables.story_clusters}, delivery_log ${m.tables.delivery_log}), ${m.bytes} bytes gzipped, ${m.dumpTool}`);
    ' "$w/backup.json"
  fi
  sed -n 's/^backup written: /  its line: backup written: /p' "$w/backup.err"
)
