#!/usr/bin/env bash
# Regenerates the llama.cpp golden files for the Qwen3 differential tests: greedy ids and raw top-10 logits at every
# step for the synthetic Qwen3 models (F32, F16) written by scripts/golden/gen_qwen3.py, and the sha256 of those
# models (the tests regenerate them with the same script and refuse a different file).
#   scripts/golden/llama_cpp_qwen3.sh [PEER_DIR]    (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=${1:-../shared/peer}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
MODELS=artifacts/models
mkdir -p "$OUT" "$MODELS"
TOKENS=1,9038,2501,263,931   # BOS "Once upon a time" in the Llama-2 vocabulary
: > "$OUT/qwen3-tiny.sha256"
for type in f32 f16; do
  model="$MODELS/qwen3-tiny-$type.gguf"
  python3 scripts/golden/gen_qwen3.py --type "$type" --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$model"
  (cd "$MODELS" && sha256sum "qwen3-tiny-$type.gguf") >> "$OUT/qwen3-tiny.sha256"
  abs=$(cd "$MODELS" && pwd)/qwen3-tiny-$type.gguf
  (cd "$PEER" && node bench.mjs "$abs" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) \
    > "$OUT/qwen3-tiny-$type.json"
  echo "wrote $OUT/qwen3-tiny-$type.json"
done
# Qwen3 with YaRN RoPE scaling (factor 4 from an original context of 128, as rope_scaling {rope_type: yarn} converts).
model="$MODELS/qwen3-yarn4-tiny-f32.gguf"
python3 scripts/golden/gen_qwen3.py --type f32 --yarn 4 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$model"
(cd "$MODELS" && sha256sum "qwen3-yarn4-tiny-f32.gguf") >> "$OUT/qwen3-tiny.sha256"
abs=$(cd "$MODELS" && pwd)/qwen3-yarn4-tiny-f32.gguf
(cd "$PEER" && node bench.mjs "$abs" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) \
  > "$OUT/qwen3-yarn4-tiny-f32.json"
echo "wrote $OUT/qwen3-yarn4-tiny-f32.json"
