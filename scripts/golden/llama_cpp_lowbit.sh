#!/usr/bin/env bash
# Regenerates the llama.cpp golden files of the low-bit weight types (Q2_K, Q3_K, IQ4_NL, IQ4_XS): the synthetic
# `small` model of ../shared/peer/gen_gguf.py (F32; dim 768, ffn 2048: every row a whole number of 256-element
# super-blocks) quantized by llama.cpp's own llama-quantize to Q2_K, Q3_K_M, IQ4_NL and IQ4_XS (the K files mix types:
# Q2_K also holds Q3_K/Q6_K tensors, Q3_K_M Q4_K/Q5_K/Q6_K) and, as the baseline of the existing K-quant kernels,
# Q4_K_M, Q5_K_M and Q6_K (the files users download most); then llama.cpp's greedy ids and raw top-10 logits at every step, and the sha256 of each quantized file. Only the goldens and the sha256 are committed; the tests
# (LowBitLlamaCppTests) quantize the model again where a llama-quantize is built and refuse a different file, and report
# skipped where none is (CI has no llama.cpp build).
#   scripts/golden/llama_cpp_lowbit.sh [PEER_DIR]   (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh --native)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=$(cd "${1:-../shared/peer}" && pwd)
QUANTIZE=${CYLLM_LLAMA_QUANTIZE:-$PEER/llama.cpp-src/build/bin/llama-quantize}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
MODELS=$(mkdir -p artifacts/models && cd artifacts/models && pwd)
TOKENS=1,9038,2501,263,931   # BOS "Once upon a time" in the Llama-2 vocabulary
src="$MODELS/small-f32.gguf"
[ -f "$src" ] || python3 "$PEER/gen_gguf.py" --preset small --type f32 \
    --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$src"
(cd "$MODELS" && grep " small-f32.gguf\$" "$PEER/models.sha256" | sha256sum -c -)
: > "$OUT/lowbit.sha256"
for type in Q2_K Q3_K_M IQ4_NL IQ4_XS Q4_K_M Q5_K_M Q6_K; do
  name="small-$(echo "$type" | tr A-Z a-z).gguf"
  "$QUANTIZE" "$src" "$MODELS/$name" "$type" 2 > /dev/null 2>&1
  (cd "$MODELS" && sha256sum "$name") >> "$OUT/lowbit.sha256"
  (cd "$PEER" && node bench.mjs "$MODELS/$name" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) \
    > "$OUT/${name%.gguf}.json"
  echo "wrote $OUT/${name%.gguf}.json"
done
