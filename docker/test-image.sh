#!/usr/bin/env bash
# Builds authd's container image and runs the black-box suite against it:
# once on SQLite (a bind-mounted data dir owned by the image's user), once on
# PostgreSQL in a container beside it on a private network. Removes what it
# started, and fails unless at least MIN_REMOTE_TESTS tests ran on each.
#
#   bash docker/test-image.sh
#
# Uses docker when a daemon answers, podman otherwise. Where no registry is
# reachable it makes the Debian base with mmdebstrap (needs root), builds
# PostgreSQL's image from docker/postgres, and puts the host's release binary
# in the image (AUTHD_BIN=prebuilt) instead of compiling in a Rust image.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${AUTHD_IMAGE:-localhost/authd:test}
BASE_IMAGE=${RUNTIME_IMAGE:-docker.io/library/debian:bookworm-slim}
RUST_IMAGE=${RUST_IMAGE:-docker.io/library/rust:1.95-bookworm}
MIN_REMOTE_TESTS=${MIN_REMOTE_TESTS:-40}
ADMIN_LOGIN=root-admin
ADMIN_PASSWORD=saffron-harbour-lantern-93
PULL_TIMEOUT=${PULL_TIMEOUT:-60}

say() { printf '\n--- %s\n' "$*"; }
die() { echo "test-image: $*" >&2; exit 1; }

if docker info >/dev/null 2>&1; then
  engine=docker
  build_flags=()
  run_flags=()
elif command -v podman >/dev/null; then
  engine=podman
  # The OCI format drops HEALTHCHECK; the docker format keeps it.
  build_flags=(--format docker)
  # Podman runs HEALTHCHECKs from systemd timers, which a machine without
  # systemd lacks: wait_ready runs the same command itself instead.
  run_flags=(--no-healthcheck)
else
  die "neither a docker daemon nor podman is available (Debian: apt-get install podman runc)"
fi
$engine --version

say "the Dockerfile and compose file as the README gives them"
# A FROM that picks a stage through an ARG must carry the default in the
# expression: podman 4.3 (Debian bookworm's) reads a bare ${AUTHD_BIN} as an
# image name and fails the README's `podman build` without --build-arg.
bare=$(grep -nE '^FROM \$\{[A-Za-z_]+\}' docker/Dockerfile | grep -vE '\$\{(RUST_IMAGE|RUNTIME_IMAGE)\}' || true)
[ -z "$bare" ] || die "a stage chosen by an ARG without its default in the expression: $bare"
# Only `up` reads AUTHD_JWT_SECRET: `logs` and `down -v` must work without it.
if [ "$engine" = docker ]; then compose=(docker compose); elif command -v podman-compose >/dev/null; then compose=(podman-compose); else compose=(); fi
if [ ${#compose[@]} -gt 0 ]; then
  said=$(env -u AUTHD_JWT_SECRET "${compose[@]}" -f docker/compose.yaml ps 2>&1) \
    || die "compose ps without AUTHD_JWT_SECRET failed: $said"
  case "$said" in *AUTHD_JWT_SECRET*) die "compose asks for AUTHD_JWT_SECRET outside up: $said" ;; esac
  echo "compose reads the file without AUTHD_JWT_SECRET (${compose[*]})"
else
  die "no compose to check docker/compose.yaml with (Debian: apt-get install podman-compose)"
fi

run_id="$$"
started=()
networks=()
dirs=()
cleanup() {
  for c in "${started[@]}"; do $engine rm -f -v "$c" >/dev/null 2>&1 || true; done
  for n in "${networks[@]}"; do $engine network rm "$n" >/dev/null 2>&1 || true; done
  for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

have_image() { $engine image inspect "$1" >/dev/null 2>&1; }
pull() { timeout "$PULL_TIMEOUT" $engine pull -q "$1" >/dev/null 2>&1; }

say "base image $BASE_IMAGE"
if have_image "$BASE_IMAGE"; then
  echo "present"
elif pull "$BASE_IMAGE"; then
  echo "pulled"
else
  echo "no registry answers: making it from Debian's packages with mmdebstrap"
  command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (Debian: apt-get install mmdebstrap)"
  [ "$(id -u)" = 0 ] || die "mmdebstrap needs root to make the base image"
  rootfs=$(mktemp -d /tmp/authd-rootfs.XXXXXX)
  dirs+=("$rootfs")
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,libssl3 \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$rootfs/rootfs.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" \
    >"$rootfs/mmdebstrap.log" 2>&1 || { tail -40 "$rootfs/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
  $engine import -q "$rootfs/rootfs.tar" localhost/debian:bookworm-slim >/dev/null
  $engine tag localhost/debian:bookworm-slim "$BASE_IMAGE"
  echo "made $BASE_IMAGE (also localhost/debian:bookworm-slim)"
fi

say "authd image $IMAGE"
if [ -z "${AUTHD_BIN:-}" ]; then
  if have_image "$RUST_IMAGE" || pull "$RUST_IMAGE"; then AUTHD_BIN=build; else AUTHD_BIN=prebuilt; fi
fi
if [ "$AUTHD_BIN" = prebuilt ]; then
  echo "no $RUST_IMAGE: the image gets the host's release binary"
  cargo build --release --locked -q -p api --bin authd
  # The build context holds target/release/authd (.dockerignore lets only it in).
  built="${CARGO_TARGET_DIR:-target}/release/authd"
  if [ "$built" != target/release/authd ]; then
    mkdir -p target/release && cp "$built" target/release/authd
  fi
fi
$engine build -q "${build_flags[@]}" -f docker/Dockerfile \
  --build-arg AUTHD_BIN="$AUTHD_BIN" --build-arg RUST_IMAGE="$RUST_IMAGE" --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
  -t "$IMAGE" . >/dev/null
size=$($engine image inspect "$IMAGE" --format '{{.Size}}')
echo "image size: $((size / 1000000)) MB ($IMAGE, binary from: $AUTHD_BIN)"
MAX_IMAGE_MB=${MAX_IMAGE_MB:-50}
[ "$((size / 1000000))" -lt "$MAX_IMAGE_MB" ] || die "the image is $((size / 1000000)) MB, not under $MAX_IMAGE_MB MB"
healthcheck=$($engine image inspect "$IMAGE" --format '{{json .Config.Healthcheck.Test}}')
case "$healthcheck" in
  *'"authd"'*|*'/authd"'*) echo "HEALTHCHECK: $healthcheck" ;;
  *) die "the image has no HEALTHCHECK running authd health (got: $healthcheck)" ;;
