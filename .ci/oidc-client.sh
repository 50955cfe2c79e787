#!/usr/bin/env bash
# An OpenID Connect client written by no one here signs a user in through a
# fresh authd: Python's authlib (PyPI) reads discovery, sends headless
# Chromium (selenium, with Debian's chromium and chromedriver) through the
# login and consent pages, redeems the code with PKCE and the client's
# secret, and validates the ID token with the JWKS alone (signature, iss,
# aud, azp, exp, iat, nonce, at_hash); then userinfo, RP-initiated logout
# through the browser (end_session_endpoint, back with the state), and the
# client's own token (client_credentials, introspected, revoked) as
# authlib sends them. Any failure fails CI.
#
# Usage: .ci/oidc-client.sh [authd binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/authd}

venv=${OIDC_CLIENT_VENV:-/tmp/authd-ci-oidc-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import authlib, requests, selenium' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'authlib>=1.3,<2' 'requests>=2.31,<3' 'selenium>=4.20,<5'
fi
"$venv/bin/python" -c 'import authlib; print("authlib", authlib.__version__)'

. .ci/start-authd.sh
dir=$(mktemp -d /tmp/authd-ci-oidc.XXXXXX)
trap 'kill "${authd_pid:-}" 2>/dev/null || true; wait "${authd_pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
# A fixed port, so the issuer (AUTHD_PUBLIC_URL, by name: passkeys want one)
# is the address the browser and the client use.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_authd "$bin" "$dir" AUTHD_LISTEN="127.0.0.1:$port" AUTHD_PUBLIC_URL="http://localhost:$port" \
  AUTHD_BOOTSTRAP_ADMIN_EMAIL=oidc-admin@example.com AUTHD_BOOTSTRAP_ADMIN_USERNAME=oidc-admin \
  AUTHD_BOOTSTRAP_ADMIN_PASSWORD=saffron-harbour-lantern-93
"$venv/bin/python" .ci/oidc_client.py "$authd_url" oidc-admin saffron-harbour-lantern-93
