#!/usr/bin/env bash
# Training throughput (issue 6): `cyllm train --bench` on the synthetic tiny and small GGUF models, LoRA (all
# projections, rank 8) and full fine-tuning, random tokens. One JSON line per run: training tokens/s, forward-only
# tokens/s over the same batches, their ratio (step_over_forward) and peak RSS. Appends to bench/results-train.jsonl.
#   bench/train.sh [MODELS_DIR] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-/work/peer/models}; T=${2:-2}
CYLLM_OBJ="${CYLLM_OBJ:-bench}" dotnet build src/CyLlm.Cli -c Release -v q -nologo >/dev/null
CYLLM="src/CyLlm.Cli/bin/${CYLLM_OBJ:-bench}/Release/net10.0/cyllm.dll"
run() { dotnet "$CYLLM" train --bench --threads "$T" --lora-targets all --lora-rank 8 "$@" | tee -a bench/results-train.jsonl; }
run --model "$M/tiny-f32.gguf" --batch-size 4 --max-seq-len 128 --max-steps 10
run --model "$M/tiny-f32.gguf" --batch-size 4 --max-seq-len 128 --max-steps 10 --full
run --model "$M/small-f32.gguf" --batch-size 2 --max-seq-len 64 --max-steps 3
run --model "$M/small-f32.gguf" --batch-size 2 --max-seq-len 64 --max-steps 3 --full
