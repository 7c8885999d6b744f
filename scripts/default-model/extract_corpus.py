#!/usr/bin/env python3
"""Extracts plain English prose from a SWORD zText module (the World English Bible, public domain) and writes
train/validation JSONL of {"text": ...} chunks for training CyLlm's default model from scratch.

zText layout (SWORD's zVerse, CompressType=ZIP, BlockType=BOOK), all little-endian:
  <t>.bzs  one 12-byte entry per compressed block: u32 offset in .bzz, u32 compressed size, u32 uncompressed size
  <t>.bzz  zlib-compressed blocks (one per book here)
  <t>.bzv  one 10-byte entry per verse slot: u32 block number, u32 offset in the uncompressed block, u16 size
with <t> = ot (Old Testament and Deuterocanon) and nt. Verse text is OSIS XML: footnotes (<note>) and headings
(<title>) are dropped, paragraph markers (<div type="x-p">) become paragraph breaks, other tags are removed.
Standard library only.
"""
import argparse
import html
import json
import os
import re
import struct
import sys
import zlib

NOTE = re.compile(r"<note\b.*?</note>", re.S)
TITLE = re.compile(r"<title\b.*?</title>", re.S)
PARA = re.compile(r'<div\b[^>]*type="x-p"[^>]*/>')
TAG = re.compile(r"<[^>]+>")
OPEN_TAG_AT_END = re.compile(r"<[^>]*$")
SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?])")
SPACES = re.compile(r"[ \t\r\n]+")
# Typographic punctuation to ASCII: simple text suits a tiny model and a small vocabulary.
PUNCT = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": " - ", "\u2013": "-",
                       "\u00a0": " ", "\u2026": "...", "\u00b6": ""})


def verses(module_dir, testament):
    """Yields (book block number, verse OSIS text) in canonical order."""
    def read(ext):
        with open(os.path.join(module_dir, f"{testament}.{ext}"), "rb") as f:
            return f.read()

    bzs, bzz, bzv = read("bzs"), read("bzz"), read("bzv")
    cache = {}
    for i in range(0, len(bzv) - 9, 10):
        block, start, size = struct.unpack_from("<IIH", bzv, i)
        if size == 0:
            continue
        if block not in cache:
            cache.clear()  # one book at a time: memory stays small
            off, csize, _ = struct.unpack_from("<III", bzs, block * 12)
            cache[block] = zlib.decompress(bzz[off:off + csize])
        yield block, cache[block][start:start + size].decode("utf-8", errors="replace")


def clean(osis):
    """OSIS verse markup to plain text; '\n' marks a paragraph start."""
    # A footnote often sits between two words with no space around it: it becomes a space.
    s = NOTE.sub(" ", osis)
    s = TITLE.sub("", s)
    s = PARA.sub("\n", s)
    s = TAG.sub("", s)
    s = OPEN_TAG_AT_END.sub("", s)
    s = html.unescape(s).translate(PUNCT)
    paragraphs = [SPACE_BEFORE_PUNCT.sub(r"\1", SPACES.sub(" ", p)).strip() for p in s.split("\n")]
    return "\n".join(paragraphs)


def books(module_dir):
    """Yields each book as a list of paragraphs."""
    for testament in ("ot", "nt"):
        current, paragraphs, buf = None, [], []
        for block, osis in verses(module_dir, testament):
            if block != current:
                if buf:
                    paragraphs.append(" ".join(buf))
                if paragraphs:
                    yield paragraphs
                current, paragraphs, buf = block, [], []
            parts = clean(osis).split("\n")
            for k, part in enumerate(parts):
                if k > 0 and buf:
                    paragraphs.append(" ".join(buf))
                    buf = []
                if part:
                    buf.append(part)
        if buf:
            paragraphs.append(" ".join(buf))
        if paragraphs:
            yield paragraphs


SENTENCE_END = re.compile(r'(?:(?<=[.!?])|(?<=[.!?]["\'])) (?=["\']?[A-Z])')


def pieces(paragraphs, target):
    """Paragraphs, with any longer than target cut between sentences (some books have no paragraph marks)."""
    for p in paragraphs:
        if len(p) <= target:
            yield p
            continue
        part = ""
        for sentence in SENTENCE_END.split(p):
            if part and len(part) + len(sentence) + 1 > target:
                yield part
                part = ""
            part = part + " " + sentence if part else sentence
        if part:
            yield part


def chunks(paragraphs, target):
    """Consecutive paragraphs joined with blank lines, about target characters each, never across books."""
    out = []
    size = 0
    for p in pieces(paragraphs, target):
        out.append(p)
        size += len(p) + 2
        if size >= target:
            yield "\n\n".join(out)
            out, size = [], 0
    if out:
        yield "\n\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--module-dir", required=True, help="folder holding ot.bzs/.bzz/.bzv and nt.*")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--chunk-chars", type=int, default=2000, help="target characters per JSONL row")
    ap.add_argument("--validation-every", type=int, default=50, help="every Nth chunk goes to validation")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    n_train = n_val = chars = n_books = 0
    with open(os.path.join(a.out, "corpus.txt"), "w", encoding="utf-8") as txt, \
         open(os.path.join(a.out, "train.jsonl"), "w", encoding="utf-8") as train, \
         open(os.path.join(a.out, "validation.jsonl"), "w", encoding="utf-8") as val:
        index = 0
        for paragraphs in books(a.module_dir):
            n_books += 1
            txt.write("\n\n".join(paragraphs) + "\n\n\n")
            for chunk in chunks(paragraphs, a.chunk_chars):
                row = json.dumps({"text": chunk}, ensure_ascii=False) + "\n"
                index += 1
                chars += len(chunk)
                if index % a.validation_every == 0:
                    val.write(row)
                    n_val += 1
                else:
                    train.write(row)
                    n_train += 1
    if n_train == 0 or n_val == 0:
        print("error: no text extracted (is this a zText module?)", file=sys.stderr)
        return 1
    print(f"books {n_books}, characters {chars}, train rows {n_train}, validation rows {n_val}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
