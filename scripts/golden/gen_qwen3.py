#!/usr/bin/env python3
"""Synthetic Qwen3 GGUF v3 generator (Python stdlib only) for the llama.cpp differential tests.

Writes a GGUF v3 file with the tensor names and shapes llama.cpp's "qwen3" architecture loads
(src/models/qwen3.cpp): no Q/K/V biases, per-head RMSNorm weights blk.N.attn_q_norm.weight and
blk.N.attn_k_norm.weight of [head_dim], head_dim given by qwen3.attention.key_length/value_length (so it
may differ from embedding_length / head_count), NEOX RoPE (llama.cpp picks it from the architecture, not
from metadata), and tied embeddings (no output.weight) unless --no-tie. The tokenizer.* metadata is copied
byte for byte from another GGUF (the Llama-2 vocabulary of ../shared/models/llama-2-tiny-random.gguf).

Weights: 2-D tensors tile one pool of N(0, std) values (a prime number of 32-value chunks, from a seeded
random.Random) from a random chunk offset per tensor, so the F32 and F16 files hold the same model at two
precisions and no two rows of a matrix are identical. Every norm weight (attn/ffn/output norms and the
Q/K head norms) is drawn uniformly from [0.5, 1.5] and stored in F32, as llama.cpp keeps 1-D tensors: a
forward pass that skipped or misplaced a norm would not match. The file is byte-for-byte reproducible
from (shape, type, seed, tokenizer source); the tests check its sha256 against TestData/llamacpp/qwen3-tiny.sha256.

  python3 scripts/golden/gen_qwen3.py --type f32 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o qwen3-tiny-f32.gguf
"""
import argparse
import math
import os
import random
import struct
import sys

GGUF_MAGIC = b"GGUF"
ALIGN = 32
T_UINT32, T_FLOAT32, T_STRING, T_ARRAY = 4, 6, 8, 9
# GGUF metadata scalar types -> struct format (to skip over values while reading the tokenizer source).
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
GGML_F32, GGML_F16 = 0, 1
# CLI type -> (ggml type of 2-D tensors, bytes per element, general.file_type)
TYPES = {"f32": (GGML_F32, 4, 0), "f16": (GGML_F16, 2, 1)}

# Seed 10 (the default) gives llama.cpp 18 greedy steps before the first top-2 gap under 0.02 for the golden
# prompt. The default shape: small enough to generate and run in seconds, with head_dim (64) != dim / heads (32),
# grouped-query attention (8 query heads over 4 KV heads) and tied embeddings.
TINY = dict(dim=256, hidden_dim=512, n_layers=4, n_heads=8, n_kv_heads=4, head_dim=64,
            vocab=32000, ctx=512, rope_theta=1000000.0, rms_eps=1e-6, tie=True)
# The benchmark shape (--shape small, issue 16's speed table): the peer's "small" llama (dim 768, ffn 2048, 12 layers,
# 12 heads over 4 KV heads) with Qwen3's head_dim 128 (≠ dim / heads), 768 and 2048 whole K-quant super-blocks.
SMALL = dict(dim=768, hidden_dim=2048, n_layers=12, n_heads=12, n_kv_heads=4, head_dim=128,
             vocab=32000, ctx=2048, rope_theta=1000000.0, rms_eps=1e-6, tie=True)
SHAPES = {"tiny": TINY, "small": SMALL}


