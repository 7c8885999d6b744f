#!/usr/bin/env python3
"""Synthetic gpt-oss GGUF v3 generator (Python stdlib only) for the llama.cpp differential tests.

Writes general.architecture "gpt-oss" with the tensor names, shapes and keys llama.cpp's LLM_ARCH_OPENAI_MOE loads
(src/models/openai-moe.cpp; conversion/gpt_oss.py writes the real files):

  per layer   attn_norm, attn_q/k/v (weight + bias), attn_output (weight + bias), attn_sinks.weight [n_head] (one sink
              logit per query head), post_attention_norm (the pre-FFN norm), the router ffn_gate_inp (weight + bias
              [n_expert]) and the merged experts ffn_gate_exps / ffn_up_exps [dim, ff, n_expert] and ffn_down_exps
              [ff, dim, n_expert], each with a bias [ff or dim, n_expert];
  keys        gpt-oss.expert_feed_forward_length (the expert width; feed_forward_length is written with another value,
              so an engine that reads the wrong key gets the wrong shapes), attention.sliding_window (every other layer
              from layer 0 is a sliding layer: llama.cpp's load_swa_pattern(ml, 2)), attention.key_length 64 with
              dim / heads = 32, GQA 8 / 2, YaRN (rope.scaling.type yarn, factor 4, original context 256, as gpt-oss has
              factor 32 over 4096), an untied output.weight.

The tokenizer is a real byte-level BPE one with the gpt-4o pre-tokenizer (gpt-oss's o200k_harmony uses that
expression): the 256 byte tokens, merges and pieces of tests/CyLlm.Tokenizers.Tests/TestData/bpe/vocab.json (cut from
llama.cpp's Qwen2 test vocabulary), and the harmony special tokens (<|start|>, <|message|>, <|channel|>, <|constrain|>,
<|end|>, <|return|>, <|call|>, ...) as control tokens. tokenizer.chat_template is the real gpt-oss template
(tests/CyLlm.ChatTemplates.Tests/TestData/corpus/openai-gpt-oss-120b.jinja, from llama.cpp's models/templates).
--tokenizer-from is accepted and ignored (the test helper passes it to every generator).

Weights as in gen_moe.py: matrices tile one pool of N(0, 0.02) values from a random chunk offset per tensor; norms are
uniform in [0.5, 1.5]; the router is N(0, 1/sqrt(dim)) so the top-k choice is decisive. Biases are N(0, 0.1) except
the experts' gate and up biases, N(0, 3), so a good share of the gate and up activations lies beyond the clamped
SwiGLU's limit of 7 and the clamp is exercised by the goldens. Sinks are uniform in [-1, 3], so the sink takes a
visible share of each head's attention. Everything is F32 (the quantized copies are made by llama-quantize).
Byte-for-byte reproducible from (window, seed): the tests check the sha256 against TestData/llamacpp/gptoss-tiny.sha256.

  python3 scripts/golden/gen_gptoss.py -o gptoss-tiny-f32.gguf [--window 16]
"""
import argparse
import json
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_qwen3 import pad_to_alignment, write_tiled, ALIGN, GGUF_MAGIC, T_ARRAY, T_STRING, kv_f32, kv_str, kv_u32, next_prime, w_str  # noqa: E402

GGML_F32 = 0
T_INT32, T_BOOL = 5, 7
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VOCAB = os.path.join(ROOT, "tests", "CyLlm.Tokenizers.Tests", "TestData", "bpe", "vocab.json")
TEMPLATE = os.path.join(ROOT, "tests", "CyLlm.ChatTemplates.Tests", "TestData", "corpus", "openai-gpt-oss-120b.jinja")

# o200k_harmony's special tokens in their order there (the reserved ones left out; ids here follow the byte-level
# vocabulary). <|startoftext|> is BOS, <|return|> EOS, <|endoftext|> padding, as in the real GGUF files.
SPECIALS = ["<|startoftext|>", "<|endoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>", "<|end|>",
            "<|message|>", "<|call|>"]

# Seed 13 (the default) gives llama.cpp 23 greedy steps before the first top-2 gap under 0.02 for the golden prompt at
# window 16 (seeds 10, 11 and 12: a near-tie within the first 2 steps).
TINY = dict(dim=256, ff=128, dense_ff=512, n_layers=4, n_heads=8, n_kv_heads=2, head_dim=64, n_expert=16,
            n_expert_used=4, ctx=1024, rope_theta=150000.0, rms_eps=1e-5, yarn_factor=4.0, yarn_orig_ctx=256)


