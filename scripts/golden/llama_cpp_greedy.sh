#!/usr/bin/env bash
# Regenerates the llama.cpp golden files for the engine tests: greedy ids and raw top-10 logits at every step
# for the synthetic `tiny` models (F32, F16, Q8_0, Q4_0) written by ../shared/peer/gen_gguf.py.
#   scripts/golden/llama_cpp_greedy.sh [PEER_DIR]    (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=${1:-../shared/peer}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
mkdir -p "$OUT"
TOKENS=1,9038,2501,263,931   # BOS "Once upon a time" in the Llama-2 vocabulary
for type in f32 f16 q8_0 q4_0; do
  model="$PEER/models/tiny-$type.gguf"
  [ -f "$model" ] || python3 "$PEER/gen_gguf.py" --preset tiny --type "$type" \
      --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$model"
  (cd "$PEER" && node bench.mjs "models/tiny-$type.gguf" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps) \
    > "$OUT/tiny-$type.json"
  echo "wrote $OUT/tiny-$type.json"
done