def tokenizer_kvs(path):
    """The raw bytes of every tokenizer.* metadata entry of a GGUF file (key + type + value), in file order,
    and the vocabulary size."""
    with open(path, "rb") as f:
        buf = f.read(64 << 20)  # the metadata sits at the front of the file
    pos = 0

    def take(n):
        nonlocal pos
        b = buf[pos:pos + n]
        if len(b) != n:
            raise ValueError(f"{path}: truncated GGUF header")
        pos += n
        return b

    def u32():
        return struct.unpack("<I", take(4))[0]

    def u64():
        return struct.unpack("<Q", take(8))[0]

    def skip(vtype):
        if vtype in SCALAR:
            take(struct.calcsize(SCALAR[vtype]))
        elif vtype == T_STRING:
            take(u64())
        elif vtype == T_ARRAY:
            etype, n = u32(), u64()
            if etype in SCALAR:
                take(struct.calcsize(SCALAR[etype]) * n)
            else:
                for _ in range(n):
                    skip(etype)
        else:
            raise ValueError(f"{path}: unknown GGUF value type {vtype}")

    if take(4) != GGUF_MAGIC:
        raise ValueError(f"{path}: not a GGUF file")
    if u32() not in (2, 3):
        raise ValueError(f"{path}: unsupported GGUF version")
    u64()  # tensor count
    n_kv = u64()
    out, vocab = [], 0
    for _ in range(n_kv):
        start = pos
        key = take(u64()).decode("utf-8")
        vtype = u32()
        if key == "tokenizer.ggml.tokens":
            save = pos
            u32()
            vocab = u64()
            pos = save
        skip(vtype)
        if key.startswith("tokenizer."):
            out.append(buf[start:pos])
    return out, vocab


def w_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv_u32(key, v):
    return w_str(key) + struct.pack("<II", T_UINT32, v)


def kv_f32(key, v):
    return w_str(key) + struct.pack("<If", T_FLOAT32, v)


def kv_str(key, v):
    return w_str(key) + struct.pack("<I", T_STRING) + w_str(v)


def next_prime(n):
    def is_prime(k):
        if k < 2 or k % 2 == 0:
            return k == 2
        return all(k % f for f in range(3, math.isqrt(k) + 1, 2))
    while not is_prime(n):
        n += 1
    return n


def tensor_list(c):
    """[(name, ggml dims (ne0 = row length first), is_norm)] in llama.cpp's order."""
    d, h, hd = c["dim"], c["hidden_dim"], c["head_dim"]
    q, kv = c["n_heads"] * hd, c["n_kv_heads"] * hd
    t = [("token_embd.weight", [d, c["vocab"]], False)]
    for i in range(c["n_layers"]):
        p = f"blk.{i}."
        t += [
            (p + "attn_norm.weight", [d], True),
            (p + "attn_q.weight", [d, q], False),
            (p + "attn_k.weight", [d, kv], False),
            (p + "attn_v.weight", [d, kv], False),
            (p + "attn_output.weight", [q, d], False),
            (p + "attn_q_norm.weight", [hd], True),
            (p + "attn_k_norm.weight", [hd], True),
            (p + "ffn_norm.weight", [d], True),
            (p + "ffn_gate.weight", [d, h], False),
            (p + "ffn_up.weight", [d, h], False),
            (p + "ffn_down.weight", [h, d], False),
        ]
    t.append(("output_norm.weight", [d], True))
    if not c["tie"]:
        t.append(("output.weight", [d, c["vocab"]], False))
    return t


