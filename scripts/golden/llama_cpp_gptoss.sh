#!/usr/bin/env bash
# Regenerates the llama.cpp golden files for the gpt-oss differential tests (GptOssLlamaCppTests): for the synthetic
# gpt-oss model of scripts/golden/gen_gptoss.py (window 16, shorter than the prompt; and window 4096, longer than
# prompt and generation together), llama.cpp's token ids of a harmony-formatted prompt (special tokens parsed, no BOS:
# the file says add_bos_token false, as the real ones do), then its greedy ids and raw top-10 logits at every step, F32;
# and the same for a copy quantized by llama.cpp's own llama-quantize to MXFP4_MOE (experts in MXFP4). Writes the
# sha256 of every model (the tests regenerate or re-quantize them and refuse a different file).
# llama.cpp runs with an F32 KV cache and without flash attention (as scripts/golden/llama_cpp_phi3.sh explains: its
# default F16 cache moves logits by more than the tests' 1e-3).
#   scripts/golden/llama_cpp_gptoss.sh [PEER_DIR]    (PEER_DIR: a writable copy of ../shared/peer after ./setup.sh --native)
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=$(cd "${1:-../shared/peer}" && pwd)
QUANTIZE=${CYLLM_LLAMA_QUANTIZE:-$PEER/llama.cpp-src/build/bin/llama-quantize}
OUT=tests/CyLlm.Engine.Tests/TestData/llamacpp
MODELS=$(mkdir -p artifacts/models && cd artifacts/models && pwd)
# The prompt (also in GptOssLlamaCppTests): what the gpt-oss template renders for one user turn, date fixed.
PROMPT='<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.
Knowledge cutoff: 2024-06
Current date: 2026-12-07

Reasoning: medium

# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|><|start|>user<|message|>Once upon a time, what did the quick brown fox say?<|end|><|start|>assistant'
BENCH=.bench-f32kv.mjs
TOK=.tokenize-gptoss.mjs
trap 'rm -f "$PEER/$BENCH" "$PEER/$TOK"' EXIT
sed 's/sequences: 1$/sequences: 1, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"/' "$PEER/bench.mjs" > "$PEER/$BENCH"
grep -q 'experimentalKvCacheKeyType: "F32"' "$PEER/$BENCH" || { echo "bench.mjs changed: cannot add the F32 KV cache option" >&2; exit 1; }
cat > "$PEER/$TOK" <<'JS'
// node .tokenize-gptoss.mjs MODEL TEXT: llama.cpp's ids of TEXT (special tokens parsed, nothing added), comma-separated.
import {getLlama} from "node-llama-cpp";
const llama = await getLlama({build: "never", gpu: false, logLevel: "error"});
const model = await llama.loadModel({modelPath: process.argv[2], vocabOnly: true});
console.log(Array.from(model.tokenize(process.argv[3], true)).join(","));
await model.dispose();
await llama.dispose();
JS
: > "$OUT/gptoss-tiny.sha256"
run() {  # model-file json-name
  tokens=$(cd "$PEER" && node "$TOK" "$MODELS/$1" "$PROMPT")
  (cd "$PEER" && node "$BENCH" "$MODELS/$1" --mode tokens --tokens "$tokens" --gen 32 --top 10 --top-steps --ctx 256 --flash off) > "$OUT/$2"
  echo "wrote $OUT/$2"
}
for window in 16 4096; do
  name=gptoss-w$window-tiny-f32.gguf
  python3 scripts/golden/gen_gptoss.py --window "$window" -o "$MODELS/$name"
  (cd "$MODELS" && sha256sum "$name") >> "$OUT/gptoss-tiny.sha256"
  run "$name" "gptoss-w$window-tiny-f32.json"
done
name=gptoss-w16-tiny-mxfp4_moe.gguf
"$QUANTIZE" "$MODELS/gptoss-w16-tiny-f32.gguf" "$MODELS/$name" MXFP4_MOE 2 > /dev/null 2>&1
(cd "$MODELS" && sha256sum "$name") >> "$OUT/gptoss-tiny.sha256"
run "$name" gptoss-w16-tiny-mxfp4_moe.json
