#!/usr/bin/env bash
# Runs the Postman collection against a running authd in two stages:
#   postman/run-newman.sh BASE_URL MAIL_LOG ADMIN_USERNAME ADMIN_PASSWORD
# Stage 1 logs a two-factor user in up to the mailed code; the code is read
# from the file-log mailer's output (never over HTTP) and handed to stage 2.
set -euo pipefail
base=$1 mail_log=$2 admin_user=$3 admin_password=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
collection="$here/authd.postman_collection.json"

newman run "$collection" -e "$here/authd.postman_environment.json" --folder "1 Login" \
  --env-var "baseUrl=$base" --env-var "adminUsername=$admin_user" --env-var "adminPassword=$admin_password" \
  --export-environment "$work/env.json" --bail --color off --reporters cli

email=$(python3 -c 'import json,sys; print(next(v["value"] for v in json.load(open(sys.argv[1]))["values"] if v["key"] == "email"))' "$work/env.json")
otp=$(python3 - "$mail_log" "$email" <<'PY'
import json, sys, time
# Messages go out in the background after the login answered: wait for it.
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
    sys.exit(f"no code was mailed to {sys.argv[2]} within 10 s")
PY
)

newman run "$collection" -e "$work/env.json" --folder "2 Session" --env-var "otp=$otp" --bail --color off --reporters cli
