#!/usr/bin/env python3
"""Synthetic mixture-of-experts GGUF v3 generator (Python stdlib only) for the llama.cpp differential tests and the
MoE benchmark.

Two architectures, with the tensor names, shapes and keys llama.cpp loads for them (src/models/llama.cpp and
src/models/qwen3moe.cpp):

  --arch mixtral   general.architecture "llama" with llama.expert_count / llama.expert_used_count (Mixtral):
                   interleaved RoPE, each expert's FFN width is llama.feed_forward_length.
  --arch qwen3moe  "qwen3moe": Qwen3 attention (per-head Q/K RMSNorm, NEOX RoPE, head_dim from key_length) and
                   experts of qwen3moe.expert_feed_forward_length (feed_forward_length is written too, with a
                   different value, so an engine that reads the wrong key gets the wrong shapes).
  --arch qwen2moe  "qwen2moe" (Qwen1.5-MoE, Qwen2-57B-A14B): Qwen2 attention (Q/K/V biases, NEOX RoPE), routed experts
                   of qwen2moe.expert_feed_forward_length whose top-k softmax weights are NOT renormalised, and per
                   layer a shared expert (ffn_{gate,up,down}_shexp, width qwen2moe.expert_shared_feed_forward_length)
                   scaled by sigmoid(ffn_gate_inp_shexp . x) (src/models/qwen2moe.cpp). Untied output.weight, which
                   llama.cpp requires for this architecture.
  --arch dense     plain "llama" with one FFN of expert_count x the expert width: the dense model of the same total
                   size as --arch mixtral, for the benchmark.

Per MoE layer: blk.N.ffn_gate_inp.weight (router, ggml [dim, n_expert], always F32 as llama-quantize keeps it) and
the merged 3-D expert tensors blk.N.ffn_gate_exps.weight / ffn_up_exps [dim, ff, n_expert] and ffn_down_exps
[ff, dim, n_expert] (ggml order: expert e's [ff, dim] matrix is the e-th contiguous slice). The tokenizer.* metadata
is copied byte for byte from another GGUF (../shared/models/llama-2-tiny-random.gguf).

Weights as in gen_qwen3.py: matrices tile one pool of N(0, std) values from a random 32-value chunk offset per
tensor (so the F32 and Q8_0 files hold the same model at two precisions); norms are uniform in [0.5, 1.5], F32. The
router is drawn on its own with std 1/sqrt(dim), so the router logits of a normed hidden state are O(1) apart and the
top-k choice is decisive (llama.cpp and CyLlm must pick the same experts, not flip on a rounding-level near-tie).
Q8_0 blocks are quantized from the pool here (d = amax/127 as f16, q = round(x/d) half away from zero); the file is
the reference for both engines, so bit-exactness with llama-quantize does not matter. Byte-for-byte reproducible from
(arch, shape, type, seed, tokenizer source): the tests check the sha256 against TestData/llamacpp/moe-tiny.sha256.

  python3 scripts/golden/gen_moe.py --arch mixtral --type f32 --tokenizer-from ../shared/models/llama-2-tiny-random.gguf -o mixtral-tiny-f32.gguf
"""
import argparse
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_qwen3 import pad_to_alignment, write_tiled, ALIGN, GGUF_MAGIC, kv_f32, kv_str, kv_u32, next_prime, tokenizer_kvs, w_str  # noqa: E402

GGML_F32, GGML_Q8_0 = 0, 8
# CLI type -> (ggml type of matrices, general.file_type)
TYPES = {"f32": (GGML_F32, 0), "q8_0": (GGML_Q8_0, 7)}

# Tiny shapes (seconds to generate and run): Mixtral-like 8 experts / 2 used, Qwen3-MoE-like 16 experts / 4 used
# with head_dim 64 != dim / heads. "small" is the benchmark size (8 experts, 2 active, ~0.5 B parameters). The
# default seeds give llama.cpp 21 (mixtral, seed 10), 32 (qwen3moe, seed 11; seed 10 has a near-tie at the
# first step) and 22 (qwen2moe, seed 13; seeds 12, 14, 15 and 16 have one within the first 3 steps) greedy steps
# before the first top-2 gap under 0.02 for the golden prompt.
SHAPES = {
    "mixtral": dict(arch="llama", dim=256, ff=256, n_layers=4, n_heads=8, n_kv_heads=4, head_dim=32,
                    n_expert=8, n_expert_used=2, vocab=32000, ctx=512, rope_theta=10000.0, rms_eps=1e-5, tie=True),
    "qwen3moe": dict(arch="qwen3moe", dim=256, ff=128, dense_ff=512, n_layers=4, n_heads=8, n_kv_heads=4, head_dim=64,
                     n_expert=16, n_expert_used=4, vocab=32000, ctx=512, rope_theta=1000000.0, rms_eps=1e-6, tie=True,
                     seed=11),
    "qwen2moe": dict(arch="qwen2moe", dim=256, ff=128, dense_ff=512, shared_ff=384, n_layers=4, n_heads=8, n_kv_heads=4,
                     head_dim=32, n_expert=16, n_expert_used=4, vocab=32000, ctx=512, rope_theta=1000000.0, rms_eps=1e-6,
                     tie=False, seed=13),
    "mixtral-small": dict(arch="llama", dim=1024, ff=2048, n_layers=8, n_heads=16, n_kv_heads=4, head_dim=64,
                          n_expert=8, n_expert_used=2, vocab=32000, ctx=2048, rope_theta=10000.0, rms_eps=1e-5, tie=False),
    "dense-small": dict(arch="llama", dim=1024, ff=2048, n_layers=8, n_heads=16, n_kv_heads=4, head_dim=64,
                        n_expert=8, n_expert_used=0, vocab=32000, ctx=2048, rope_theta=10000.0, rms_eps=1e-5, tie=False),
}


