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

. .ci/start-authd.sh
dir=$(mktemp -d /tmp/authd-ci-rs.XXXXXX)
trap 'kill "${authd_pid:-}" 2>/dev/null || true; wait "${authd_pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_authd "$bin" "$dir" AUTHD_JWT_ALG=EdDSA
"$venv/bin/python" .ci/resource_server.py "$authd_url"
