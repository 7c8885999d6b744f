#!/usr/bin/env bash
# Regenerates the llama.cpp golden files for the mixture-of-experts differential tests: greedy ids and raw top-10
# logits at every step for the synthetic Mixtral ("llama" with 8 experts, 2 used) and Qwen3-MoE (16 experts, 4 used)
# models and Qwen2-MoE (16 experts, 4 used, unnormalised weights, a sigmoid-gated shared expert), F32 and Q8_0, written by scripts/golden/gen_moe.py, and the sha256 of those models (the tests regenerate
# them with the same script and refuse a different file).
#   scripts/golden/llama_cpp_moe.sh [PEER_DIR]    (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=${1:-../shared/peer}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
MODELS=artifacts/models
mkdir -p "$OUT" "$MODELS"
TOKENS=1,9038,2501,263,931   # BOS "Once upon a time" in the Llama-2 vocabulary
: > "$OUT/moe-tiny.sha256"
for arch in mixtral qwen3moe qwen2moe; do
  for type in f32 q8_0; do
    name=$arch-tiny-$type
    python3 scripts/golden/gen_moe.py --arch "$arch" --type "$type" --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$MODELS/$name.gguf"
    (cd "$MODELS" && sha256sum "$name.gguf") >> "$OUT/moe-tiny.sha256"
    abs=$(cd "$MODELS" && pwd)/$name.gguf
    (cd "$PEER" && node bench.mjs "$abs" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) > "$OUT/$name.json"
    echo "wrote $OUT/$name.json"
  done
done
