#!/usr/bin/env bash
# Regenerates the cross-ISA goldens (tests/*/TestData/cross-isa*.json): the output-bit hashes of every kernel and of
# the synthetic models' logits. Run it only after a deliberate change of a kernel's arithmetic, on any machine: the
# goldens must then pass unchanged with AVX-512 on, with AVX-512 off and (kernels) with every intrinsic off, which
# this script checks at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build CyLlm.slnx -c Release >/dev/null
for p in Tensors Engine; do
  rm -f "tests/CyLlm.$p.Tests/TestData/cross-isa.json"
  CYLLM_WRITE_GOLDEN=1 dotnet test "tests/CyLlm.$p.Tests" -c Release --no-build --filter "FullyQualifiedName~CrossIsa"
done
dotnet build CyLlm.slnx -c Release >/dev/null   # copies the new goldens to the test output
for p in Tensors Engine; do
  DOTNET_EnableAVX512=0 CYLLM_NATIVE_KERNELS=0 dotnet test "tests/CyLlm.$p.Tests" -c Release --no-build --filter "FullyQualifiedName~CrossIsa"
done
DOTNET_EnableHWIntrinsic=0 dotnet test tests/CyLlm.Tensors.Tests -c Release --no-build --filter "FullyQualifiedName~CrossIsa"
