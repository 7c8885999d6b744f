#!/usr/bin/env python3
"""Synthetic Gemma 2 / Gemma 3 GGUF v3 generator (Python stdlib only) for the llama.cpp differential tests.

Writes a GGUF v3 file with the tensor names, shapes and keys llama.cpp's "gemma2" and "gemma3" architectures load
(src/models/gemma2.cpp, gemma3.cpp): per layer attn_norm, attn_q/k/v/output, post_attention_norm, ffn_norm,
ffn_gate/up/down, post_ffw_norm, and for gemma3 the per-head attn_q_norm/attn_k_norm of [head_dim]; tied
embeddings (no output.weight; llama.cpp's gemma2 never reads one); head_dim from {arch}.attention.key_length
(here 64 over 4 heads, so heads*head_dim = 256 != embedding_length = 192); NEOX RoPE (llama.cpp picks it from
the architecture). Keys that make the Gemma features observable on a tiny random model:
  gemma2: attention.sliding_window = 48 on layers 0 and 2 (every other layer), attn_logit_softcapping = 0.25
          and final_logit_softcapping = 2.0 (small caps: with these weights attention scores are a few tenths and
          logits about 1-2, so both caps change the output), rope.freq_base 10000 on every layer.
  gemma3: attention.sliding_window = 12 on layers 0-4 and 6 of 7 (five local, one global, one local),
          rope.freq_base 1e6 on the global layer 5 and llama.cpp's fixed 10000 on the local ones (no
          rope.freq_base_swa key), no soft-caps.
The golden prompt is 5 tokens and 32 are generated (positions 0..36): gemma2's window is longer than the whole
sequence, gemma3's shorter (keys drop out of its local layers from position 12 on).

Norm weights: GGUF holds them as plain multipliers because llama.cpp's converter adds 1 to Gemma's
norm weights (conversion/gemma.py: data_torch + 1 for names ending in norm.weight); here every norm weight is
drawn uniformly from [0.5, 1.5] and stored in F32 (a Hugging Face checkpoint of the same model stores them minus 1).
Matrices tile one seeded pool of N(0, std) values exactly as gen_qwen3.py does, so the F32 and F16 files hold the
same model, and the file is byte-for-byte reproducible. The std and seed in ARCHS (gemma2: 0.06, seed 5; gemma3:
0.025, seed 1) were picked because llama.cpp's greedy run then has a top-2 gap of at least 0.02 for many steps
(gemma2: all 32; gemma3: 17, past its window), where many random seeds fall into near-ties within a few steps; the
tests check the sha256 against TestData/llamacpp/gemma-tiny.sha256. The tokenizer.* metadata is copied from another GGUF (the Llama-2 vocabulary
of ../shared/models/llama-2-tiny-random.gguf).

  python3 scripts/golden/gen_gemma.py --arch gemma3 --type f32 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o gemma3-tiny-f32.gguf
"""
import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_qwen3 import (pad_to_alignment, write_tiled, ALIGN, GGML_F32, GGML_F16, GGUF_MAGIC, TYPES, kv_f32, kv_str, kv_u32,  # noqa: E402
                       next_prime, tokenizer_kvs, w_str)

SHAPE = dict(dim=192, hidden_dim=512, n_heads=4, n_kv_heads=2, head_dim=64, vocab=32000, ctx=512, rms_eps=1e-6)
# The benchmark shape (--shape small, issue 16's speed table): dim 768 and ffn 2048 (whole K-quant super-blocks, unlike
# the tiny 192), 12 layers, 6 heads over 2 KV heads of 128, a 512-token window (Gemma 3: five local layers in six).
SMALL = dict(dim=768, hidden_dim=2048, n_heads=6, n_kv_heads=2, head_dim=128, vocab=32000, ctx=2048, rms_eps=1e-6,
             n_layers=12, window=512)
ARCHS = {
    "gemma2": dict(n_layers=4, window=48, attn_softcap=0.25, final_softcap=2.0, rope_theta=10000.0, qk_norm=False,
                   seed=5, std=0.06),
    "gemma3": dict(n_layers=7, window=12, attn_softcap=None, final_softcap=None, rope_theta=1000000.0, qk_norm=True,
                   seed=1, std=0.025),
}


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
        ]
        if c["qk_norm"]:
            t += [(p + "attn_q_norm.weight", [hd], True), (p + "attn_k_norm.weight", [hd], True)]
        t += [
            (p + "post_attention_norm.weight", [d], True),
            (p + "ffn_norm.weight", [d], True),
            (p + "ffn_gate.weight", [d, h], False),
            (p + "ffn_up.weight", [d, h], False),
            (p + "ffn_down.weight", [h, d], False),
            (p + "post_ffw_norm.weight", [d], True),
        ]
    t.append(("output_norm.weight", [d], True))
    return t


def generate(c, arch, type_name, out_path, tokenizer_src, seed=10, std=0.02, pool_elems=1 << 20, rope_linear=None):
    wtype, esize, ftype = TYPES[type_name]
    tok, vocab = tokenizer_kvs(tokenizer_src)
    if vocab != c["vocab"]:
        raise ValueError(f"vocab {c['vocab']} != tokenizer vocab {vocab} in {tokenizer_src}")
    a = arch
    kvs = [
        kv_str("general.architecture", a),
        kv_str("general.name", f"synthetic-{a}-{type_name}"),
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
        kv_u32(f"{a}.attention.sliding_window", c["window"]),
    ]
    if rope_linear is not None:
        # Gemma 3 4B+ ship linear RoPE scaling; llama.cpp applies it to the global layers only.
        kvs.append(kv_str(f"{a}.rope.scaling.type", "linear"))
        kvs.append(kv_f32(f"{a}.rope.scaling.factor", rope_linear))
    if c["attn_softcap"] is not None:
        kvs.append(kv_f32(f"{a}.attn_logit_softcapping", c["attn_softcap"]))
    if c["final_softcap"] is not None:
        kvs.append(kv_f32(f"{a}.final_logit_softcapping", c["final_softcap"]))
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=sorted(ARCHS))
    ap.add_argument("--type", default="f32", choices=sorted(TYPES), help="type of the 2-D weights (norms stay F32)")
    ap.add_argument("--tokenizer-from", required=True, help="GGUF whose tokenizer.* metadata is copied")
    ap.add_argument("--seed", type=int, default=None, help="default: the architecture's seed (see ARCHS)")
    ap.add_argument("--std", type=float, default=None, help="default: the architecture's weight std (see ARCHS)")
    ap.add_argument("--rope-linear", type=float, default=None, help="write linear RoPE scaling with this factor")
    ap.add_argument("--shape", default="tiny", choices=["tiny", "small"], help="tiny: the golden tests' model; small: the benchmark's")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    c = dict(SHAPE, **ARCHS[args.arch])
    if args.shape == "small":
        c.update(SMALL)
    try:
        generate(c, args.arch, args.type, args.out, args.tokenizer_from,
                 seed=c["seed"] if args.seed is None else args.seed, std=c["std"] if args.std is None else args.std, rope_linear=args.rope_linear)
    except ValueError as e:
        sys.exit(f"gen_gemma.py: error: {e}")


if __name__ == "__main__":
    main()
