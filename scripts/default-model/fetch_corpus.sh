#!/usr/bin/env bash
# Fetches the English training corpus of CyLlm's default model from the Debian archive at training time and
# turns it into train/validation JSONL of {"text": ...} rows (the Text schema of CyLlm.Training.Data).
#
#   scripts/default-model/fetch_corpus.sh [OUT_DIR]      (default: artifacts/corpus, ignored by git)
#
# Source: the Debian package sword-text-web (the World English Bible, public domain; see README.md here),
# downloaded with `apt-get download` (no root needed once the package lists exist), unpacked with dpkg-deb
# and decoded by extract_corpus.py (Python 3 standard library). Nothing is read from ../shared.
# Output: OUT_DIR/corpus.txt (plain text), OUT_DIR/train.jsonl, OUT_DIR/validation.jsonl (every 50th ~2000-char
# chunk), OUT_DIR/SOURCE (package, version, sha256). Prints the sha256 of the .deb it fetched.
set -euo pipefail

PACKAGE=sword-text-web
VERSION=426.0-1
# sha256 of sword-text-web_426.0-1_all.deb (Debian 12 "bookworm" main), checked when that version is fetched.
SHA256=930b23670b352f0829a306501de4bebb5e654a2df02cde2cbe86b802177868e1
MODULE=engWEB2015eb

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/artifacts/corpus}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$out/.fetch"
rm -rf "$work"
mkdir -p "$work"

for tool in apt-get apt-cache dpkg-deb python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "fetch_corpus: '$tool' is needed (Debian/Ubuntu with Python 3)" >&2; exit 1; }
done

if ! apt-cache show "$PACKAGE" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
  fi
  apt-cache show "$PACKAGE" >/dev/null 2>&1 || { echo "fetch_corpus: package $PACKAGE not found; run 'apt-get update' (as root) first" >&2; exit 1; }
fi

# The pinned version when the archive still has it, else the current one (its hash is printed, not checked).
if apt-cache show "$PACKAGE=$VERSION" >/dev/null 2>&1; then
  want="$PACKAGE=$VERSION"
else
  echo "fetch_corpus: warning: $PACKAGE $VERSION is gone from the archive; taking the current version" >&2
  want="$PACKAGE"
  SHA256=""
fi

(cd "$work" && apt-get download -q "$want" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
deb="$(ls "$work"/${PACKAGE}_*_all.deb 2>/dev/null | head -n 1 || true)"
[ -n "$deb" ] || { echo "fetch_corpus: apt-get download $want failed" >&2; exit 1; }

sum="$(sha256sum "$deb" | cut -d' ' -f1)"
echo "fetched $(basename "$deb") sha256 $sum"
if [ -n "$SHA256" ] && [ "$sum" != "$SHA256" ]; then
  echo "fetch_corpus: sha256 mismatch for $(basename "$deb"): expected $SHA256" >&2
  exit 1
fi

dpkg-deb -x "$deb" "$work/root"
module="$work/root/usr/share/sword/modules/texts/ztext/$MODULE"
[ -f "$module/ot.bzz" ] || { echo "fetch_corpus: $(basename "$deb") has no zText module $MODULE" >&2; exit 1; }

python3 "$here/extract_corpus.py" --module-dir "$module" --out "$out"
printf 'package %s\nfile %s\nsha256 %s\nlicense public domain (World English Bible)\n' \
  "$PACKAGE" "$(basename "$deb")" "$sum" > "$out/SOURCE"
rm -rf "$work"
echo "corpus ready in $out: $(wc -l < "$out/train.jsonl") train rows, $(wc -l < "$out/validation.jsonl") validation rows"
