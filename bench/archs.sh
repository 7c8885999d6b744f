#!/usr/bin/env bash
# Architecture speed benchmark (issue 16): synthetic Qwen3 and Gemma 3 models of the peer's "small" size
# (scripts/golden/gen_qwen3.py / gen_gemma.py --shape small, dim 768, 12 layers), at F16 and as Q4_K_M copies made by
# the peer's llama-quantize, through bench/compare.sh (cyllm bench and llama.cpp's llama-bench, same file, same thread
# count, same run). Extra environment (ISA, R, CYLLM, LLAMASHARP) passes through to compare.sh.
#   bench/archs.sh PEER_DIR [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
PEER=${1:?peer dir}
T=${2:-2}
MODELS=$(pwd)/artifacts/models
TOK=../shared/models/llama-2-tiny-random.gguf
mkdir -p "$MODELS"
QUANTIZE=$PEER/llama.cpp-src/build/bin/llama-quantize
files=()
for arch in qwen3 gemma3; do
  f16="$MODELS/$arch-small-f16.gguf"
  if [ ! -f "$f16" ]; then
    if [ "$arch" = qwen3 ]; then
      python3 scripts/golden/gen_qwen3.py --shape small --type f16 --tokenizer-from "$TOK" -o "$f16"
    else
      python3 scripts/golden/gen_gemma.py --arch gemma3 --shape small --type f16 --tokenizer-from "$TOK" -o "$f16"
    fi
  fi
  q="$MODELS/$arch-small-q4_k_m.gguf"
  [ -f "$q" ] || "$QUANTIZE" "$f16" "$q" Q4_K_M >/dev/null 2>&1
  files+=("$f16" "$q")
done
bench/compare.sh "$PEER" "$T" "${files[@]}"
