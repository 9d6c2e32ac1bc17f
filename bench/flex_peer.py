#!/usr/bin/env python3
"""flex_peer.py - attnc's GPU attention forward next to FlexAttention and SDPA.

Rows: variant x D x S with bf16 q/k/v [B, H, S, D], B*S = 16384, H*D = 2048:
  none, causal, sliding_window (q - kv < 1024, causal), document (packed
  documents of random lengths, same-document attention, not causal),
  softcap (50 * tanh(s / 50)), alibi (s + slope_h * (kv - q)).
Peers: torch.nn.attention.flex_attention compiled with torch.compile (same
masks as mask_mods with create_block_mask, same score mods), and
F.scaled_dot_product_attention for none / causal. attnc: the carried PTX
launched through the runtime by attn_gpu_bench (tests/cuda/attn_gpu_bench.c).

Timing: CUDA events around each call after warm-up, the median.
FLOPs (the FlashAttention convention): 4*B*H*S*S*D for dense rows, half of
that for causal; sliding_window and document count 4*B*H*D per visible
(q, kv) pair. The same count is used for every column, so the ratio
attnc/flex is a ratio of times.

Usage: flex_peer.py --bench BIN --ptx-dir DIR [--budget SECONDS]
Prints ONE table at the end (also on SIGTERM, with what was measured).
"""
import argparse
import random
import signal
import statistics
import subprocess
import sys
import time

VARIANTS = ["none", "causal", "sliding_window", "document", "softcap", "alibi"]
WINDOW, CAP, TOKENS, HIDDEN = 1024, 50.0, 16384, 2048
# attnc launcher variant names (the test hooks of tests/emu/emu_hooks.c).
ATTNC = {"none": "none", "causal": "causal", "sliding_window": "window",
         "document": "docs", "softcap": "softcap"}


def doc_lengths(S):
    """Random document lengths summing to S (seeded, same for every peer)."""
    rng = random.Random(S)
    n = max(2, S // 512)
    cuts = sorted(rng.sample(range(1, S), n - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [S])]


def visible_pairs(variant, S):
    """Visible (q, kv) pairs of one head."""
    if variant == "causal":
        return S * S / 2  # the FlashAttention convention
    if variant == "sliding_window":
        w = min(WINDOW, S)
        return w * (w + 1) / 2 + (S - w) * w
    if variant == "document":
        return sum(n * n for n in doc_lengths(S))
    return S * S


def show(rows):
    """Prints the table of all rows (unmeasured cells say why)."""
    head = ("variant", "D", "S", "attnc TF/s", "flex TF/s", "sdpa TF/s", "attnc/flex")
    print("\n%-15s %4s %6s %16s %16s %16s %10s" % head)
    for r in rows:
        ratio = "-"
        if isinstance(r["attnc"], float) and isinstance(r["flex"], float):
            ratio = "%.2f" % (r["attnc"] / r["flex"])
        cells = [("%.1f" % r[k]) if isinstance(r[k], float) else r[k]
                 for k in ("attnc", "flex", "sdpa")]
        print("%-15s %4d %6d %16s %16s %16s %10s" % (r["variant"], r["D"], r["S"], *cells, ratio))
    print("FLOPs: 4*B*H*S*S*D dense, /2 causal, 4*B*H*D*visible pairs for window/document;"
          " bf16, B*S = %d, H*D = %d" % (TOKENS, HIDDEN), flush=True)


def run_attnc(args, variant, D, S, B, H, deadline):
    if variant not in ATTNC:
        return "n/a (no hooks)"
    left = deadline - time.time()
    if left < 5:
        return "skip (time)"
    param = {"sliding_window": str(WINDOW), "softcap": str(CAP),
             "document": ",".join(map(str, doc_lengths(S)))}.get(variant, "")
    ptx = "%s/attn_fwd_gpu_bf16_d%d.ptx" % (args.ptx_dir, D)
    cmd = [args.bench, ptx, "emu_attn_fwd_gpu", str(D), str(S), str(B), str(H), ATTNC[variant]]
    cmd += [param] if param else []
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=min(60, left))
    except (OSError, subprocess.TimeoutExpired) as e:
        return "fail (%s)" % type(e).__name__
    for line in p.stdout.splitlines():
        if line.startswith("attnc_ms "):
            return float(line.split()[1])
    print("  attnc %s D=%d S=%d: rc %d %s" % (variant, D, S, p.returncode, p.stderr.strip()),
          file=sys.stderr)
    return "skip (no GPU)" if p.returncode == 77 else "fail (rc %d)" % p.returncode


