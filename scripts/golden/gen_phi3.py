#!/usr/bin/env python3
"""Synthetic Phi-3 / Phi-4 GGUF v3 generator (Python stdlib only) for the llama.cpp differential tests.

Writes a GGUF v3 file with the tensor names, shapes and keys llama.cpp's "phi3" architecture loads
(src/models/phi3.cpp): per layer attn_norm, the fused attn_qkv [dim, q + 2 kv] (rows: the query heads, then the
key heads, then the value heads), attn_output, ffn_norm, the fused ffn_up [dim, 2 ff] (rows 0..ff-1 the SwiGLU gate,
ff..2ff-1 the up projection, as Hugging Face's gate_up_proj) and ffn_down; a separate output.weight; NEOX RoPE
(llama.cpp picks it from the architecture). The two variants:
  phi3: LongRoPE as Phi-3-mini-128k / Phi-3.5-mini convert: rope_factors_long.weight and rope_factors_short.weight
        ([head_dim/2] F32 each, one set shared by every layer), phi3.rope.scaling.original_context_length 256 below
        phi3.context_length 1024, and phi3.rope.scaling.attn_factor sqrt(1 + ln(1024/256) / ln(256)) as
        llama.cpp's converter computes it; phi3.attention.sliding_window 2047 as Phi-3-mini writes it (llama.cpp
        disables Phi's sliding window, so it has no effect). llama.cpp rotates with the long factors when the
        context it is given (n_ctx) exceeds the original context, else with the short ones: the goldens are
        made at n_ctx 256 (short) and 512 (long).
  phi4: Phi-4's shape: no rope factors, no attention factor, sliding_window 0.
Both: dim 256, 8 query heads over 4 KV heads of 32, ffn 512, 4 layers. Matrices tile one seeded pool of N(0, std)
values exactly as gen_qwen3.py does (F32, F16 and Q8_0 files hold the same model; Q8_0 quantized here as gen_moe.py
does); norm weights uniform in [0.5, 1.5], F32. The file is byte-for-byte reproducible; the tests check its sha256 against TestData/llamacpp/phi3-tiny.sha256.
The tokenizer.* metadata is copied from another GGUF (the Llama-2 vocabulary Phi-3 also uses).

  python3 scripts/golden/gen_phi3.py --variant phi3 --type f32 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o phi3-tiny-f32.gguf
"""
import argparse
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_qwen3 import (pad_to_alignment, write_tiled, ALIGN, GGML_F32, GGML_F16, GGUF_MAGIC, TYPES as FLOAT_TYPES, kv_f32, kv_str, kv_u32,  # noqa: E402
                       next_prime, tokenizer_kvs, w_str)
from gen_moe import q8_0_blocks  # noqa: E402

GGML_Q8_0 = 8
# CLI type -> (ggml type of 2-D tensors, bytes per element (None: Q8_0's 34 per 32), general.file_type). Q8_0 makes the
# engine repack the fused matrices' Q/K/V and gate/up slices (rows in lanes), a path the float types do not take.
TYPES = dict(FLOAT_TYPES, q8_0=(GGML_Q8_0, None, 7))

TINY = dict(dim=256, hidden_dim=512, n_layers=4, n_heads=8, n_kv_heads=4, vocab=32000, ctx=1024, orig_ctx=256,
            rope_theta=10000.0, rms_eps=1e-5)
# variant -> (seed, std). Picked so that llama.cpp's greedy run has a top-2 gap of at least 0.02 for many steps
# (phi3: 19 at n_ctx 256, 8 at n_ctx 512; phi4: all 32); many seeds fall into near-ties within a few steps.
VARIANTS = {"phi3": (5, 0.05), "phi4": (2, 0.05)}


