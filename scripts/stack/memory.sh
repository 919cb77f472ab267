# Sourced by scripts/stack-bench.sh: the memory of containers, read from their memory cgroups on the host
# (the engine's cgroupfs driver: /sys/fs/cgroup/memory/docker/<id> on cgroup v1, /sys/fs/cgroup/docker/<id>
# on v2), with `docker exec C cat` as the fallback when that folder is not visible.

# cgroup_dir CONTAINER — prints the container's memory cgroup folder on the host (empty when not found).
cgroup_dir() {
  local id
  id=$(docker inspect -f '{{.Id}}' "$1" 2>/dev/null) || return 0
  for d in "/sys/fs/cgroup/memory/docker/$id" "/sys/fs/cgroup/docker/$id" "/sys/fs/cgroup/system.slice/docker-$id.scope"; do
    [ -d "$d" ] && { echo "$d"; return 0; }
  done
}

# memory_now DIR — "usage working_set": usage = what the cgroup is charged (page cache included);
# working set = usage less the inactive file cache, the figure `docker stats` shows and reclaim cannot free.
memory_now() {
  local d=$1 usage inactive
  if [ -f "$d/memory.usage_in_bytes" ]; then
    usage=$(cat "$d/memory.usage_in_bytes") || return 1
    inactive=$(awk '$1 == "total_inactive_file" { print $2 }' "$d/memory.stat")
  else
    usage=$(cat "$d/memory.current") || return 1
    inactive=$(awk '$1 == "inactive_file" { print $2 }' "$d/memory.stat")
  fi
  echo "$usage $((usage - ${inactive:-0}))"
}

# sample_memory OUT STOPFILE CONTAINER… — every second until STOPFILE exists, one line per container:
# "epoch_ms name usage working_set". Containers that do not exist yet are looked for again each second.
sample_memory() {
  local out=$1 stop=$2 c m
  shift 2
  declare -A dir=()
  while [ ! -e "$stop" ]; do
    for c in "$@"; do
      [ -n "${dir[$c]:-}" ] || dir[$c]=$(cgroup_dir "$c")
      [ -n "${dir[$c]}" ] || continue
      m=$(memory_now "${dir[$c]}" 2>/dev/null) || { dir[$c]=; continue; }
      echo "$(date +%s%3N) $c $m"
    done >>"$out"
    sleep 1
  done
}

# memory_limits CONTAINER — "peak_usage failcnt oom_kills limit" from the cgroup itself (v1: max_usage_in_bytes
# and failcnt, the times usage reached the limit; v2: memory.peak and the max events).
memory_limits() {
  local d
  d=$(cgroup_dir "$1")
  if [ -n "$d" ] && [ -f "$d/memory.max_usage_in_bytes" ]; then
    echo "$(cat "$d/memory.max_usage_in_bytes") $(cat "$d/memory.failcnt") $(awk '$1 == "oom_kill" { print $2 }' "$d/memory.oom_control" 2>/dev/null || echo 0) $(cat "$d/memory.limit_in_bytes")"
  elif [ -n "$d" ] && [ -f "$d/memory.peak" ]; then
    echo "$(cat "$d/memory.peak") $(awk '$1 == "max" { print $2 }' "$d/memory.events") $(awk '$1 == "oom_kill" { print $2 }' "$d/memory.events") $(cat "$d/memory.max")"
  else
    echo "? ? ? ?"
  fi
}