def tensor_list(c):
    """[(name, ggml dims (ne0 first), kind)] in llama.cpp's order; kind: 'norm', 'router', 'bias' or 'matrix'."""
    d, ff, hd, e = c["dim"], c["ff"], c["head_dim"], c["n_expert"]
    q, kv = c["n_heads"] * hd, c["n_kv_heads"] * hd
    moe = c["n_expert_used"] > 0
    t = [("token_embd.weight", [d, c["vocab"]], "matrix")]
    for i in range(c["n_layers"]):
        p = f"blk.{i}."
        t += [
            (p + "attn_norm.weight", [d], "norm"),
            (p + "attn_q.weight", [d, q], "matrix"),
            (p + "attn_k.weight", [d, kv], "matrix"),
            (p + "attn_v.weight", [d, kv], "matrix"),
            (p + "attn_output.weight", [q, d], "matrix"),
        ]
        if c["arch"] == "qwen3moe":
            t += [(p + "attn_q_norm.weight", [hd], "norm"), (p + "attn_k_norm.weight", [hd], "norm")]
        if c["arch"] == "qwen2moe":
            t += [(p + "attn_q.bias", [q], "bias"), (p + "attn_k.bias", [kv], "bias"), (p + "attn_v.bias", [kv], "bias")]
        t.append((p + "ffn_norm.weight", [d], "norm"))
        if moe:
            t += [
                (p + "ffn_gate_inp.weight", [d, e], "router"),
                (p + "ffn_gate_exps.weight", [d, ff, e], "matrix"),
                (p + "ffn_down_exps.weight", [ff, d, e], "matrix"),
                (p + "ffn_up_exps.weight", [d, ff, e], "matrix"),
            ]
            if "shared_ff" in c:
                sh = c["shared_ff"]
                # The shared expert's gate is one row [dim]: drawn like a router row, so sigmoid(gate . x) is O(1)
                # away from 0 and 1 and the shared expert visibly contributes.
                t += [
                    (p + "ffn_gate_inp_shexp.weight", [d], "router"),
                    (p + "ffn_gate_shexp.weight", [d, sh], "matrix"),
                    (p + "ffn_down_shexp.weight", [sh, d], "matrix"),
                    (p + "ffn_up_shexp.weight", [d, sh], "matrix"),
                ]
        else:
            t += [
                (p + "ffn_gate.weight", [d, ff * e], "matrix"),
                (p + "ffn_down.weight", [ff * e, d], "matrix"),
                (p + "ffn_up.weight", [d, ff * e], "matrix"),
            ]
    t.append(("output_norm.weight", [d], "norm"))
    if not c["tie"]:
        t.append(("output.weight", [d, c["vocab"]], "matrix"))
    return t


def q8_0_blocks(vals):
    """Q8_0 bytes (34 per 32 values: f16 scale, 32 int8) of a list whose length is a multiple of 32."""
    out = bytearray()
    for b in range(0, len(vals), 32):
        blk = vals[b:b + 32]
        amax = max(abs(v) for v in blk)
        d = amax / 127.0
        # The stored scale is the f16 one; quantizing against the rounded scale keeps |q| <= 127.
        d16 = struct.unpack("<e", struct.pack("<e", d))[0]
        inv = 1.0 / d16 if d16 else 0.0
        qs = []
        for v in blk:
            x = v * inv
            r = int(math.floor(abs(x) + 0.5))
            qs.append(max(-127, min(127, r if x >= 0 else -r)))
        out += struct.pack("<e", d) + struct.pack("<32b", *qs)
    return bytes(out)


