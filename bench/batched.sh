#!/usr/bin/env bash
# Serving throughput, CyLlm vs llama.cpp, same model, same threads, one run:
#   cyllm bench (single stream), cyllm bench --concurrency C (continuous batching) and llama-batched-bench
#   (-npl C), C in 1 and 16;
#   plus CyLlm's prefix-cache TTFT with a 1,024-token shared prefix.
#   bench/batched.sh PEER_DIR [MODEL] [THREADS]
# ISA=avx2: CyLlm with AVX-512 and the machine-code kernels off, against the peer's AVX2-only build.
set -uo pipefail
cd "$(dirname "$0")/.."
PEER=${1:?peer dir}; MODEL=${2:-$PEER/models/small-q8_0.gguf}; T=${3:-2}
# CYLLM_OBJ=slot builds into (and runs from) that build slot, as every dotnet command in this tree.
dotnet build src/CyLlm.Cli -c Release -v q -nologo >/dev/null || exit 1
CYLLM=src/CyLlm.Cli/bin/${CYLLM_OBJ:+$CYLLM_OBJ/}Release/net10.0/cyllm.dll
BUILD=build
if [ "${ISA:-native}" = avx2 ]; then export DOTNET_EnableAVX512=0 CYLLM_NATIVE_KERNELS=0; BUILD=build-avx2; fi
# Single-stream generation without the serving engine: the baseline of "16 streams ≥ 4× one stream".
dotnet "$CYLLM" bench --model "$MODEL" -t "$T" -p 128 -n 64
for c in 1 16; do
  dotnet "$CYLLM" bench --model "$MODEL" -t "$T" -p 128 -n 64 --concurrency "$c"
done
dotnet "$CYLLM" bench --model "$MODEL" -t "$T" -p 1100 -n 8 --concurrency 4 --shared-prefix 1024
dotnet "$CYLLM" bench --model "$MODEL" -t "$T" -p 32 -n 64 --concurrency 64
"$PEER"/llama.cpp-src/$BUILD/bin/llama-batched-bench -m "$MODEL" -c 8192 -b 2048 -ub 512 -npp 128 -ntg 64 -npl 1,16 -t "$T" --output-format jsonl 2>/dev/null | grep '^{'
