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
# The operations that can answer 2xx to a fuzzer holding an admin's access
# token and an app's key (every other needs a secret it does not have; see
# the list below the run). Fewer means the run lost its credentials.
MIN_OPERATIONS_WITH_2XX=${MIN_OPERATIONS_WITH_2XX:-25}

venv=${SCHEMATHESIS_VENV:-/tmp/authd-ci-schemathesis-venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.3,<5'
fi
"$venv/bin/schemathesis" --version

. .ci/start-authd.sh
dir=$(mktemp -d /tmp/authd-ci-schemathesis.XXXXXX)
trap 'kill "${authd_pid:-}" 2>/dev/null || true; wait "${authd_pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
# Per-address limits off: every generated request comes from 127.0.0.1.
start_authd "$bin" "$dir" RUST_LOG=info,authd::access=off \
  AUTHD_BOOTSTRAP_ADMIN_EMAIL=st-admin@example.com AUTHD_BOOTSTRAP_ADMIN_USERNAME=st-admin \
  AUTHD_BOOTSTRAP_ADMIN_PASSWORD=saffron-harbour-lantern-93 \
  AUTHD_RATE_TOKEN_PER_MINUTE=0 AUTHD_RATE_OTP_PER_MINUTE=0 AUTHD_RATE_REGISTRATIONS_PER_HOUR=0
url=$authd_url

token=$(curl -sf -X POST "$url/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"st-admin","password":"saffron-harbour-lantern-93"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# An application's key, so that the verification routes (which take it in
# X-API-Key and ignore the bearer token) are exercised too.
key=$(curl -sf -X POST "$url/api/v1/apps" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"schemathesis","channels":["email","sms"]}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

# The routes that end the fuzzer's own session are left out: logout, and
# ending one of its sessions by id (its stateful phase finds the current one
# in GET /users/me/sessions). Either would revoke the token every other
# request carries, and the rest of the run would only see 401s (the
# black-box suite and Postman cover both).
# use_after_free is left out: a deleted user's or application's security
# events stay readable by an admin by design (the audit trail outlives what
# it is about), and the check cannot be turned off for those two routes
# alone under --checks all (schemathesis 4.32 ignores a per-operation
# `enabled = false` then). That a deleted user or app itself answers 404 is
# the black-box suite's (admin::deleting_a_user_removes_their_sessions_and_keeps_their_events,
# apps::an_admin_registers_an_app_sees_its_key_once_changes_rotates_and_deletes_it).
# It keeps a cache in its working directory: the run's own, not the checkout.
# One worker: Debian's Python 3.11 can fail `ast.parse` run from two threads at
# once ("AST constructor recursion depth mismatch", python/cpython#106905),
# which hypothesis does while describing its filters.
record="$dir/statuses.json"
ci_dir=$(cd "$(dirname "$0")" && pwd)
cd "$dir"
status=0
AUTHD_ST_RECORD="$record" PYTHONPATH="$ci_dir" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  "$venv/bin/schemathesis" --config-file "$ci_dir/schemathesis.toml" run "$url/openapi.json" \
  -H "Authorization: Bearer $token" -H "X-API-Key: $key" \
  --checks all --exclude-checks use_after_free \
  --exclude-path /auth/logout --exclude-path '/users/me/sessions/{id}' \
  --max-time "$seconds" --workers 1 --request-timeout 30 || status=$?

# How many operations got past authentication and validation at least once.
# The 18 that cannot with an admin's access token and an app's key: the
# three that take a login's temporary token (verify-otp, resend-otp,
# otp-status); refresh-token (it has no refresh token); the ones that need
# a password it does not know (auth/token, DELETE /users/me and
# /users/me/totp, POST /users/me/totp and /recovery-codes, change-password)
# or a code it never sees (totp/confirm, phone/confirm,
# verifications/{id}/check); the phone's verify and verification (the
# admin has no phone); verifications/{id}/resend (within the cooldown of
# the code it just sent, or closed); auth/verify-email and
# auth/password-reset/confirm (the token or code of a mail it never reads).
python3 - "$record" "$MIN_OPERATIONS_WITH_2XX" <<'PY'
import json, sys
seen = json.load(open(sys.argv[1]))
ok = sorted(op for op, statuses in seen.items() if any(200 <= s < 300 for s in statuses))
never = sorted(set(seen) - set(ok))
print(f"schemathesis: {len(ok)} of {len(seen)} operations got at least one 2xx answer")
for op in never:
    print(f"  never 2xx: {op} (got {seen[op]})")
if len(ok) < int(sys.argv[2]):
    sys.exit(f"only {len(ok)} operations got a 2xx answer; the routes allow {sys.argv[2]}: did the run lose its token?")
PY
[ "$status" = 0 ] || exit "$status"
if grep -q '"level":"ERROR"' "$dir/authd.log"; then
  echo "authd logged errors during the run:" >&2
  grep '"level":"ERROR"' "$dir/authd.log" | head -20 >&2
  exit 1
fi
