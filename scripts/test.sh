#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the system tools the tests drive
# (ffmpeg, nats-server, PostgreSQL, espeak-ng, sox, Chromium for the browser build's test) when missing, starts a throwaway
# PostgreSQL cluster and NATS server (JetStream enabled) on loopback, runs vitest, and stops them again.
# Extra arguments go to vitest (e.g. `npm test -- packages/clip`).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v nats-server >/dev/null || need+=(nats-server)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
# Debian's chromium, driven by playwright-core in examples/visual-search (PMOVES_CHROMIUM overrides it).
[ -n "${PMOVES_CHROMIUM:-}" ] || command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing system packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! command -v apt-get >/dev/null; then
    echo "test.sh: missing ${need[*]} and no apt-get here; install them and rerun." >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
work=$(mktemp -d /tmp/pmoves-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  if [ -n "${PG_STARTED:-}" ]; then as_pg "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: use the postgres system user when we are root.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -z "${PMOVES_TEST_DATABASE_URL:-}" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ "$(id -u)" -eq 0 ] && chown postgres "$work"
  as_pg "$PGBIN/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 >/dev/null
  pg_port=$(free_port)
  as_pg "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_STARTED=1
  export PMOVES_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
fi

if [ -z "${PMOVES_TEST_NATS_URL:-}" ]; then
  nats_port=$(free_port)
  # JetStream on, its store in the throwaway folder (the audio processor's work queue needs it).
  nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$work/nats-js" >"$work/nats.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "Server is ready" "$work/nats.log" && break; sleep 0.1; done
  grep -q "Server is ready" "$work/nats.log" || { cat "$work/nats.log" >&2; echo "test.sh: nats-server did not start" >&2; exit 1; }
  export PMOVES_TEST_NATS_URL="nats://127.0.0.1:$nats_port"
fi

npx vitest run "$@"
