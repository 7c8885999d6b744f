#!/usr/bin/env bash
# Engine workers behind gateways (issue 17): prints one JSON object with
#   (a) p50/p99 latency of a small non-streaming completion from one co-located `cyllm serve`,
#   (b) the same through two gateway replicas (the client alternates between them) in front of one engine worker,
#       and the p50 the hop adds (the issue wants < 1 ms),
#   (c) generated tokens/s on synthetic load with N=1 and N=2 workers (each --threads 1) behind one gateway, and the
#       scaling N=2 / N=1 (the issue wants >= 0.9 * 2).
# Usage: bench/workers.sh [MODEL] — without MODEL the built-in model. Knobs (environment): LAT_REQS (400), LAT_TOKENS
# (1), THR_REQS (64), THR_CONC (8), THR_TOKENS (64), PORT_BASE (18300). A tiny smoke run:
#   LAT_REQS=20 THR_REQS=8 THR_CONC=2 THR_TOKENS=8 bench/workers.sh
# Run it on a quiet machine: every process shares its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SLOT="${CYLLM_OBJ:-bench}"
CYLLM_OBJ="$SLOT" dotnet build src/CyLlm.Cli -c Release -v q >/dev/null
DLL="src/CyLlm.Cli/bin/$SLOT/Release/net10.0/cyllm.dll"
MODEL_ARGS=()
if [[ $# -ge 1 ]]; then MODEL_ARGS=(--model "$1"); fi
LAT_REQS="${LAT_REQS:-400}" LAT_TOKENS="${LAT_TOKENS:-1}"
THR_REQS="${THR_REQS:-64}" THR_CONC="${THR_CONC:-8}" THR_TOKENS="${THR_TOKENS:-64}"
PORT="${PORT_BASE:-18300}"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# serve NAME PORT ARGS...: starts `cyllm serve` in the background, its log in $WORK/NAME.log.
serve() {
  local name="$1" port="$2"; shift 2
  dotnet "$DLL" serve --no-auth --skip-health-check --host 127.0.0.1 --port "$port" --data-dir "$WORK/$name" \
    ${MODEL_ARGS[@]+"${MODEL_ARGS[@]}"} "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

# stop_all: stops every server started so far (each phase gets the machine to itself).
stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}

ready() {
  for port in "$@"; do
    for _ in $(seq 1 600); do
      if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then continue 2; fi
      sleep 0.1
    done
    echo "server on port $port did not become ready; logs in $WORK" >&2
    cat "$WORK"/*.log >&2
    exit 1
  done
}

cat >"$WORK/load.py" <<'PY'
import http.client, json, sys, threading, time

def post(conn, body):
    conn.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise SystemExit(f"HTTP {resp.status}: {data[:300]!r}")
    return json.loads(data)

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))]

mode, ports = sys.argv[1], [int(p) for p in sys.argv[2].split(",")]
if mode == "latency":
    reqs, tokens = int(sys.argv[3]), int(sys.argv[4])
    body = json.dumps({"prompt": "Hello", "max_tokens": tokens, "temperature": 0})
    conns = [http.client.HTTPConnection("127.0.0.1", p) for p in ports]
    for i in range(20):  # warm-up: JIT, connections, prefix cache
        post(conns[i % len(conns)], body)
    lat = []
    for i in range(reqs):  # round robin over the given servers
        t = time.perf_counter()
        post(conns[i % len(conns)], body)
        lat.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"p50_ms": round(pct(lat, 50), 3), "p99_ms": round(pct(lat, 99), 3), "requests": reqs}))
else:
    reqs, conc, tokens = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    counter = iter(range(reqs))
    lock = threading.Lock()
    done = [0]
    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", ports[0])
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            # Distinct prompts: no request is served from another's prefix cache.
            r = post(conn, json.dumps({"prompt": f"Story {i}: once upon a time", "max_tokens": tokens, "ignore_eos": True, "temperature": 0.8, "seed": i}))
            with lock:
                done[0] += r["usage"]["completion_tokens"]
    warm = http.client.HTTPConnection("127.0.0.1", ports[0])
    for i in range(conc):
        post(warm, json.dumps({"prompt": f"warm {i}", "max_tokens": 4}))
    t = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for th in threads: th.start()
    for th in threads: th.join()
    secs = time.perf_counter() - t
    print(json.dumps({"tokens_per_s": round(done[0] / secs, 1), "tokens": done[0], "seconds": round(secs, 3), "requests": reqs, "concurrency": conc}))
PY

# (a) one co-located server
serve colocated "$PORT" --threads 1
ready "$PORT"
A=$(python3 "$WORK/load.py" latency "$PORT" "$LAT_REQS" "$LAT_TOKENS")
stop_all

# (b) two gateway replicas in front of one engine worker
W1=$((PORT + 1)) G1=$((PORT + 2)) G2=$((PORT + 3)) W2=$((PORT + 4)) G3=$((PORT + 5))
serve worker1 "$W1" --threads 1
ready "$W1"
serve gw1 "$G1" --threads 1 --workers "http://127.0.0.1:$W1"
serve gw2 "$G2" --threads 1 --workers "http://127.0.0.1:$W1"
ready "$G1" "$G2"
B=$(python3 "$WORK/load.py" latency "$G1,$G2" "$LAT_REQS" "$LAT_TOKENS")

# (c) throughput: N=1 (the worker above, through one gateway), then N=2
serve gw3 "$G3" --threads 1 --workers "http://127.0.0.1:$W1"
ready "$G3"
T1=$(python3 "$WORK/load.py" throughput "$G3" "$THR_REQS" "$THR_CONC" "$THR_TOKENS")
stop_all
serve worker1 "$W1" --threads 1
serve worker2 "$W2" --threads 1
ready "$W1" "$W2"
serve gw3 "$G3" --threads 1 --workers "http://127.0.0.1:$W1,http://127.0.0.1:$W2"
ready "$G3"
T2=$(python3 "$WORK/load.py" throughput "$G3" "$THR_REQS" "$THR_CONC" "$THR_TOKENS")
stop_all

python3 - "$A" "$B" "$T1" "$T2" "$(nproc)" <<'PY'
import json, sys
a, b, t1, t2 = (json.loads(x) for x in sys.argv[1:5])
print(json.dumps({
    "bench": "workers",
    "cores": int(sys.argv[5]),
    "colocated": a,
    "two_gateways_one_worker": b,
    "added_p50_ms": round(b["p50_ms"] - a["p50_ms"], 3),
    "throughput_1_worker": t1,
    "throughput_2_workers": t2,
    "scaling": round(t2["tokens_per_s"] / t1["tokens_per_s"], 3),
}))
PY
