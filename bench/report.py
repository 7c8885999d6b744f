#!/usr/bin/env python3
"""Turns the JSONL of bench/compare.sh into the markdown table of docs/benchmarks.md.
   python3 bench/report.py results.jsonl"""
import json, sys

rows, membw = [], None
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    d = json.loads(line)
    if d.get("kind") == "membw":
        membw = d["result"]
    elif d.get("kind") == "ratio":
        rows.append(d)

print("| model | pp CyLlm | pp llama.cpp | pp ratio | tg CyLlm | tg llama.cpp | tg ratio | tg floor | file MB | peak RSS MB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
bw = (membw or {}).get("read_2t_GBps") or 0
for r in rows:
    floor = bw * 1e9 / r["file_bytes"] if bw else 0
    print(f"| {r['model']} | {r['pp_cyllm']:.0f} | {r['pp_llamacpp']:.0f} | {r['pp_ratio']:.2f} | {r['tg_cyllm']:.1f} | {r['tg_llamacpp']:.1f} | "
          f"{r['tg_ratio']:.2f} | {floor:.0f} | {r['file_bytes'] / 1e6:.0f} | {r['peak_rss'] / 1e6:.0f} |")
if membw:
    print(f"\nMemory bandwidth in the same run (../shared/peer/membw, 2 threads): read {membw['read_2t_GBps']} GB/s, copy {membw['copy_2t_GBps']} GB/s.")
