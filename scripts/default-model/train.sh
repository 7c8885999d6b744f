#!/usr/bin/env bash
# Reproduces CyLlm's default model, models/cyllm-default.gguf: fetches the corpus from the Debian archive
# (fetch_corpus.sh), then trains a BPE tokenizer and a ~2M-parameter (1,967,808) Llama model from scratch with `cyllm pretrain`.
#
#   scripts/default-model/train.sh [OUTPUT]     (default: models/cyllm-default.gguf)
#
# Env: THREADS (default 2, the thread count the shipped model was trained with; the loss sequence is bit-exact for
# a given seed and thread count), SKIP_FETCH=1 to reuse artifacts/corpus, SKIP_BUILD=1 to reuse a built CLI
# (CYLLM_BIN=folder of cyllm.dll to run a copy, so rebuilding the tree cannot disturb a long run),
# CYLLM_OBJ as for every build in this repository. Checkpoints go to OUTPUT.work: re-running the same command after
# an interruption resumes where it stopped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/models/cyllm-default.gguf}"
corpus="$root/artifacts/corpus"
threads="${THREADS:-2}"

if [ "${SKIP_FETCH:-0}" != 1 ] || [ ! -f "$corpus/train.jsonl" ]; then
  "$here/fetch_corpus.sh" "$corpus"
fi

bin="${CYLLM_BIN:-$root/src/CyLlm.Cli/bin${CYLLM_OBJ:+/$CYLLM_OBJ}/Release/net10.0}"
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$bin/cyllm.dll" ]; then
  dotnet build "$root/src/CyLlm.Cli" -c Release
fi

# The exact command that produced the committed model.
dotnet "$bin/cyllm.dll" pretrain \
  --data "$corpus/train.jsonl" --validation "$corpus/validation.jsonl" \
  --vocab-size 2048 --dim 192 --layers 4 --heads 6 --kv-heads 2 --hidden 512 --context 256 \
  --epochs 2 --max-steps 1560 --batch-size 8 --lr 2e-3 --warmup 30 --weight-decay 0.1 --seed 1 \
  --eval-every 260 --checkpoint-every 60 --progress-every 20 --threads "$threads" \
  --output "$out"