def generate(c, type_name, out_path, tokenizer_src, seed, std=0.02, pool_elems=1 << 20):
    wtype, ftype = TYPES[type_name]
    tok, vocab = tokenizer_kvs(tokenizer_src)
    if vocab != c["vocab"]:
        raise ValueError(f"vocab {c['vocab']} != tokenizer vocab {vocab} in {tokenizer_src}")
    if c["n_heads"] % c["n_kv_heads"]:
        raise ValueError("n_heads must be a multiple of n_kv_heads")
    a = c["arch"]
    moe = c["n_expert_used"] > 0
    kvs = [
        kv_str("general.architecture", a),
        kv_str("general.name", f"synthetic-{a}-moe-{type_name}" if moe else f"synthetic-dense-{type_name}"),
        kv_u32("general.file_type", ftype),
        kv_u32("general.alignment", ALIGN),
        kv_u32(f"{a}.vocab_size", c["vocab"]),
        kv_u32(f"{a}.context_length", c["ctx"]),
        kv_u32(f"{a}.embedding_length", c["dim"]),
        kv_u32(f"{a}.block_count", c["n_layers"]),
        kv_u32(f"{a}.feed_forward_length", c.get("dense_ff", c["ff"]) if moe else c["ff"] * c["n_expert"]),
        kv_u32(f"{a}.rope.dimension_count", c["head_dim"]),
        kv_u32(f"{a}.attention.head_count", c["n_heads"]),
        kv_u32(f"{a}.attention.head_count_kv", c["n_kv_heads"]),
        kv_u32(f"{a}.attention.key_length", c["head_dim"]),
        kv_u32(f"{a}.attention.value_length", c["head_dim"]),
        kv_f32(f"{a}.attention.layer_norm_rms_epsilon", c["rms_eps"]),
        kv_f32(f"{a}.rope.freq_base", c["rope_theta"]),
    ]
    if moe:
        kvs += [kv_u32(f"{a}.expert_count", c["n_expert"]), kv_u32(f"{a}.expert_used_count", c["n_expert_used"])]
        if a in ("qwen3moe", "qwen2moe"):
            kvs.append(kv_u32(f"{a}.expert_feed_forward_length", c["ff"]))
        if "shared_ff" in c:
            kvs.append(kv_u32(f"{a}.expert_shared_feed_forward_length", c["shared_ff"]))
    kvs += tok

    tensors = tensor_list(c)
    # Q8_0: 34 bytes per 32 values; F32 (and every norm and router): 4 bytes per value.
    chunk_bytes = 34 if wtype == GGML_Q8_0 else 128
    infos, offset = [], 0
    for name, dims, kind in tensors:
        n = 1
        for x in dims:
            n *= x
        ttype = wtype if kind == "matrix" else GGML_F32
        nb = n // 32 * 34 if ttype == GGML_Q8_0 else n * 4
        infos.append((name, dims, ttype, offset, nb, kind))
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
    max_rows = max(math.prod(dims) // dims[0] for _, dims, kind in tensors if kind == "matrix")
    chunks = next_prime(max(pool_elems // 32, max_rows + 1))
    vals = [rng.gauss(0.0, std) for _ in range(chunks * 32)]
    pool = q8_0_blocks(vals) if wtype == GGML_Q8_0 else struct.pack("<%df" % len(vals), *vals)
    pool2 = pool + pool
    router_std = 1.0 / math.sqrt(c["dim"])

    tmp = out_path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(header)
        pos = 0
        for name, dims, ttype, off, nb, kind in infos:
            assert pos == off, (name, pos, off)
            if kind == "norm":
                f.write(struct.pack("<%df" % dims[0], *[rng.uniform(0.5, 1.5) for _ in range(dims[0])]))
            elif kind == "bias":
                f.write(struct.pack("<%df" % dims[0], *[rng.gauss(0.0, 0.1) for _ in range(dims[0])]))
            elif kind == "router":
                f.write(struct.pack("<%df" % (nb // 4), *[rng.gauss(0.0, router_std) for _ in range(nb // 4)]))
            else:
                write_tiled(f, pool2, len(pool), rng.randrange(chunks) * chunk_bytes, nb)
            pos = pad_to_alignment(f, off + nb)
    os.replace(tmp, out_path)
    print(f"wrote {out_path}: {os.path.getsize(out_path)} bytes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=sorted(SHAPES), help="architecture and size")
    ap.add_argument("--type", default="f32", choices=sorted(TYPES), help="type of the matrices (norms and routers stay F32)")
    ap.add_argument("--tokenizer-from", required=True, help="GGUF whose tokenizer.* metadata is copied")
    ap.add_argument("--seed", type=int, default=None, help="weights seed (default: the shape's, else 10)")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    try:
        c = dict(SHAPES[args.arch])
        seed = args.seed if args.seed is not None else c.get("seed", 10)
        generate(c, args.type, args.out, args.tokenizer_from, seed)
    except ValueError as e:
        sys.exit(f"gen_moe.py: error: {e}")


if __name__ == "__main__":
    main()