def tensor_list(c, longrope):
    """[(name, ggml dims (ne0 = row length first), kind)]; kind: 'w' matrix, 'n' norm, 'long'/'short' rope factors."""
    d, h = c["dim"], c["hidden_dim"]
    hd = d // c["n_heads"]
    qkv = d + 2 * c["n_kv_heads"] * hd
    t = [("token_embd.weight", [d, c["vocab"]], "w")]
    if longrope:
        t += [("rope_factors_long.weight", [hd // 2], "long"), ("rope_factors_short.weight", [hd // 2], "short")]
    for i in range(c["n_layers"]):
        p = f"blk.{i}."
        t += [
            (p + "attn_norm.weight", [d], "n"),
            (p + "attn_qkv.weight", [d, qkv], "w"),
            (p + "attn_output.weight", [d, d], "w"),
            (p + "ffn_norm.weight", [d], "n"),
            (p + "ffn_up.weight", [d, 2 * h], "w"),
            (p + "ffn_down.weight", [h, d], "w"),
        ]
    t.append(("output_norm.weight", [d], "n"))
    t.append(("output.weight", [d, c["vocab"]], "w"))
    return t


def generate(c, variant, type_name, out_path, tokenizer_src, seed, std, pool_elems=1 << 20):
    wtype, esize, ftype = TYPES[type_name]
    tok, vocab = tokenizer_kvs(tokenizer_src)
    if vocab != c["vocab"]:
        raise ValueError(f"vocab {c['vocab']} != tokenizer vocab {vocab} in {tokenizer_src}")
    longrope = variant == "phi3"
    a = "phi3"
    hd = c["dim"] // c["n_heads"]
    kvs = [
        kv_str("general.architecture", a),
        # Not "phi3"/"phi-3": llama.cpp then sets token attributes by name and needs an <|endoftext|> token.
        kv_str("general.name", f"synthetic-phi-{'longrope' if longrope else 'plain'}-{type_name}"),
        kv_u32("general.file_type", ftype),
        kv_u32("general.alignment", ALIGN),
        kv_u32(f"{a}.context_length", c["ctx"]),
        kv_u32(f"{a}.embedding_length", c["dim"]),
        kv_u32(f"{a}.block_count", c["n_layers"]),
        kv_u32(f"{a}.feed_forward_length", c["hidden_dim"]),
        kv_u32(f"{a}.rope.dimension_count", hd),
        kv_u32(f"{a}.attention.head_count", c["n_heads"]),
        kv_u32(f"{a}.attention.head_count_kv", c["n_kv_heads"]),
        kv_f32(f"{a}.attention.layer_norm_rms_epsilon", c["rms_eps"]),
        kv_f32(f"{a}.rope.freq_base", c["rope_theta"]),
        kv_u32(f"{a}.attention.sliding_window", 2047 if longrope else 0),
    ]
    if longrope:
        scale = c["ctx"] / c["orig_ctx"]
        kvs += [
            kv_u32(f"{a}.rope.scaling.original_context_length", c["orig_ctx"]),
            kv_f32(f"{a}.rope.scaling.attn_factor", math.sqrt(1 + math.log(scale) / math.log(c["orig_ctx"]))),
        ]
    else:
        kvs.append(kv_u32(f"{a}.rope.scaling.original_context_length", c["ctx"]))
    kvs += tok

    tensors = tensor_list(c, longrope)
    infos, offset = [], 0
    for name, dims, kind in tensors:
        n = 1
        for x in dims:
            n *= x
        nb = (n // 32 * 34 if wtype == GGML_Q8_0 else n * esize) if kind == "w" else n * 4
        infos.append((name, dims, wtype if kind == "w" else GGML_F32, offset, nb, kind))
        offset = (offset + nb + ALIGN - 1) // ALIGN * ALIGN

    header = bytearray(GGUF_MAGIC + struct.pack("<IQQ", 3, len(infos), len(kvs)))
    for kv in kvs:
        header += kv
    for name, dims, ttype, off, _, _ in infos:
        header += w_str(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
        header += struct.pack("<IQ", ttype, off)
    header += b"\0" * ((-len(header)) % ALIGN)

    rng = random.Random(seed)
    max_rows = max(dims[1] for _, dims, _ in tensors if len(dims) == 2)
    chunks = next_prime(max(pool_elems // 32, max_rows + 1))
    vals = [rng.gauss(0.0, std) for _ in range(chunks * 32)]
    if wtype == GGML_Q8_0:
        pool, chunk_bytes = q8_0_blocks(vals), 34
    else:
        pool, chunk_bytes = struct.pack("<%d%s" % (len(vals), "f" if wtype == GGML_F32 else "e"), *vals), 32 * esize
    pool2 = pool + pool

    tmp = out_path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(header)
        pos = 0
        for name, dims, ttype, off, nb, kind in infos:
            assert pos == off, (name, pos, off)
            if kind == "n":
                f.write(struct.pack("<%df" % dims[0], *[rng.uniform(0.5, 1.5) for _ in range(dims[0])]))
            elif kind == "long":
                # Growing with the pair index like real long factors (1 on the fast pairs, large on the slow ones).
                f.write(struct.pack("<%df" % dims[0], *[1.0 + 15.0 * (i / (dims[0] - 1)) ** 2 for i in range(dims[0])]))
            elif kind == "short":
                f.write(struct.pack("<%df" % dims[0], *[rng.uniform(1.0, 1.6) for _ in range(dims[0])]))
            else:
                write_tiled(f, pool2, len(pool), rng.randrange(chunks) * chunk_bytes, nb)
            pos = pad_to_alignment(f, off + nb)
    os.replace(tmp, out_path)
    print(f"wrote {out_path}: {os.path.getsize(out_path)} bytes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", default="phi3", choices=sorted(VARIANTS))
    ap.add_argument("--type", default="f32", choices=sorted(TYPES), help="type of the 2-D weights (norms stay F32)")
    ap.add_argument("--tokenizer-from", required=True, help="GGUF whose tokenizer.* metadata is copied")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--std", type=float, default=None)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    seed, std = VARIANTS[args.variant]
    try:
        generate(dict(TINY), args.variant, args.type, args.out, args.tokenizer_from,
                 args.seed if args.seed is not None else seed, args.std if args.std is not None else std)
    except ValueError as e:
        sys.exit(f"gen_phi3.py: error: {e}")


if __name__ == "__main__":
    main()
