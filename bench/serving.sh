#!/usr/bin/env bash
# The serving engine against the previous build, same model and threads, one window (issue 12: no regression, the
# loop's overhead at 16 and 64 sequences; issue 15: JSON-schema constrained decoding at 1 and 16 streams).
#   bench/serving.sh MODEL PREVIOUS_CYLLM_DLL [THREADS]    (ISA=avx2: AVX-512 and the machine-code kernels off)
set -uo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?model}; PREV=${2:?previous build cyllm.dll}; T=${3:-2}
dotnet build src/CyLlm.Cli -c Release -v q -nologo >/dev/null || exit 1
NEW=src/CyLlm.Cli/bin/Release/net10.0/cyllm.dll
if [ "${ISA:-native}" = avx2 ]; then export DOTNET_EnableAVX512=0 CYLLM_NATIVE_KERNELS=0; fi
tag() { sed "s/^{/{\"build\":\"$1\",\"isa\":\"${ISA:-native}\",/"; }
for c in 16 64; do
  p=128; [ "$c" = 64 ] && p=32
  dotnet "$PREV" bench --model "$MODEL" -t "$T" -p $p -n 64 --concurrency $c | tag previous
  dotnet "$NEW" bench --model "$MODEL" -t "$T" -p $p -n 64 --concurrency $c | tag this
done
for c in 1 16; do
  dotnet "$NEW" bench --model "$MODEL" -t "$T" -p 128 -n 64 --concurrency $c | tag this
  dotnet "$NEW" bench --model "$MODEL" -t "$T" -p 128 -n 64 --concurrency $c --json-schema bench/schemas/20-fields.json | tag this
done
