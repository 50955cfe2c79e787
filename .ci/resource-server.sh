#!/usr/bin/env bash
# A resource server written by no one here checks authd's tokens: PyJWT
# (PyPI) with the published JWKS, as README.md shows, against a fresh authd
# on AUTHD_JWT_ALG=EdDSA. Only the access token may pass.
#
# Usage: .ci/resource-server.sh [authd binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/authd}

venv=${PYJWT_VENV:-/tmp/authd-ci-pyjwt-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import jwt, cryptography' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pyjwt[crypto]>=2.8,<3'
fi

dir=$(mktemp -d /tmp/authd-ci-rs.XXXXXX)
AUTHD_LISTEN=127.0.0.1:0 AUTHD_DATA_DIR="$dir" AUTHD_LOG_FORMAT=json AUTHD_JWT_ALG=EdDSA \
  env -u DATABASE_URL "$bin" >"$dir/authd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$dir/authd.log" | head -1 | sed 's/listening on //') || true
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$dir/authd.log"; echo "authd did not start for the resource server check" >&2; exit 1; }
"$venv/bin/python" .ci/resource_server.py "$url"
