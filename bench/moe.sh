#!/usr/bin/env bash
# Mixture-of-experts decode benchmark (issue 16): a synthetic Mixtral-style model (arch llama, 8 experts, 2 per token,
# ~0.5 B parameters) and the dense llama of the same total size (one FFN 8 experts wide), both written by
# scripts/golden/gen_moe.py, through bench/compare.sh (cyllm bench and llama.cpp's native llama-bench, same file, same
# thread count, same run). One JSON line per model and engine, then the ratio lines.
#   bench/moe.sh PEER_DIR [THREADS] [TYPE]     (TYPE: q8_0 (default) or f32)
set -euo pipefail
cd "$(dirname "$0")/.."
PEER=${1:?peer dir}
T=${2:-2}
TYPE=${3:-q8_0}
MODELS=$(pwd)/artifacts/models
mkdir -p "$MODELS"
for arch in mixtral-small dense-small; do
  m="$MODELS/$arch-$TYPE.gguf"
  [ -f "$m" ] || python3 scripts/golden/gen_moe.py --arch "$arch" --type "$TYPE" --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o "$m"
done
bench/compare.sh "$PEER" "$T" "$MODELS/mixtral-small-$TYPE.gguf" "$MODELS/dense-small-$TYPE.gguf"
