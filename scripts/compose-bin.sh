#!/usr/bin/env bash
# Prints the path of a Docker Compose v2 binary, fetching one when the machine has none.
# Order: $FINREP_COMPOSE_BIN; the `docker compose` plugin; a copy cached under ${XDG_CACHE_HOME:-~/.cache}/finrep;
# else Debian trixie's docker-compose 2.26 .deb (runs on bookworm; bookworm's own docker-compose is v1 and
# rejects the top-level `name:`), downloaded with a private apt source list and unpacked, leaving the
# system's apt sources untouched. Exit 1 with a reason on stderr when none can be had.
set -euo pipefail

if [ -n "${FINREP_COMPOSE_BIN:-}" ] && [ -x "$FINREP_COMPOSE_BIN" ]; then echo "$FINREP_COMPOSE_BIN"; exit 0; fi
for dir in "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" /usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins; do
  if [ -x "$dir/docker-compose" ] && "$dir/docker-compose" version 2>/dev/null | grep -q 'v2\.'; then
    echo "$dir/docker-compose"; exit 0
  fi
done
cache="${XDG_CACHE_HOME:-$HOME/.cache}/finrep/compose"
bin="$cache/x/usr/libexec/docker/cli-plugins/docker-compose"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

mirror=$( (sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null;
  sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null) \
  | tr ' ' '\n' | grep -E '^https?://' | grep -v security | head -1 || true)
[ -n "$mirror" ] || { echo "compose-bin: no Debian mirror found in /etc/apt sources" >&2; exit 1; }
mkdir -p "$cache/lists/partial" "$cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$cache/trixie.list"
opts=(-o "Dir::Etc::sourcelist=$cache/trixie.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$cache/lists"
  -o "Dir::Cache=$cache" -o "Dir::Cache::archives=$cache/archives" -o Debug::NoLocking=1)
apt-get "${opts[@]}" update -qq >&2 || { echo "compose-bin: apt-get update of trixie failed" >&2; exit 1; }
(cd "$cache" && apt-get "${opts[@]}" download docker-compose=2.26.1-4 >&2) \
  || { echo "compose-bin: cannot download docker-compose 2.26.1-4" >&2; exit 1; }
dpkg -x "$cache"/docker-compose_*.deb "$cache/x"
[ -x "$bin" ] || { echo "compose-bin: the .deb had no docker-compose plugin" >&2; exit 1; }
echo "$bin"