def time_ms(torch, fn, warmup=3, iters=10):
    """Median milliseconds of fn() over iters calls, each timed by CUDA events."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def make_mods(torch, variant, S, H):
    """(score_mod, mask_mod) for flex_attention."""
    if variant == "causal":
        return None, lambda b, h, q, kv: q >= kv
    if variant == "sliding_window":
        return None, lambda b, h, q, kv: (q >= kv) & (q - kv < WINDOW)
    if variant == "document":
        doc = torch.repeat_interleave(torch.arange(len(doc_lengths(S)), device="cuda"),
                                      torch.tensor(doc_lengths(S), device="cuda"))
        return None, lambda b, h, q, kv: doc[q] == doc[kv]
    if variant == "softcap":
        return (lambda s, b, h, q, kv: CAP * torch.tanh(s / CAP)), None
    if variant == "alibi":
        slopes = torch.tensor([2.0 ** (-8.0 * (i + 1) / H) for i in range(H)], device="cuda")
        return (lambda s, b, h, q, kv: s + slopes[h] * (kv - q)), None
    return None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="attn_gpu_bench binary")
    ap.add_argument("--ptx-dir", required=True, help="directory of attn_fwd_gpu_bf16_d*.ptx")
    ap.add_argument("--budget", type=float, default=280, help="seconds for everything")
    args = ap.parse_args()
    t0 = time.time()
    deadline = t0 + args.budget
    configs = [(v, D, S) for D in (128, 64) for S in (4096, 1024, 16384) for v in VARIANTS]
    rows = {}

    def on_term(signum, frame):
        show(rows.values())
        sys.exit(124)
    signal.signal(signal.SIGTERM, on_term)

    for v, D, S in configs:
        B, H = TOKENS // S, HIDDEN // D
        rows[(v, D, S)] = {"variant": v, "D": D, "S": S, "attnc": "skip (time)",
                           "flex": "skip (time)", "sdpa": "-"}
        # attnc first: cheap, and it must not wait behind flex compilation.
        ms = run_attnc(args, v, D, S, B, H, t0 + 0.3 * args.budget)
        flops = 4.0 * B * H * D * visible_pairs(v, S)
        rows[(v, D, S)]["attnc"] = flops / ms / 1e9 if isinstance(ms, float) else ms

    try:
        import torch
        import torch.nn.functional as F
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        if not torch.cuda.is_available():
            raise RuntimeError("torch sees no CUDA device")
    except Exception as e:  # no torch / no GPU: the attnc columns still print
        for r in rows.values():
            r["flex"] = r["sdpa"] = "n/a (%s)" % (
                "no torch" if isinstance(e, ImportError) else "no GPU")
        print("torch unavailable: %s" % e, file=sys.stderr)
        show(rows.values())
        return 0

    for name in ("cache_size_limit", "recompile_limit", "accumulated_cache_size_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, 1024)
    flex = torch.compile(flex_attention, dynamic=False)
    for v, D, S in configs:
        r = rows[(v, D, S)]
        B, H = TOKENS // S, HIDDEN // D
        flops = 4.0 * B * H * D * visible_pairs(v, S)
        q, k, w = (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        if v in ("none", "causal") and time.time() < deadline:
            ms = time_ms(torch, lambda: F.scaled_dot_product_attention(q, k, w,
                                                                      is_causal=v == "causal"))
            r["sdpa"] = flops / ms / 1e9
        if time.time() < deadline - 10:
            try:
                score_mod, mask_mod = make_mods(torch, v, S, H)
                bm = (create_block_mask(mask_mod, None, None, S, S, device="cuda")
                      if mask_mod else None)
                ms = time_ms(torch, lambda: flex(q, k, w, score_mod=score_mod, block_mask=bm))
                r["flex"] = flops / ms / 1e9
            except Exception as e:
                r["flex"] = "fail (%s)" % type(e).__name__
                print("  flex %s D=%d S=%d: %s" % (v, D, S, e), file=sys.stderr)
        print("  measured:", r, file=sys.stderr, flush=True)
        del q, k, w
    show(rows.values())
    return 0


if __name__ == "__main__":
    sys.exit(main())