def generate(c, type_name, out_path, tokenizer_src, seed=10, std=0.02, pool_elems=1 << 20, yarn=0.0):
    wtype, esize, ftype = TYPES[type_name]
    tok, vocab = tokenizer_kvs(tokenizer_src)
    if vocab != c["vocab"]:
        raise ValueError(f"vocab {c['vocab']} != tokenizer vocab {vocab} in {tokenizer_src}")
    if c["n_heads"] % c["n_kv_heads"]:
        raise ValueError("n_heads must be a multiple of n_kv_heads")
    a = "qwen3"
    kvs = [
        kv_str("general.architecture", a),
        kv_str("general.name", f"synthetic-qwen3-{type_name}"),
        kv_u32("general.file_type", ftype),
        kv_u32("general.alignment", ALIGN),
        kv_u32(f"{a}.vocab_size", c["vocab"]),
        kv_u32(f"{a}.context_length", c["ctx"]),
        kv_u32(f"{a}.embedding_length", c["dim"]),
        kv_u32(f"{a}.block_count", c["n_layers"]),
        kv_u32(f"{a}.feed_forward_length", c["hidden_dim"]),
        kv_u32(f"{a}.rope.dimension_count", c["head_dim"]),
        kv_u32(f"{a}.attention.head_count", c["n_heads"]),
        kv_u32(f"{a}.attention.head_count_kv", c["n_kv_heads"]),
        kv_u32(f"{a}.attention.key_length", c["head_dim"]),
        kv_u32(f"{a}.attention.value_length", c["head_dim"]),
        kv_f32(f"{a}.attention.layer_norm_rms_epsilon", c["rms_eps"]),
        kv_f32(f"{a}.rope.freq_base", c["rope_theta"]),
    ]
    if yarn:
        # YaRN as llama.cpp's converter writes Qwen3's rope_scaling {rope_type: yarn, factor, original_max_position_embeddings}.
        kvs += [
            kv_str(f"{a}.rope.scaling.type", "yarn"),
            kv_f32(f"{a}.rope.scaling.factor", yarn),
            kv_u32(f"{a}.rope.scaling.original_context_length", c["ctx"] // int(yarn)),
        ]
    kvs += tok

    tensors = tensor_list(c)
    infos, offset = [], 0
    for name, dims, is_norm in tensors:
        n = 1
        for x in dims:
            n *= x
        nb = n * (4 if is_norm else esize)
        infos.append((name, dims, GGML_F32 if is_norm else wtype, offset, nb, is_norm))
        offset = (offset + nb + ALIGN - 1) // ALIGN * ALIGN

    header = bytearray(GGUF_MAGIC + struct.pack("<IQQ", 3, len(infos), len(kvs)))
    for kv in kvs:
        header += kv
    for name, dims, ttype, off, _, _ in infos:
        header += w_str(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
        header += struct.pack("<IQ", ttype, off)
    header += b"\0" * ((-len(header)) % ALIGN)

    rng = random.Random(seed)
    # A prime chunk count above every row count: no two rows of a matrix start at the same pool offset.
    max_rows = max(dims[1] for _, dims, _ in tensors if len(dims) == 2)
    chunks = next_prime(max(pool_elems // 32, max_rows + 1))
    vals = [rng.gauss(0.0, std) for _ in range(chunks * 32)]
    pool = struct.pack("<%d%s" % (len(vals), "f" if wtype == GGML_F32 else "e"), *vals)
    pool2 = pool + pool
    chunk_bytes = 32 * esize

    tmp = out_path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(header)
        pos = 0
        for name, dims, ttype, off, nb, is_norm in infos:
            assert pos == off, (name, pos, off)
            if is_norm:
                f.write(struct.pack("<%df" % dims[0], *[rng.uniform(0.5, 1.5) for _ in range(dims[0])]))
            else:
                write_tiled(f, pool2, len(pool), rng.randrange(chunks) * chunk_bytes, nb)
            pos = pad_to_alignment(f, off + nb)
    os.replace(tmp, out_path)
    print(f"wrote {out_path}: {os.path.getsize(out_path)} bytes", file=sys.stderr)


def write_tiled(f, pool2, pool_len, start, nb):
    """Writes nb bytes of a tensor from the weight pool (pool2 = pool + pool, pool_len its single length) starting at
    byte offset start and wrapping around: every generator tiles its 2-D tensors from one pool this way."""
    left = nb
    while left > 0:
        k = min(left, pool_len)
        f.write(pool2[start:start + k])
        left -= k
        start = (start + k) % pool_len


def pad_to_alignment(f, pos):
    """Zero bytes up to the next ALIGN boundary after pos; returns the new position."""
    pad = (-pos) % ALIGN
    f.write(b"\0" * pad)
    return pos + pad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--type", default="f32", choices=sorted(TYPES), help="type of the 2-D weights (norms stay F32)")
    ap.add_argument("--tokenizer-from", required=True, help="GGUF whose tokenizer.* metadata is copied")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--no-tie", action="store_true", help="write a separate output.weight")
    ap.add_argument("--yarn", type=float, default=0.0,
                    help="YaRN RoPE scaling with this factor from an original context of context_length / factor")
    ap.add_argument("--shape", default="tiny", choices=sorted(SHAPES), help="tiny: the golden tests' model; small: the benchmark's")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    c = dict(SHAPES[args.shape])
    c["tie"] = not args.no_tie
    try:
        generate(c, args.type, args.out, args.tokenizer_from, seed=args.seed, yarn=args.yarn)
    except ValueError as e:
        sys.exit(f"gen_qwen3.py: error: {e}")


if __name__ == "__main__":
    main()
