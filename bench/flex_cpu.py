#!/usr/bin/env python3
"""flex_cpu.py - torch's FlexAttention on the CPU next to attnc's compiled variants.

Rows: the table of bench_variants (bench/bench_variants.c): f32 q/k/v
[1, 8, L, D], D in {64, 128}, L in {512, 2048, 8192} (+ 4096 for none and
causal at D = 128), variants
  none, causal, window (causal, q - kv <= 256), documents (causal inside
  packed documents whose lengths cycle 1000, 300, 2000, 700), softcap
  (30 * tanh(s / 30)).
flex: torch.nn.attention.flex_attention under torch.compile, masks as Python
mask_mods through create_block_mask, the soft-cap as a score_mod,
torch.set_num_threads(2); the median of --reps calls after two warm-up calls.
attnc: the rows of `bench_variants --csv` (run here with --bench BIN, or read
from --attnc-csv FILE). GFLOP/s count 4*D*H per visible (q, kv) pair for
both; "speed-up" is flex time / attnc time (> 1: attnc ahead).

Usage: flex_cpu.py [--bench BIN | --attnc-csv FILE] [--quick] [--reps N]
torch is not a dependency of the build or the tests.
"""
import argparse
import statistics
import subprocess
import sys
import time

import torch
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

H, WINDOW, CAP, DOC_LENS = 8, 256, 30.0, (1000, 300, 2000, 700)
VARIANTS = ["none", "causal", "window", "documents", "softcap"]


def rows(quick):
    """(variant, D, L) in bench_variants' table order."""
    for v in VARIANTS:
        for d in (64, 128):
            for length in (512, 2048, 4096, 8192):
                headline = d == 128 and v in ("none", "causal")
                if (length == 4096 and not headline) or (quick and length > 2048):
                    continue
                yield v, d, length


def documents(length):
    """Document id of every token (lengths cycle DOC_LENS, the last one cut)."""
    ids, pos, i = [], 0, 0
    while pos < length:
        n = min(DOC_LENS[i % 4], length - pos)
        ids += [i] * n
        pos, i = pos + n, i + 1
    return torch.tensor(ids, dtype=torch.int32)


def visible_pairs(variant, length):
    if variant in ("none", "softcap"):
        return length * length
    if variant == "causal":
        return length * (length + 1) // 2
    if variant == "window":
        return sum(min(q, WINDOW) + 1 for q in range(length))
    sizes = torch.bincount(documents(length)).tolist()
    return sum(n * (n + 1) // 2 for n in sizes)


def mods(variant, length):
    """(mask_mod or None, score_mod or None) of a variant."""
    def causal(b, h, q, kv):
        return kv <= q

    def window(b, h, q, kv):
        return (kv <= q) & (q - kv <= WINDOW)

    doc = documents(length)

    def packed_causal(b, h, q, kv):
        return (kv <= q) & (doc[q] == doc[kv])

    def softcap(score, b, h, q, kv):
        return CAP * torch.tanh(score / CAP)

    return {"none": (None, None), "causal": (causal, None), "window": (window, None),
            "documents": (packed_causal, None), "softcap": (None, softcap)}[variant]


def time_flex(fn, variant, d, length, reps):
    """Median seconds of the compiled flex_attention on one row."""
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.rand(1, H, length, d, generator=gen) * 2 - 1 for _ in range(3))
    mask_mod, score_mod = mods(variant, length)
    block_mask = (create_block_mask(mask_mod, None, None, length, length, device="cpu")
                  if mask_mod else None)
    with torch.no_grad():
        for _ in range(2):
            fn(q, k, v, score_mod=score_mod, block_mask=block_mask)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn(q, k, v, score_mod=score_mod, block_mask=block_mask)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def attnc_rows(args):
    """{(variant, D, L): attnc ms} from bench_variants --csv."""
    if args.attnc_csv:
        with open(args.attnc_csv) as f:
            text = f.read()
    else:
        cmd = [args.bench, "--csv"] + (["--quick"] if args.quick else [])
        text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        f = line.split(",")
        if f[0] == "row":
            out[(f[1], int(f[2]), int(f[3]))] = float(f[4])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--bench", help="the bench_variants binary (run with --csv)")
    src.add_argument("--attnc-csv", help="saved output of bench_variants --csv")
    ap.add_argument("--quick", action="store_true", help="L <= 2048 only")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(2)
    attnc = attnc_rows(args)
    fn = torch.compile(flex_attention)
    print(f"torch {torch.__version__}, flex_attention under torch.compile on the CPU, f32, "
          f"B=1 H={H}, {torch.get_num_threads()} threads; speed-up = flex ms / attnc ms")
    print(f"{'variant':<10} {'D':>4} {'Q=KV':>6} {'flex ms':>10} {'GFLOP/s':>9} "
          f"{'attnc ms':>10} {'GFLOP/s':>9} {'speed-up':>9}")
    for variant, d, length in rows(args.quick):
        flops = 4.0 * H * d * visible_pairs(variant, length)
        tf = time_flex(fn, variant, d, length, args.reps)
        ta = attnc.get((variant, d, length))
        attnc_cols = (f"{ta:10.2f} {flops / ta * 1e-6:9.1f} {tf * 1e3 / ta:8.2f}x" if ta
                      else f"{'-':>10} {'-':>9} {'-':>9}")
        print(f"{variant:<10} {d:4d} {length:6d} {tf * 1e3:10.2f} {flops / tf * 1e-9:9.1f} "
              f"{attnc_cols}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