esac

# Where people would reach the containers: the origin their passkeys are
# for (the suite's software authenticator says it; it reaches them on
# 127.0.0.1 and a published port).
PUBLIC_URL=http://localhost:8000
# The settings every test container gets: a bootstrap admin for the admin
# tests, per-address limits off (every test comes from one address), and no
# hash-queue bound (the suite's parallel registrations share two cores).
common_env=(
  -e AUTHD_LOG_FORMAT=json
  -e AUTHD_BOOTSTRAP_ADMIN_EMAIL=root-admin@example.com
  -e AUTHD_BOOTSTRAP_ADMIN_USERNAME="$ADMIN_LOGIN"
  -e AUTHD_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD"
  -e AUTHD_RATE_TOKEN_PER_MINUTE=0
  -e AUTHD_RATE_OTP_PER_MINUTE=0
  -e AUTHD_RATE_REGISTRATIONS_PER_HOUR=0
  -e AUTHD_HASH_QUEUE_MAX_WAIT_MS=0
  -e AUTHD_PUBLIC_URL="$PUBLIC_URL"
)

# A data dir on the host that the image's user (uid 10001) owns, in $data.
new_data_dir() {
  data=$(mktemp -d /tmp/authd-image-data.XXXXXX)
  dirs+=("$data")
  if [ "$(id -u)" = 0 ]; then
    chown 10001:10001 "$data"
  elif [ "$engine" = podman ]; then
    podman unshare chown 10001:10001 "$data"
  else
    chmod 0777 "$data"
  fi
}

# Starts container $1 from image $2 with the remaining arguments, and
# remembers it for the cleanup (not in a subshell: the list must grow here).
start() {
  local name="$1" image="$2"
  shift 2
  started+=("$name")
  $engine run -d "${run_flags[@]}" --name "$name" "$@" "$image" >/dev/null
}

# Starts authd's container $1 on data dir $2 with the remaining arguments.
start_authd() {
  local name="$1" dir="$2"
  shift 2
  start "$name" "$IMAGE" --read-only -v "$dir:/var/lib/authd" -p 127.0.0.1::8000 "${common_env[@]}" "$@"
}

