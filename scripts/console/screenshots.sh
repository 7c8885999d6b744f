#!/usr/bin/env bash
# Regenerates the web console's screenshots (docs/console/PAGE-desktop.png and PAGE-phone.png) by running the
# screenshot test in headless Chromium against a gateway on the built-in model. Needs /usr/bin/chromium
# (bash .ci/services.sh installs it). Usage: scripts/console/screenshots.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-docs/console}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ ! -x /usr/bin/chromium ] && [ -z "${CYLLM_CHROMIUM:-}" ]; then
  echo "error: /usr/bin/chromium is missing; run bash .ci/services.sh (or set CYLLM_CHROMIUM)" >&2
  exit 1
fi
CYLLM_CONSOLE_SCREENSHOTS="$out" dotnet test tests/CyLlm.Console.Tests -c Release \
  --filter "FullyQualifiedName~CyLlm.Console.Tests.ScreenshotTests"
ls -1 "$out"/*.png | sed "s|^$PWD/||"
