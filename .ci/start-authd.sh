# Sourced by the CI scripts that need a fresh authd of their own.
#
# start_authd BIN DIR [VAR=value ...] starts BIN on 127.0.0.1 (a free port),
# on SQLite in DIR, with JSON logs in DIR/authd.log and the settings given,
# and waits until it listens: sets authd_pid and authd_url, or prints the
# log and fails.
start_authd() {
  local bin=$1 dir=$2
  shift 2
  env -u DATABASE_URL AUTHD_LISTEN=127.0.0.1:0 AUTHD_DATA_DIR="$dir" AUTHD_LOG_FORMAT=json "$@" "$bin" \
    >"$dir/authd.log" 2>&1 &
  authd_pid=$!
  authd_url=""
  for _ in $(seq 1 100); do
    authd_url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$dir/authd.log" | head -1 | sed 's/listening on //') || true
    [ -n "$authd_url" ] && return 0
    sleep 0.1
  done
  cat "$dir/authd.log" >&2
  echo "authd did not start" >&2
  return 1
}
