#!/usr/bin/env bash
# Trains models/weather-tools/adapter.gguf (see models/weather-tools/README.md): a LoRA on ../shared/models/stories260K.gguf
# that calls get_weather when asked about the weather and answers in text otherwise, in the Hermes format of
# models/weather-tools/chat_template.jinja. Deterministic for the same data, seed and thread count.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=artifacts/weather-tools
mkdir -p "$work"
python3 scripts/tool-adapter/gen_data.py "$work/train.jsonl" "$work/validation.jsonl" --rows 4000 --seed 7
dotnet build src/CyLlm.Cli -c Release -v quiet -nologo >/dev/null
cyllm=(dotnet src/CyLlm.Cli/bin/Release/net10.0/cyllm.dll)
rm -rf "$work/out"
"${cyllm[@]}" train --model ../shared/models/stories260K.gguf --chat-template models/weather-tools/chat_template.jinja \
  --data "$work/train.jsonl" --validation "$work/validation.jsonl" --output "$work/out" \
  --lora-rank 16 --lora-alpha 32 --lora-targets all,output --lr 3e-3 --warmup 30 --batch-size 8 --epochs 2 --max-steps 700 "$@" \
  --checkpoint-every 100 --eval-every 250 --threads 2 --seed 1
cp "$work/out/adapter.gguf" models/weather-tools/adapter.gguf
cp "$work/out/result.json" models/weather-tools/result.json
echo "wrote models/weather-tools/adapter.gguf"
