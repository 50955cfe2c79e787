#!/usr/bin/env bash
# Schema conformance: schemathesis (PyPI) generates requests from a fresh
# authd's /openapi.json, authenticated as an administrator, and checks every
# answer: no 5xx, only documented statuses and content types, bodies that
# match their schemas. Any finding fails CI; fix the server or the spec's
# honesty, never loosen the spec to pass.
#
# Usage: .ci/schemathesis.sh [authd binary] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/authd}
seconds=${2:-90}

venv=${SCHEMATHESIS_VENV:-/tmp/authd-ci-schemathesis-venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.3,<5'
fi
"$venv/bin/schemathesis" --version

dir=$(mktemp -d /tmp/authd-ci-schemathesis.XXXXXX)
# Per-address limits off: every generated request comes from 127.0.0.1.
AUTHD_LISTEN=127.0.0.1:0 AUTHD_DATA_DIR="$dir" AUTHD_LOG_FORMAT=json RUST_LOG=info,authd::access=off \
  AUTHD_BOOTSTRAP_ADMIN_EMAIL=st-admin@example.com AUTHD_BOOTSTRAP_ADMIN_USERNAME=st-admin \
  AUTHD_BOOTSTRAP_ADMIN_PASSWORD=saffron-harbour-lantern-93 \
  AUTHD_RATE_TOKEN_PER_MINUTE=0 AUTHD_RATE_OTP_PER_MINUTE=0 AUTHD_RATE_REGISTRATIONS_PER_HOUR=0 \
  env -u DATABASE_URL "$bin" >"$dir/authd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$dir/authd.log" | head -1 | sed 's/listening on //') || true
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$dir/authd.log"; echo "authd did not start for schemathesis" >&2; exit 1; }

token=$(curl -sf -X POST "$url/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"st-admin","password":"saffron-harbour-lantern-93"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# An application's key, so that the verification routes (which take it in
# X-API-Key and ignore the bearer token) are exercised too.
key=$(curl -sf -X POST "$url/api/v1/apps" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"schemathesis","channels":["email","sms"]}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

# Logout is left out: it would revoke the token every other request carries
# (the black-box suite and Postman cover it).
# It keeps a cache in its working directory: the run's own, not the checkout.
# One worker: Debian's Python 3.11 can fail `ast.parse` run from two threads at
# once ("AST constructor recursion depth mismatch", python/cpython#106905),
# which hypothesis does while describing its filters.
cd "$dir"
"$venv/bin/schemathesis" run "$url/openapi.json" \
  -H "Authorization: Bearer $token" -H "X-API-Key: $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /auth/logout \
  --max-time "$seconds" --workers 1 --request-timeout 30
if grep -q '"level":"ERROR"' "$dir/authd.log"; then
  echo "authd logged errors during the run:" >&2
  grep '"level":"ERROR"' "$dir/authd.log" | head -20 >&2
  exit 1
fi
