#!/usr/bin/env bash
# Installs (if missing) and starts a local PostgreSQL server for the CyLlm.Jobs conformance tests.
# Idempotent: a second run with the server already up only checks the role and database (< 1 s).
# Tests connect through CYLLM_TEST_PG, default "Host=127.0.0.1;Username=cyllm;Password=cyllm;Database=cyllm_test".
# Runs as root (CI); uses apt-get only when no PostgreSQL server binaries are present.
set -euo pipefail

PG_USER=cyllm
PG_PASS=cyllm
PG_DB=cyllm_test
PG_PORT=5432

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

# 1. Install the server when no cluster tooling is present.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq postgresql >/dev/null
fi

# 2. Make sure a cluster exists and is running (Debian's pg_ctlcluster; no systemd in containers).
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"' | grep -q .; then
    as_root pg_createcluster "$ver" main --port "$PG_PORT" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
    as_root pg_ctlcluster "$ver" main start
  fi
else
  # Non-Debian layout: a private data directory driven by pg_ctl.
  bin=/usr/lib/postgresql/$ver/bin
  data=/var/lib/postgresql/cyllm-data
  if [ ! -f "$data/PG_VERSION" ]; then
    as_root mkdir -p "$data"; as_root chown postgres:postgres "$data"
    as_root su postgres -c "$bin/initdb -D $data -A trust >/dev/null"
  fi
  as_root su postgres -c "$bin/pg_ctl -D $data -o '-p $PG_PORT -k /tmp' -l $data/server.log -w status >/dev/null || $bin/pg_ctl -D $data -o '-p $PG_PORT -k /tmp' -l $data/server.log -w start >/dev/null"
fi

# 3. Wait until it accepts connections (normally immediate).
for _ in $(seq 1 50); do
  if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then break; fi
  sleep 0.2
done
pg_isready -h 127.0.0.1 -p "$PG_PORT" >/dev/null

# 4. Role and database for the tests (password auth over TCP on 127.0.0.1 is allowed by Debian's default pg_hba).
psql_admin() { as_root su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -qtA $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"")" != "1" ]; then
  psql_admin "-c \"CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASS' CREATEDB\""
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname='$PG_DB'\"")" != "1" ]; then
  psql_admin "-c \"CREATE DATABASE $PG_DB OWNER $PG_USER\""
fi
# The test projects run side by side and each test opens its own pooled stores: the default 100 connection slots ran
# out ("remaining connection slots are reserved"). Raise them once (takes effect after a restart).
if [ "$(psql_admin "-c \"SHOW max_connections\"")" -lt 400 ]; then
  psql_admin "-c \"ALTER SYSTEM SET max_connections = 400\""
  if [ -d /etc/postgresql/"$ver"/main ]; then
    as_root pg_ctlcluster "$ver" main restart
  else
    as_root su postgres -c "$bin/pg_ctl -D $data -o '-p $PG_PORT -k /tmp' -l $data/server.log -w restart >/dev/null"
  fi
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.2; done
fi
echo "postgresql $ver ready on 127.0.0.1:$PG_PORT (db $PG_DB, user $PG_USER, max_connections $(psql_admin "-c \"SHOW max_connections\""))"

# 5. Redis for the gateway's shared rate-limit tests (tests/CyLlm.Gateway.Tests/RateLimits): a private instance on
#    port 6390 (no persistence), so it never collides with a system Redis. Tests read CYLLM_TEST_REDIS, default
#    127.0.0.1:6390, and FAIL (never skip) when it is unreachable. Idempotent: a running instance is left alone.
REDIS_PORT=6390
if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir /tmp --pidfile /tmp/cyllm-redis-$REDIS_PORT.pid --logfile /tmp/cyllm-redis-$REDIS_PORT.log
fi
for _ in $(seq 1 50); do
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then break; fi
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG
echo "redis $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') ready on 127.0.0.1:$REDIS_PORT (CYLLM_TEST_REDIS)"

# The official OpenAI Node SDK NodeSdkTests drives (pinned by tests/node-sdk/package-lock.json). Without Node or npm
# the test reports skipped; a failed install is a warning, not a failure of the other services.
if command -v npm >/dev/null 2>&1; then
  if (cd "$(dirname "$0")/../tests/node-sdk" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "node sdk ready in tests/node-sdk (openai $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$(dirname "$0")/../tests/node-sdk/node_modules/openai/package.json" | head -1))"
  else
    echo "warning: npm ci in tests/node-sdk failed; NodeSdkTests will be skipped" >&2
  fi
fi

# An S3-compatible server for the S3 blob store tests (tests/CyLlm.Jobs.Tests/Blobs/S3BlobStoreTests): s3rver, an
#    independent implementation that checks Signature Version 4, pinned by tests/s3-server/package-lock.json, on
#    127.0.0.1:4569 with the bucket cyllm-test (objects under /tmp/cyllm-s3rver). Tests read CYLLM_TEST_S3 (default
#    http://127.0.0.1:4569) and FAIL when it is unreachable, as with PostgreSQL and Redis. Idempotent.
S3_PORT=4569
if ! curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then
  if ! command -v node >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -q nodejs npm >/dev/null
  fi
  (cd "$(dirname "$0")/../tests/s3-server" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  (cd "$(dirname "$0")/../tests/s3-server" && PORT=$S3_PORT nohup node server.mjs >/tmp/cyllm-s3rver.log 2>&1 &)
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.2; done
fi
curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/cyllm-test" && echo "s3rver ready on 127.0.0.1:$S3_PORT, bucket cyllm-test (CYLLM_TEST_S3)"

# Debian's chromium for the web console's browser tests (tests/CyLlm.Console.Tests drive /usr/bin/chromium with
# Playwright for .NET; no browser download). Without it those tests report skipped; a failed install is a warning.
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! { as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null; }; then
    echo "warning: chromium could not be installed; the console browser tests will be skipped" >&2
  fi
fi
[ -x /usr/bin/chromium ] && echo "chromium ready ($(/usr/bin/chromium --version 2>/dev/null | head -1))"

# kubectl renders the Kustomize overlays in deploy/k8s offline (DeploymentManifestTests; no cluster is contacted).
# Installed from the distribution's package when missing; without it those tests report skipped.
if ! command -v kubectl >/dev/null 2>&1; then
  if ! as_root apt-get install -y -qq kubectl >/dev/null 2>&1 && ! as_root apt-get install -y -qq kubernetes-client >/dev/null 2>&1; then
    echo "warning: kubectl could not be installed; DeploymentManifestTests will be skipped" >&2
  fi
fi
command -v kubectl >/dev/null 2>&1 && echo "kubectl ready ($(kubectl version --client 2>/dev/null | head -1))"
exit 0