def kv_bool(key, v):
    return w_str(key) + struct.pack("<IB", T_BOOL, 1 if v else 0)


def kv_arr_str(key, vals):
    out = w_str(key) + struct.pack("<IIQ", T_ARRAY, T_STRING, len(vals))
    for v in vals:
        out += w_str(v)
    return out


def kv_arr_i32(key, vals):
    return w_str(key) + struct.pack("<IIQ", T_ARRAY, T_INT32, len(vals)) + struct.pack("<%di" % len(vals), *vals)


def tokenizer_kvs():
    """The tokenizer.* entries and the vocabulary size."""
    with open(VOCAB, encoding="utf-8") as f:
        v = json.load(f)
    # The byte tokens and merge pieces (type 1); the file's own special tokens are replaced by harmony's.
    tokens = [t for t, ty in zip(v["tokens"], v["token_types"]) if ty == 1]
    types = [1] * len(tokens)
    for s in SPECIALS:
        tokens.append(s)
        types.append(3)
    with open(TEMPLATE, encoding="utf-8") as f:
        template = f.read()
    kvs = [
        kv_str("tokenizer.ggml.model", "gpt2"),
        kv_str("tokenizer.ggml.pre", "gpt-4o"),
        kv_arr_str("tokenizer.ggml.tokens", tokens),
        kv_arr_i32("tokenizer.ggml.token_type", types),
        kv_arr_str("tokenizer.ggml.merges", v["merges"]),
        kv_u32("tokenizer.ggml.bos_token_id", tokens.index("<|startoftext|>")),
        kv_u32("tokenizer.ggml.eos_token_id", tokens.index("<|return|>")),
        kv_u32("tokenizer.ggml.padding_token_id", tokens.index("<|endoftext|>")),
        kv_bool("tokenizer.ggml.add_bos_token", False),
        kv_str("tokenizer.chat_template", template),
    ]
    return kvs, len(tokens)


def tensor_list(c, vocab):
    """[(name, ggml dims (ne0 first), kind)] in llama.cpp's order; kind: norm, bias, bigbias, sink, router or matrix."""
    d, ff, hd, e = c["dim"], c["ff"], c["head_dim"], c["n_expert"]
    q, kv = c["n_heads"] * hd, c["n_kv_heads"] * hd
    t = [("token_embd.weight", [d, vocab], "matrix")]
    for i in range(c["n_layers"]):
        p = f"blk.{i}."
        t += [
            (p + "attn_norm.weight", [d], "norm"),
            (p + "attn_q.weight", [d, q], "matrix"),
            (p + "attn_q.bias", [q], "bias"),
            (p + "attn_k.weight", [d, kv], "matrix"),
            (p + "attn_k.bias", [kv], "bias"),
            (p + "attn_v.weight", [d, kv], "matrix"),
            (p + "attn_v.bias", [kv], "bias"),
            (p + "attn_output.weight", [q, d], "matrix"),
            (p + "attn_output.bias", [d], "bias"),
            (p + "attn_sinks.weight", [c["n_heads"]], "sink"),
            (p + "post_attention_norm.weight", [d], "norm"),
            (p + "ffn_gate_inp.weight", [d, e], "router"),
            (p + "ffn_gate_inp.bias", [e], "bias"),
            (p + "ffn_gate_exps.weight", [d, ff, e], "matrix"),
            (p + "ffn_gate_exps.bias", [ff, e], "bigbias"),
            (p + "ffn_up_exps.weight", [d, ff, e], "matrix"),
            (p + "ffn_up_exps.bias", [ff, e], "bigbias"),
            (p + "ffn_down_exps.weight", [ff, d, e], "matrix"),
            (p + "ffn_down_exps.bias", [d, e], "bias"),
        ]
    t.append(("output_norm.weight", [d], "norm"))
    t.append(("output.weight", [d, vocab], "matrix"))
    return t


