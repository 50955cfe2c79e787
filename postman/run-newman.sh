#!/usr/bin/env bash
# Runs the Postman collection against a running authd in four stages:
#   postman/run-newman.sh BASE_URL MAIL_LOG ADMIN_USERNAME ADMIN_PASSWORD
# Stage 1 logs a two-factor user in up to the mailed code and sends a code to
# a phone; both codes are read from the file log's output (never over HTTP)
# and handed to stage 2. Stage 3 registers an application for the
# verification API, manages it as an administrator and, as the application,
# sends a code by mail; stage 4 checks that code (read from the log too).
set -euo pipefail
base=$1 mail_log=$2 admin_user=$3 admin_password=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
collection="$here/authd.postman_collection.json"

newman run "$collection" -e "$here/authd.postman_environment.json" --folder "1 Login" \
  --env-var "baseUrl=$base" --env-var "adminUsername=$admin_user" --env-var "adminPassword=$admin_password" \
  --export-environment "$work/env.json" --bail --color off --reporters cli

# The newest code sent to $1 (an email address or phone number) in the log.
code_for() {
  python3 - "$mail_log" "$1" <<'PY'
import json, sys, time
# Messages go out in the background after the request answered: wait for it.
for _ in range(100):
    try:
        codes = [m["code"] for m in map(json.loads, open(sys.argv[1])) if m.get("to") == sys.argv[2] and "code" in m]
    except FileNotFoundError:
        codes = []
    if codes:
        print(codes[-1])
        break
    time.sleep(0.1)
else:
    sys.exit(f"no code was sent to {sys.argv[2]} within 10 s")
PY
}
env_value() {
  python3 -c 'import json,sys; print(next(v["value"] for v in json.load(open(sys.argv[1]))["values"] if v["key"] == sys.argv[2]))' "$work/env.json" "$1"
}
otp=$(code_for "$(env_value email)")
phone_code=$(code_for "$(env_value phone)")

newman run "$collection" -e "$work/env.json" --folder "2 Session" --env-var "otp=$otp" --env-var "phoneCode=$phone_code" \
  --bail --color off --reporters cli

newman run "$collection" -e "$here/authd.postman_environment.json" --folder "3 Applications" \
  --env-var "baseUrl=$base" --env-var "adminUsername=$admin_user" --env-var "adminPassword=$admin_password" \
  --export-environment "$work/env.json" --bail --color off --reporters cli

verify_code=$(code_for "$(env_value verifyEmail)")
newman run "$collection" -e "$work/env.json" --folder "4 Verifications" --env-var "verifyCode=$verify_code" \
  --bail --color off --reporters cli

newman run "$collection" -e "$here/authd.postman_environment.json" --folder "5 Web pages" \
  --env-var "baseUrl=$base" --bail --color off --reporters cli
