#!/usr/bin/env bash
# Runs the Postman collection against a running authd in four stages:
#   postman/run-newman.sh BASE_URL MAIL_LOG ADMIN_USERNAME ADMIN_PASSWORD
# Stage 1 logs a two-factor user in up to the mailed code and sends a code to
# a phone; both codes, and the link of the mail proving the user's address,
# are read from the file log's output (never over HTTP) and handed to stage 2,
# which also asks for a password reset; the reset mail's link goes to stage 2b. Stage 3 registers an application for the
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

# The newest code sent to $1 (an email address or phone number) in the log,
# from a message of kind $2 (default: any with a code to type, not a mail
# proving the address); with $3 = link, the token of that message's link.
code_for() {
  python3 - "$mail_log" "$1" "${2:-}" "${3:-code}" <<'PY'
import json, sys, time
log, to, kind, what = sys.argv[1:5]
def wanted(m):
    return m.get("to") == to and (m.get("kind") == kind if kind else m.get("kind") != "email_verification")
# Messages go out in the background after the request answered: wait for it.
for _ in range(100):
    try:
        found = [m for m in map(json.loads, open(log)) if wanted(m)]
    except FileNotFoundError:
        found = []
    if found:
        m = found[-1]
        print(m["link"].split("?token=", 1)[1] if what == "link" else m["code"])
        break
    time.sleep(0.1)
else:
    sys.exit(f"no {kind or 'code'} message was sent to {to} within 10 s")
PY
}
env_value() {
  python3 -c 'import json,sys; print(next(v["value"] for v in json.load(open(sys.argv[1]))["values"] if v["key"] == sys.argv[2]))' "$work/env.json" "$1"
}
otp=$(code_for "$(env_value email)")
phone_code=$(code_for "$(env_value phone)")
email_token=$(code_for "$(env_value email)" email_verification link)

newman run "$collection" -e "$work/env.json" --folder "2 Session" --env-var "otp=$otp" --env-var "phoneCode=$phone_code" \
  --env-var "emailToken=$email_token" --export-environment "$work/env2.json" \
  --bail --color off --reporters cli

reset_token=$(code_for "$(env_value email)" password_reset link)
newman run "$collection" -e "$work/env2.json" --folder "2b Password reset" --env-var "resetToken=$reset_token" \
  --bail --color off --reporters cli

newman run "$collection" -e "$here/authd.postman_environment.json" --folder "3 Applications" \
  --env-var "baseUrl=$base" --env-var "adminUsername=$admin_user" --env-var "adminPassword=$admin_password" \
  --export-environment "$work/env.json" --bail --color off --reporters cli

verify_code=$(code_for "$(env_value verifyEmail)")
newman run "$collection" -e "$work/env.json" --folder "4 Verifications" --env-var "verifyCode=$verify_code" \
  --bail --color off --reporters cli

newman run "$collection" -e "$here/authd.postman_environment.json" --folder "5 Web pages" \
  --env-var "baseUrl=$base" --bail --color off --reporters cli