def generate(c, out_path, window, seed, std=0.02, pool_elems=1 << 20):
    tok, vocab = tokenizer_kvs()
    a = "gpt-oss"
    kvs = [
        kv_str("general.architecture", a),
        kv_str("general.name", "synthetic-gpt-oss-f32"),
        kv_u32("general.file_type", 0),
        kv_u32("general.alignment", ALIGN),
        kv_u32(f"{a}.context_length", c["ctx"]),
        kv_u32(f"{a}.embedding_length", c["dim"]),
        kv_u32(f"{a}.block_count", c["n_layers"]),
        kv_u32(f"{a}.feed_forward_length", c["dense_ff"]),
        kv_u32(f"{a}.expert_feed_forward_length", c["ff"]),
        kv_u32(f"{a}.rope.dimension_count", c["head_dim"]),
        kv_u32(f"{a}.attention.head_count", c["n_heads"]),
        kv_u32(f"{a}.attention.head_count_kv", c["n_kv_heads"]),
        kv_u32(f"{a}.attention.key_length", c["head_dim"]),
        kv_u32(f"{a}.attention.value_length", c["head_dim"]),
        kv_f32(f"{a}.attention.layer_norm_rms_epsilon", c["rms_eps"]),
        kv_u32(f"{a}.attention.sliding_window", window),
        kv_f32(f"{a}.rope.freq_base", c["rope_theta"]),
        kv_str(f"{a}.rope.scaling.type", "yarn"),
        kv_f32(f"{a}.rope.scaling.factor", c["yarn_factor"]),
        kv_u32(f"{a}.rope.scaling.original_context_length", c["yarn_orig_ctx"]),
        kv_u32(f"{a}.expert_count", c["n_expert"]),
        kv_u32(f"{a}.expert_used_count", c["n_expert_used"]),
    ] + tok

    tensors = tensor_list(c, vocab)
    infos, offset = [], 0
    for name, dims, kind in tensors:
        nb = math.prod(dims) * 4
        infos.append((name, dims, offset, nb, kind))
        offset = (offset + nb + ALIGN - 1) // ALIGN * ALIGN

    header = bytearray(GGUF_MAGIC + struct.pack("<IQQ", 3, len(infos), len(kvs)))
    for kv in kvs:
        header += kv
    for name, dims, off, _, _ in infos:
        header += w_str(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
        header += struct.pack("<IQ", GGML_F32, off)
    header += b"\0" * ((-len(header)) % ALIGN)

    rng = random.Random(seed)
    max_rows = max(math.prod(dims) // dims[0] for _, dims, kind in tensors if kind == "matrix")
    chunks = next_prime(max(pool_elems // 32, max_rows + 1))
    vals = [rng.gauss(0.0, std) for _ in range(chunks * 32)]
    pool = struct.pack("<%df" % len(vals), *vals)
    pool2 = pool + pool
    router_std = 1.0 / math.sqrt(c["dim"])

    tmp = out_path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(header)
        pos = 0
        for name, dims, off, nb, kind in infos:
            assert pos == off, (name, pos, off)
            n = nb // 4
            if kind == "norm":
                f.write(struct.pack("<%df" % n, *[rng.uniform(0.5, 1.5) for _ in range(n)]))
            elif kind == "bias":
                f.write(struct.pack("<%df" % n, *[rng.gauss(0.0, 0.1) for _ in range(n)]))
            elif kind == "bigbias":
                f.write(struct.pack("<%df" % n, *[rng.gauss(0.0, 3.0) for _ in range(n)]))
            elif kind == "sink":
                f.write(struct.pack("<%df" % n, *[rng.uniform(-1.0, 3.0) for _ in range(n)]))
            elif kind == "router":
                f.write(struct.pack("<%df" % n, *[rng.gauss(0.0, router_std) for _ in range(n)]))
            else:
                write_tiled(f, pool2, len(pool), rng.randrange(chunks) * 128, nb)
            pos = pad_to_alignment(f, off + nb)
    os.replace(tmp, out_path)
    print(f"wrote {out_path}: {os.path.getsize(out_path)} bytes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=int, default=16, help="attention.sliding_window (default 16)")
    ap.add_argument("--seed", type=int, default=13, help="weights seed (default 13)")
    ap.add_argument("--tokenizer-from", help="ignored: the tokenizer is built in (see above)")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    generate(dict(TINY), args.out, args.window, args.seed)


if __name__ == "__main__":
    main()
