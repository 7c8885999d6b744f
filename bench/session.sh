#!/bin/bash
# Every speed figure of docs/benchmarks.md's 2026-12-08 section in one window: the small and medium files on the AVX2
# path and natively (compare.sh, with LLamaSharp), batching against llama-batched-bench, the architectures (archs.sh)
# and membw. Raw lines to $OUT.
#   CYLLM=path/to/cyllm.dll [PEER=../shared/peer] [OUT=dir] bench/session.sh
# PEER: ../shared/peer after ./setup.sh --native --avx2 and ./gen_models.sh (archs.sh writes its own models).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out-session}; mkdir -p "$OUT"
export CYLLM=${CYLLM:?a built cyllm.dll (e.g. src/CyLlm.Cli/bin/Release/net10.0/cyllm.dll)}
PEER=${PEER:-../shared/peer}; P=$PEER/models
date -u +%FT%TZ > $OUT/start.txt
lscpu | grep -i "flags" | head -1 | tr ' ' '\n' | grep -E "^(avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512_vnni|avx_vnni|avx512_bf16)$" | tr '\n' ' ' > $OUT/flags.txt
R=2 ISA=avx2 LLAMASHARP=1 bash bench/compare.sh $PEER 2 $P/small-f32.gguf $P/small-f16.gguf $P/small-q8_0.gguf $P/small-q4_0.gguf $P/small-q4_k_m.gguf $P/small-q6_k.gguf > $OUT/avx2-small.jsonl 2>$OUT/avx2-small.err
R=2 LLAMASHARP=1 bash bench/compare.sh $PEER 2 $P/small-f32.gguf $P/small-f16.gguf $P/small-q8_0.gguf $P/small-q4_0.gguf $P/small-q4_k_m.gguf $P/small-q6_k.gguf > $OUT/native-small.jsonl 2>$OUT/native-small.err
R=2 ISA=avx2 bash bench/compare.sh $PEER 2 $P/medium-q4_k_m.gguf $P/medium-q6_k.gguf > $OUT/avx2-medium.jsonl 2>$OUT/avx2-medium.err
R=2 bash bench/compare.sh $PEER 2 $P/medium-q4_k_m.gguf $P/medium-q6_k.gguf > $OUT/native-medium.jsonl 2>$OUT/native-medium.err
for m in small-q4_k_m small-q8_0; do
  for isa in avx2 native; do
    E=(); B=build; if [ $isa = avx2 ]; then E=(DOTNET_EnableAVX512=0 CYLLM_NATIVE_KERNELS=0); B=build-avx2; fi
    for c in 1 16; do env "${E[@]}" dotnet $CYLLM bench --model $P/$m.gguf -t 2 -p 128 -n 64 --concurrency $c --json | sed "s/^/{\"isa\":\"$isa\",\"c\":$c,\"r\":/; s/\$/}/" >> $OUT/batched.jsonl; done
    $PEER/llama.cpp-src/$B/bin/llama-batched-bench -m $P/$m.gguf -c 8192 -b 2048 -ub 512 -npp 128 -ntg 64 -npl 1,16 -t 2 --output-format jsonl 2>/dev/null | grep '^{' | sed "s/^/{\"isa\":\"$isa\",\"model\":\"$m\",\"r\":/; s/\$/}/" >> $OUT/batched.jsonl
  done
done
R=2 bash bench/archs.sh $PEER 2 > $OUT/archs-native.jsonl 2>$OUT/archs-native.err
R=2 ISA=avx2 bash bench/archs.sh $PEER 2 > $OUT/archs-avx2.jsonl 2>$OUT/archs-avx2.err
$PEER/membw 1024 5 > $OUT/membw.txt 2>&1
date -u +%FT%TZ > $OUT/DONE
