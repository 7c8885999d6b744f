#!/usr/bin/env bash
# Regenerates the llama.cpp golden files for the Phi-3 / Phi-4 differential tests: greedy ids and raw top-10 logits at
# every step for the synthetic models written by scripts/golden/gen_phi3.py, and the sha256 of those models (the tests
# regenerate them with the same script and refuse a different file). The LongRoPE model (variant phi3, original
# context 256) is run at n_ctx 256, where llama.cpp rotates with rope_factors_short, and at n_ctx 512 (F32 only),
# where it takes rope_factors_long.
# llama.cpp runs with an F32 KV cache and without flash attention: with its default F16 cache it rounds K, V, Q and
# the attention weights to F16, which moves these models' logits by up to 2.5e-3 (their activations are larger than
# the Qwen3 model's), more than the tests' 1e-3; with F32 the two engines agree to about 1e-5. bench.mjs has no option
# for the cache type, so a copy of it with one added to createContext (PEER_DIR/.bench-f32kv.mjs) is run instead.
#   scripts/golden/llama_cpp_phi3.sh [PEER_DIR]    (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=${1:-../shared/peer}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
MODELS=artifacts/models
mkdir -p "$OUT" "$MODELS"
TOKENS=1,9038,2501,263,931   # BOS "Once upon a time" in the Llama-2 vocabulary; 32 generated: positions 0..36
BENCH=.bench-f32kv.mjs
trap 'rm -f "$PEER/$BENCH"' EXIT
sed 's/sequences: 1$/sequences: 1, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"/' "$PEER/bench.mjs" > "$PEER/$BENCH"
grep -q 'experimentalKvCacheKeyType: "F32"' "$PEER/$BENCH" || { echo "bench.mjs changed: cannot add the F32 KV cache option" >&2; exit 1; }
: > "$OUT/phi3-tiny.sha256"
run() {  # model-file json-name ctx
  abs=$(cd "$MODELS" && pwd)/$1
  (cd "$PEER" && node "$BENCH" "$abs" --mode tokens --tokens "$TOKENS" --gen 32 --top 10 --top-steps --ctx "$3" --flash off) > "$OUT/$2"
  echo "wrote $OUT/$2"
}
for variant in phi3 phi4; do
  for type in f32 f16; do
    name="$variant-tiny-$type.gguf"
    python3 scripts/golden/gen_phi3.py --variant "$variant" --type "$type" --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$MODELS/$name"
    (cd "$MODELS" && sha256sum "$name") >> "$OUT/phi3-tiny.sha256"
    run "$name" "$variant-tiny-$type.json" 256
  done
done
run phi3-tiny-f32.gguf phi3-tiny-f32-ctx512.json 512
# Q8_0 (quantized by the generator; the engine repacks the fused matrices' slices): greedy ids only.
python3 scripts/golden/gen_phi3.py --variant phi3 --type q8_0 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$MODELS/phi3-tiny-q8_0.gguf"
(cd "$MODELS" && sha256sum phi3-tiny-q8_0.gguf) >> "$OUT/phi3-tiny.sha256"
run phi3-tiny-q8_0.gguf phi3-tiny-q8_0.json 256
