#!/usr/bin/env bash
# PostgreSQL failover under load, as production runs it: a primary and a
# streaming standby (pg_basebackup, synchronous replication) on 127.0.0.1,
# HAProxy in front of them (Debian's package), authd reaching the database
# only through HAProxy. The black-box test `failover::` drives it: it routes
# HAProxy to the standby while the primary is up (writes must be 503), then,
# under load, stops the primary, promotes the standby and moves HAProxy, as
# Patroni's HAProxy check would; it prints its figures and fails on a 500 or
# a lost acknowledged write.
#
#   bash .ci/failover.sh            # sets up, runs the test, removes everything
#   bash .ci/failover.sh act WHAT   # what the test calls (WHAT: to-standby,
#                                   # to-primary, fail-over); needs the
#                                   # environment the first form exports
set -euo pipefail
cd "$(dirname "$0")/.."

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Tells HAProxy's runtime API one command (HAProxy's own socket protocol).
haproxy_say() {
  python3 - "$FAILOVER_DIR/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
print(s.recv(4096).decode().strip())
PY
}

if [ "${1:-}" = act ]; then
  case "${2:-}" in
    to-standby)
      haproxy_say "enable server postgres/standby"
      haproxy_say "disable server postgres/primary"
      haproxy_say "shutdown sessions server postgres/primary" ;;
    to-primary)
      haproxy_say "enable server postgres/primary"
      haproxy_say "disable server postgres/standby"
      haproxy_say "shutdown sessions server postgres/standby" ;;
    fail-over)
      # The primary dies; the standby is promoted; HAProxy's check (here its
      # runtime API, as Patroni's REST check would) moves to the new primary.
      as_pg "$PG_BIN/pg_ctl" -D "$FAILOVER_DIR/primary" -m immediate stop >/dev/null
      as_pg "$PG_BIN/pg_ctl" -D "$FAILOVER_DIR/standby" -w -t 30 promote >/dev/null
      haproxy_say "enable server postgres/standby"
      haproxy_say "disable server postgres/primary"
      haproxy_say "shutdown sessions server postgres/primary" ;;
    *) echo "failover.sh act: to-standby, to-primary or fail-over" >&2; exit 2 ;;
  esac
  exit 0
fi

PG_BIN=""
for c in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" /usr/lib/postgresql/*/bin; do
  if [ -x "$c/initdb" ] && [ -x "$c/pg_basebackup" ]; then PG_BIN="$c"; break; fi
done
[ -n "$PG_BIN" ] || { echo "failover: no PostgreSQL server programs (initdb, pg_basebackup)" >&2; exit 1; }
if ! command -v haproxy >/dev/null; then
  echo "installing haproxy from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq haproxy >/dev/null
fi
haproxy -v | sed -n 1p
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

FAILOVER_DIR=$(mktemp -d /tmp/authd-failover.XXXXXX)
chmod 755 "$FAILOVER_DIR"
[ "$(id -u)" = 0 ] && chown postgres "$FAILOVER_DIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
primary_port=$(free_port)
standby_port=$(free_port)
proxy_port=$(free_port)
haproxy_pid=""
cleanup() {
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null || true
  for d in primary standby; do
    as_pg "$PG_BIN/pg_ctl" -D "$FAILOVER_DIR/$d" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$FAILOVER_DIR"
}
trap cleanup EXIT

# Synchronous replication: a commit is acknowledged once the standby has it
# on disk, so the promoted standby holds every acknowledged write.
as_pg "$PG_BIN/initdb" -D "$FAILOVER_DIR/primary" -A trust -U postgres --no-sync >"$FAILOVER_DIR/initdb.log" 2>&1 \
  || { cat "$FAILOVER_DIR/initdb.log"; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$FAILOVER_DIR/primary" -l "$FAILOVER_DIR/primary.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $primary_port -k $FAILOVER_DIR -c wal_level=replica -c max_wal_senders=4 \
      -c synchronous_standby_names=standby1 -c synchronous_commit=on -c max_connections=100" start >/dev/null
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$FAILOVER_DIR/standby" -R -X stream
as_pg "$PG_BIN/pg_ctl" -D "$FAILOVER_DIR/standby" -l "$FAILOVER_DIR/standby.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $standby_port -k $FAILOVER_DIR -c max_connections=100 \
      -c primary_conninfo='host=127.0.0.1 port=$primary_port user=postgres application_name=standby1'" start >/dev/null
for _ in $(seq 50); do
  state=$(psql "postgres://postgres@127.0.0.1:$primary_port/postgres" -Atc \
    "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'" 2>/dev/null || true)
  [ "$state" = sync ] && break
  sleep 0.2
done
[ "$state" = sync ] || { echo "failover: the standby did not become synchronous (state: '$state')" >&2; tail -20 "$FAILOVER_DIR/standby.log"; exit 1; }
echo "primary on $primary_port, synchronous standby on $standby_port"

# As Patroni's HAProxy template: TCP mode, sessions to a server marked down
# are cut (on-marked-down shutdown-sessions) so clients reconnect at once.
cat >"$FAILOVER_DIR/haproxy.cfg" <<CFG
global
  stats socket $FAILOVER_DIR/haproxy.sock mode 600 level admin
defaults
  mode tcp
  timeout connect 1s
  timeout client 30m
  timeout server 30m
listen postgres
  bind 127.0.0.1:$proxy_port
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server primary 127.0.0.1:$primary_port check
  server standby 127.0.0.1:$standby_port check disabled
CFG
haproxy -f "$FAILOVER_DIR/haproxy.cfg" -db >"$FAILOVER_DIR/haproxy.log" 2>&1 &
haproxy_pid=$!
for _ in $(seq 50); do [ -S "$FAILOVER_DIR/haproxy.sock" ] && break; sleep 0.1; done
echo "HAProxy on $proxy_port"

export FAILOVER_DIR PG_BIN
export AUTHD_FAILOVER_DATABASE_URL="postgres://postgres@127.0.0.1:$proxy_port/postgres"
export AUTHD_FAILOVER_STANDBY_URL="postgres://postgres@127.0.0.1:$standby_port/postgres"
export AUTHD_FAILOVER_ACT="bash $PWD/.ci/failover.sh act"
# --workspace: the features of the suite's own build, so nothing is rebuilt.
out=$(mktemp /tmp/authd-failover-test.XXXXXX)
env -u AUTHD_BASE_URL cargo test -q --workspace --test blackbox -- failover:: --nocapture 2>&1 | tee "$out"
grep -q '^failover figures:' "$out" || { echo "failover: the failover test did not run" >&2; rm -f "$out"; exit 1; }
rm -f "$out"