# Waits for the container's own HEALTHCHECK command to pass; prints its URL.
wait_ready() {
  local name="$1" port
  for _ in $(seq 1 120); do
    if $engine exec "$name" /usr/local/bin/authd health >/dev/null 2>&1; then
      port=$($engine port "$name" 8000/tcp | head -1 | sed 's/.*://')
      echo "http://127.0.0.1:$port"
      return 0
    fi
    if [ "$($engine inspect "$name" --format '{{.State.Running}}')" != true ]; then
      $engine logs "$name" >&2 || true
      die "$name stopped before it was ready"
    fi
    sleep 0.5
  done
  $engine logs "$name" >&2 || true
  die "$name was not ready within 60 s"
}

# Runs the black-box suite against $1 (URL) with mail in $2; checks the count.
run_suite() {
  local label="$1" url="$2" mail_log="$3" out passed skipped ran
  out=$(mktemp /tmp/authd-image-suite.XXXXXX)
  dirs+=("$out")
  say "black-box suite against the container on $label ($url)"
  if ! AUTHD_BASE_URL="$url" AUTHD_MAIL_LOG="$mail_log" AUTHD_TEST_PUBLIC_URL="$PUBLIC_URL" \
    AUTHD_TEST_ADMIN_LOGIN="$ADMIN_LOGIN" AUTHD_TEST_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    env -u AUTHD_TEST_DATABASE_URL cargo test -q --locked -p api --test blackbox -- --show-output >"$out" 2>&1; then
    grep -vE '^(---- |$)' "$out" | tail -80 >&2
    die "the black-box suite failed against the container on $label"
  fi
  passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$out" | grep -Eo '[0-9]+' | tail -1)
  skipped=$(grep -c 'skipped against a remote server:' "$out" || true)
  ran=$((passed - skipped))
  grep -o 'skipped against a remote server:.*' "$out" | sort | uniq -c | sed 's/^/  /'
  echo "black-box tests against the container on $label: $ran ran, $skipped skipped (need their own server), 0 failed"
  [ "$ran" -ge "$MIN_REMOTE_TESTS" ] || die "only $ran black-box tests ran against the container on $label (need $MIN_REMOTE_TESTS)"
}

say "SQLite: a bind-mounted data dir, read-only root filesystem"
new_data_dir
sqlite_data=$data
sqlite="authd-test-sqlite-$run_id"
start_authd "$sqlite" "$sqlite_data"
sqlite_url=$(wait_ready "$sqlite")
echo "ready: the HEALTHCHECK command passes inside the container"
# The image has no shell and no tools: what runs is read from the host.
pid=$($engine inspect "$sqlite" --format '{{.State.Pid}}')
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" = 10001 ] || die "authd runs as uid $uid, not as the image's user 10001"
[ "$($engine inspect "$sqlite" --format '{{.HostConfig.ReadonlyRootfs}}')" = true ] || die "the root filesystem is writable"
if $engine exec "$sqlite" /bin/sh -c true >/dev/null 2>&1; then die "the image has a shell"; fi
echo "authd runs as uid $uid on a read-only root filesystem, in an image without a shell"
run_suite SQLite "$sqlite_url" "$sqlite_data/mail.log"
$engine rm -f -v "$sqlite" >/dev/null

say "PostgreSQL: two containers on a private network"
PG_IMAGE=${POSTGRES_IMAGE:-docker.io/library/postgres:15}
if ! have_image "$PG_IMAGE" && ! pull "$PG_IMAGE"; then
  PG_IMAGE=localhost/authd-postgres:15
  echo "no registry answers: building $PG_IMAGE from docker/postgres"
  $engine build -q "${build_flags[@]}" -f docker/postgres/Dockerfile --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
    -t "$PG_IMAGE" . >/dev/null
fi
net="authd-test-$run_id"
$engine network create "$net" >/dev/null
networks+=("$net")
pg="authd-test-db-$run_id"
start "$pg" "$PG_IMAGE" --network "$net" \
  -e POSTGRES_USER=authd -e POSTGRES_PASSWORD=authd-test-password -e POSTGRES_DB=authd
# authd starts at once, before the database answers: it waits for it.
new_data_dir
pg_data=$data
authd_pg="authd-test-postgres-$run_id"
start_authd "$authd_pg" "$pg_data" --network "$net" \
  -e DATABASE_URL="postgres://authd:authd-test-password@$pg:5432/authd"
pg_url=$(wait_ready "$authd_pg")
waits=$($engine logs "$authd_pg" 2>&1 | grep -c 'not reachable yet' || true)
echo "authd waited for the database $waits time(s) before it answered"
run_suite PostgreSQL "$pg_url" "$pg_data/mail.log"

say "container run passed"
