#!/usr/bin/env bash
# Side-by-side: `cyllm bench` and llama.cpp's llama-bench (../shared/peer, native build) on the same GGUF,
# same thread count, in one run. One JSON line per model and engine, then a summary line with ratios.
#   bench/compare.sh PEER_DIR [THREADS] [MODELS...]     (PEER_DIR: a copy of ../shared/peer after ./setup.sh --native)
set -uo pipefail
cd "$(dirname "$0")/.."
PEER=${1:?peer dir}; shift
T=${1:-2}; shift || true
P=${P:-128}; N=${N:-64}; R=${R:-3}
MODELS=${*:-$(ls "$PEER"/models/{small,medium}-{f32,f16,q8_0,q4_0}.gguf 2>/dev/null)}
dotnet build src/CyLlm.Cli -c Release -v q -nologo >/dev/null || exit 1
CYLLM=src/CyLlm.Cli/bin/Release/net10.0/cyllm.dll
echo "{\"kind\":\"membw\",\"result\":$("$PEER"/membw 1024 5)}"
for m in $MODELS; do
  c=$(timeout 600 dotnet "$CYLLM" bench --model "$m" -t "$T" -p "$P" -n "$N" -r "$R" --json)
  l=$(cd "$PEER" && timeout 600 node bench.mjs "$m" --engine native -t "$T" -p "$P" -n "$N" -r "$R")
  echo "$c"; echo "$l"
  python3 - "$c" "$l" <<'PY'
import json, sys
c, l = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"kind": "ratio", "model": c["model"],
  "pp_cyllm": c["prompt_tokens_per_second"], "pp_llamacpp": l["pp_tps"], "pp_ratio": round(c["prompt_tokens_per_second"] / l["pp_tps"], 3),
  "tg_cyllm": c["generation_tokens_per_second"], "tg_llamacpp": l["tg_tps"], "tg_ratio": round(c["generation_tokens_per_second"] / l["tg_tps"], 3),
  "file_bytes": c["file_bytes"], "rss_after_load": c["rss_after_load_bytes"], "peak_rss": c["peak_rss_bytes"], "kv_bytes": c["kv_cache_bytes"]}))
PY
done
