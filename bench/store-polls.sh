#!/usr/bin/env bash
# Status polls on a PostgreSQL store (issue 17): a `cyllm serve --store postgres://...` answering GET /v1/batches/{id}
# (POLL=tasks: GET /v1/tasks/{id}) at RATE polls per second for DURATION seconds while a batch runs; prints one JSON line with
# the achieved rate and p50/p90/p99/p99.9/max latency (the issue's target: 500 polls/s with p99 < 10 ms).
#   bench/store-polls.sh STORE_URL [MODEL]
#   e.g. bench/store-polls.sh postgres://cyllm:cyllm@127.0.0.1:5432/cyllm_test
# Environment: RATE (500), DURATION (20 seconds), LINES (200 batch lines), MAX_TOKENS (64), POLL (batches|tasks), THREADS (1,
# the server's engine threads), PORT (18090). The server runs with --no-auth on loopback and a scratch --data-dir; the
# bench cancels its batch at the end. Run it on a quiet machine: the client and server share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:?usage: bench/store-polls.sh postgres://USER:PASS@HOST:PORT/DB [MODEL]}
MODEL=${2:-../shared/models/stories260K.gguf}
RATE=${RATE:-500}; DURATION=${DURATION:-20}; LINES=${LINES:-200}; MAX_TOKENS=${MAX_TOKENS:-64}; POLL=${POLL:-batches}
THREADS=${THREADS:-1}; PORT=${PORT:-18090}
SLOT=${CYLLM_OBJ:+$CYLLM_OBJ/}
dotnet build src/CyLlm.Cli -c Release -v q -nologo >/dev/null
dotnet build bench/CyLlm.StoreBench -c Release -v q -nologo >/dev/null
CYLLM=src/CyLlm.Cli/bin/${SLOT}Release/net10.0/cyllm.dll
BENCH=bench/CyLlm.StoreBench/bin/${SLOT}Release/net10.0/CyLlm.StoreBench.dll
DATA=$(mktemp -d /tmp/cyllm-store-polls-XXXXXX)
LOG="$DATA/serve.log"
dotnet "$CYLLM" serve --model "$MODEL" --store "$STORE" --data-dir "$DATA" --host 127.0.0.1 --port "$PORT" \
  --threads "$THREADS" --no-auth --log-format text >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "cyllm serve exited:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.2
done
dotnet "$BENCH" --url "http://127.0.0.1:$PORT" --rate "$RATE" --seconds "$DURATION" --lines "$LINES" \
  --max-tokens "$MAX_TOKENS" --path "$POLL"
