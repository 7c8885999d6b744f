#!/usr/bin/env bash
# Regenerates the llama.cpp golden files for the Gemma 2 / Gemma 3 differential tests: greedy ids and raw top-10
# logits at every step for the synthetic models (F32, F16) written by scripts/golden/gen_gemma.py, and the sha256 of
# those models (the tests regenerate them with the same script and refuse a different file).
#   scripts/golden/llama_cpp_gemma.sh [PEER_DIR]    (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=${1:-../shared/peer}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
MODELS=artifacts/models
mkdir -p "$OUT" "$MODELS"
TOKENS=1,9038,2501,263,931   # BOS "Once upon a time" in the Llama-2 vocabulary; 32 generated: positions 0..36
: > "$OUT/gemma-tiny.sha256"
for arch in gemma2 gemma3; do
  for type in f32 f16; do
    model="$MODELS/$arch-tiny-$type.gguf"
    python3 scripts/golden/gen_gemma.py --arch "$arch" --type "$type" --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$model"
    (cd "$MODELS" && sha256sum "$arch-tiny-$type.gguf") >> "$OUT/gemma-tiny.sha256"
    abs=$(cd "$MODELS" && pwd)/$arch-tiny-$type.gguf
    (cd "$PEER" && node bench.mjs "$abs" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) \
      > "$OUT/$arch-tiny-$type.json"
    echo "wrote $OUT/$arch-tiny-$type.json"
  done
done
# Gemma 3 with linear RoPE scaling (factor 8, as the 4B+ models): it applies to the global layer only.
model="$MODELS/gemma3-linear8-tiny-f32.gguf"
python3 scripts/golden/gen_gemma.py --arch gemma3 --rope-linear 8 --type f32 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$model"
(cd "$MODELS" && sha256sum "gemma3-linear8-tiny-f32.gguf") >> "$OUT/gemma-tiny.sha256"
abs=$(cd "$MODELS" && pwd)/gemma3-linear8-tiny-f32.gguf
(cd "$PEER" && node bench.mjs "$abs" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) \
  > "$OUT/gemma3-linear8-tiny-f32.json"
echo "wrote $OUT/gemma3-linear8-tiny-f32.json"
