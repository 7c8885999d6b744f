#!/usr/bin/env bash
# Side-by-side: `cyllm bench` and llama.cpp's llama-bench (../shared/peer, native build) on the same GGUF,
# same thread count, in one run. One JSON line per model and engine, then a summary line with ratios.
#   bench/compare.sh PEER_DIR [THREADS] [MODELS...]     (PEER_DIR: a copy of ../shared/peer after ./setup.sh --native)
# ISA=avx2 measures the AVX2 path on any x86-64 machine: CyLlm with AVX-512 and the machine-code kernels off
# (DOTNET_EnableAVX512=0 CYLLM_NATIVE_KERNELS=0) against the peer's AVX2-only build (./setup.sh --avx2);
# LLAMASHARP=1 adds LLamaSharp (PEER_DIR/llamasharp, built with dotnet build -c Release there; LSB_AVX=avx2 with ISA=avx2).
# Default models: small and medium F32/F16/Q8_0/Q4_0 and, where gen_models.sh made them, Q4_K_M and Q6_K.
set -uo pipefail
cd "$(dirname "$0")/.."
PEER=${1:?peer dir}; shift
T=${1:-2}; shift || true
P=${P:-128}; N=${N:-64}; R=${R:-3}
MODELS=${*:-$(ls "$PEER"/models/{small,medium}-{f32,f16,q8_0,q4_0,q4_k_m,q6_k}.gguf 2>/dev/null)}
ISA=${ISA:-native}
LB="$PEER/llama.cpp-src/build/bin/llama-bench"; CENV=(); LENV=()
if [ "$ISA" = avx2 ]; then
  LB="$PEER/llama.cpp-src/build-avx2/bin/llama-bench"; CENV=(DOTNET_EnableAVX512=0 CYLLM_NATIVE_KERNELS=0); LENV=(LSB_AVX=avx2)
fi
LB=$(realpath "$LB")
[ -n "${CYLLM:-}" ] || dotnet build src/CyLlm.Cli -c Release -v q -nologo >/dev/null || exit 1
CYLLM=${CYLLM:-src/CyLlm.Cli/bin/Release/net10.0/cyllm.dll}
echo "{\"kind\":\"membw\",\"result\":$("$PEER"/membw 1024 5)}"
for m in $MODELS; do
  c=$(env "${CENV[@]}" timeout 600 dotnet "$CYLLM" bench --model "$m" -t "$T" -p "$P" -n "$N" -r "$R" --json)
  l=$(cd "$PEER" && timeout 600 node bench.mjs "$m" --engine native --llama-bench "$LB" -t "$T" -p "$P" -n "$N" -r "$R")
  echo "$c"; echo "$l"
  if [ -n "${LLAMASHARP:-}" ]; then
    echo "{\"kind\":\"llamasharp\",\"isa\":\"$ISA\",\"result\":$(env "${LENV[@]}" timeout 600 dotnet "$PEER/llamasharp/bin/Release/net10.0/lsbench.dll" "$m" "$P" "$N" "$T" "$R")}"
  fi
  python3 - "$c" "$l" "$ISA" <<'PY'
import json, sys
c, l = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"kind": "ratio", "model": c["model"], "isa": sys.argv[3],
  "pp_cyllm": c["prompt_tokens_per_second"], "pp_llamacpp": l["pp_tps"], "pp_ratio": round(c["prompt_tokens_per_second"] / l["pp_tps"], 3),
  "tg_cyllm": c["generation_tokens_per_second"], "tg_llamacpp": l["tg_tps"], "tg_ratio": round(c["generation_tokens_per_second"] / l["tg_tps"], 3),
  "file_bytes": c["file_bytes"], "rss_after_load": c["rss_after_load_bytes"], "peak_rss": c["peak_rss_bytes"], "kv_bytes": c["kv_cache_bytes"]}))
PY
done
