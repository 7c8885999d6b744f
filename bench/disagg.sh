#!/usr/bin/env bash
# Disaggregation (issue 7): KV transfer throughput over loopback TCP and TTFT of prefill+decode vs co-located
# serving for 1,024-token prompts. Usage: bench/disagg.sh [MODEL.gguf] — one JSON line per run, appended to
# bench/results-disagg.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${1:-artifacts/models/tiny-q8_0.gguf}"
CYLLM_OBJ="${CYLLM_OBJ:-bench}" dotnet build tests/CyLlm.Disaggregation.Worker -c Release -v q >/dev/null
DLL="tests/CyLlm.Disaggregation.Worker/bin/${CYLLM_OBJ:-bench}/Release/net10.0/CyLlm.Disaggregation.Worker.dll"
dotnet "$DLL" bench --model "$MODEL" --prompt 1024 --reps 5 --transfer-tokens 2000 | tee -a bench/results-disagg.jsonl
