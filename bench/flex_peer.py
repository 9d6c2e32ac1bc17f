#!/usr/bin/env python3
"""flex_peer.py - attnc's GPU attention forward next to FlexAttention and SDPA.

Rows: variant x D x S with bf16 q/k/v [B, H, S, D], B*S = 16384, H*D = 2048:
  none, causal, sliding_window (q - kv < 1024, causal), document (packed
  documents of random lengths, same-document attention, not causal),
  softcap (50 * tanh(s / 50)), alibi (s + slope_h * (kv - q)).
Peers: torch.nn.attention.flex_attention compiled with torch.compile (same
masks as mask_mods with create_block_mask, same score mods), and
F.scaled_dot_product_attention for none / causal. attnc: the variants of
bench/variants.attn compiled by attnc to PTX (carried), all rows timed in
one gpu_bench process (tests/gpu/gpu_bench.c: attn_time_gpu, parameters
-- window, cap, pack offsets, ALiBi slopes -- passed in the kernels'
attn_ctx.params slots on the device).

Timing: CUDA events around each call after warm-up, the median.
FLOPs (the FlashAttention convention): 4*B*H*S*S*D for dense rows, half of
that for causal; sliding_window and document count 4*B*H*D per visible
(q, kv) pair. The same count is used for every column, so the ratio
attnc/flex is a ratio of times.

Extra attnc-only rows time the other head dims, D in {32, 96, 256}, at
S = 4096 (no flex column: outside the grid above), and document_ids at
D in {128, 64}, S in {4096, 16384}: the documents of the document rows given
as an id per position (mask doc[q] == doc[kv]), which the analysis cannot
bound, so the launch builds a BlockMask on the GPU (once, before the timed
launches) and the kernel walks it; its flex column is the document row's
(the same mask, also through a BlockMask).

Alternate tile shapes (--alt NAME=BIN:STEM, repeatable: gpu_bench and PTX of
a build with other tile shapes, bench/device-prep.sh): right after the
default attnc rows, the rows at D in {128, 64} and S = 16384 are timed
again with each, and a second table puts them next to the default.

Usage: flex_peer.py --bench BIN --ptx STEM [--alt NAME=BIN:STEM]...
                    [--budget SECONDS] [--raw FILE]
       flex_peer.py --warm I/N      (compile flex for every N-th config from
                                     the I-th and run it once: fills the
                                     Inductor/Triton caches on disk, so that
                                     N such processes in parallel shorten the
                                     timed run's compilation)
       flex_peer.py --print-rows    (the attnc rows, as gpu_bench reads them)
--raw FILE keeps gpu_bench's own output (FILE.NAME an alternate's). Prints ONE table at the end (also
on SIGTERM, with what was measured), then the attnc kernels' registers,
local memory and CTAs per SM as the driver compiled them.
"""
import argparse
import collections
import random
import signal
import statistics
import subprocess
import sys
import time

VARIANTS = ["none", "causal", "sliding_window", "document", "softcap", "alibi"]
WINDOW, CAP, TOKENS, HIDDEN = 1024, 50.0, 16384, 2048
# The variants of bench/variants.attn.
ATTNC = {"none": "plain", "causal": "causal_attention", "sliding_window": "sliding_window_causal",
         "document": "packed_documents", "softcap": "softcap_attention",
         "alibi": "alibi_attention", "document_ids": "document_ids"}

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
    if variant in ("document", "document_ids"):
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


def alibi_slopes(H):
    """ALiBi slopes 2^(-8 (h + 1) / H), the same for every peer."""
    return [2.0 ** (-8.0 * (i + 1) / H) for i in range(H)]


def attnc_row(variant, D, S, B, H):
    """One gpu_bench stdin line: VARIANT D S B H [NAME=VALUE]..."""
    param = {"sliding_window": "w=%d" % (WINDOW - 1),  # q - kv <= w
             "softcap": "cap=%g" % CAP,
             "document": "docs=" + ",".join(map(str, doc_lengths(S))),
             "document_ids": "doc=" + ",".join(str(i) for i, n in enumerate(doc_lengths(S))
                                               for _ in range(n)),
             "alibi": "slopes=" + ",".join("%.9g" % x for x in alibi_slopes(H))}.get(variant)
    return " ".join([ATTNC[variant], str(D), str(S), str(B), str(H)] + ([param] if param else []))


def run_attnc(bench, ptx, raw, configs, timeout):
    """({(variant, D, S): ms or reason} for all configs, {(variant, D): (registers,
    local bytes, CTAs per SM)} of the kernels as the driver compiled them), one
    gpu_bench process: BENCH PTX_STEM (its output also to RAW when given)."""
    rows = {attnc_row(v, D, S, TOKENS // S, HIDDEN // D): (v, D, S) for v, D, S in configs}
    cmd = [bench, ptx]
    try:
        p = subprocess.run(cmd, input="\n".join(rows) + "\n", capture_output=True, text=True,
                           timeout=timeout)
        out, rc, err = p.stdout, p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        out, rc, err = e.stdout or "", "timeout", ""
        out = out.decode() if isinstance(out, bytes) else out
    except OSError as e:
        return {c: "fail (%s)" % type(e).__name__ for c in rows.values()}, {}
    if raw:
        with open(raw, "w") as f:
            f.write("rc %s\n-- stdin\n%s\n-- stdout\n%s-- stderr\n%s" % (rc, "\n".join(rows), out, err))
    name = {ATTNC[v]: v for v in ATTNC}
    got, kernels = {}, {}
    for line in out.splitlines():
        w = line.split(None, 4)
        if len(w) == 5 and w[0] == "attnc_kernel" and w[1] in name:
            kernels[(name[w[1]], int(w[2]))] = tuple(map(int, line.split()[3:6]))
            continue
        if len(w) >= 4 and w[0] in ("attnc_ms", "attnc_fail") and w[1] in name:
            key = (name[w[1]], int(w[2]), int(w[3]))
            got[key] = float(w[4]) if w[0] == "attnc_ms" else "fail"
            if w[0] == "attnc_fail":
                print("  attnc %s D=%s S=%s: %s" % (w[1], w[2], w[3], w[4] if len(w) > 4 else ""),
                      file=sys.stderr)
    if err.strip():
        print("  gpu_bench: rc %s %s" % (rc, err.strip()), file=sys.stderr)
    missing = "skip (no GPU)" if rc == 77 else "skip (time)" if rc == "timeout" else "fail (rc %s)" % rc
    return {c: got.get(c, missing) for c in rows.values()}, kernels


def show_kernels(kernels, shape="default"):
    """The attnc kernels (of tile shape SHAPE) as the driver compiled them for this GPU."""
    if not kernels:
        return
    print("\nattnc kernels on this device (bf16, %s tile shape): registers / local bytes per"
          " thread, CTAs per SM" % shape)
    for (v, D), (regs, local, ctas) in sorted(kernels.items()):
        print("  %-15s D=%-4d %4d regs %5d B local %3d CTAs/SM" % (v, D, regs, local, ctas))


def show_shapes(rows, alts):
    """The attnc rows timed with every tile shape: TF/s, and each alternate's
    ratio to the default."""
    if not alts:
        return
    names = [a[0] for a in alts]
    print("\n%-15s %4s %6s %12s" % ("variant", "D", "S", "default") +
          "".join(" %12s %8s" % (n, n + "/def") for n in names))
    for r in rows:
        cells = [r["attnc"]] + [r["alt"][n] for n in names]
        line = "%-15s %4d %6d" % (r["variant"], r["D"], r["S"])
        line += " %12s" % (("%.1f" % cells[0]) if isinstance(cells[0], float) else cells[0])
        for c in cells[1:]:
            ratio = "%.2f" % (c / cells[0]) if isinstance(c, float) and isinstance(cells[0], float) else "-"
            line += " %12s %8s" % (("%.1f" % c) if isinstance(c, float) else c, ratio)
        print(line)
    print("TF/s of the attnc kernels by tile shape (kernels/attn_abi.h, \"Tile shapes\");"
          " alternates: " + ", ".join("%s = %s" % (a[0], a[1]) for a in alts), flush=True)


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
        slopes = torch.tensor(alibi_slopes(H), device="cuda")
        return (lambda s, b, h, q, kv: s + slopes[h] * (kv - q)), None
    return None, None


# torch, torch.nn.functional, compiled flex_attention, create_block_mask.
Peer = collections.namedtuple("Peer", "torch F flex create_block_mask")


def load_torch():
    """A Peer, flex compiled once; raises without torch or a GPU."""
    import torch
    import torch.nn.functional as F
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    if not torch.cuda.is_available():
        raise RuntimeError("torch sees no CUDA device")
    for name in ("cache_size_limit", "recompile_limit", "accumulated_cache_size_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, 1024)
    return Peer(torch, F, torch.compile(flex_attention, dynamic=False), create_block_mask)


def flex_call(peer, v, S, H, q, k, w):
    """A no-argument call of compiled flex_attention for variant v on q, k, w."""
    score_mod, mask_mod = make_mods(peer.torch, v, S, H)
    bm = peer.create_block_mask(mask_mod, None, None, S, S, device="cuda") if mask_mod else None
    return lambda: peer.flex(q, k, w, score_mod=score_mod, block_mask=bm)


def random_qkv(torch, D, S):
    """Fresh bf16 q, k, v [B, H, S, D] of the grid (B*S = TOKENS, H*D = HIDDEN)."""
    B, H = TOKENS // S, HIDDEN // D
    return (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))


def warm(shard, configs):
    """--warm I/N: compiles and runs flex once for configs[I::N]; 1 without torch or a GPU."""
    i, n = map(int, shard.split("/"))
    try:
        peer = load_torch()
    except Exception as e:
        print("warm: torch unavailable: %s" % e, flush=True)
        return 1
    for v, D, S in configs[i::n]:
        t = time.time()
        try:
            q, k, w = random_qkv(peer.torch, D, S)
            flex_call(peer, v, S, HIDDEN // D, q, k, w)()
            peer.torch.cuda.synchronize()
            print("warm %s D=%d S=%d: %.1f s" % (v, D, S, time.time() - t), flush=True)
        except Exception as e:
            print("warm %s D=%d S=%d: %s" % (v, D, S, e), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", help="gpu_bench binary")
    ap.add_argument("--ptx", help="PTX stem (STEM.sm_80.ptx, STEM.sm_90a.ptx)")
    ap.add_argument("--budget", type=float, default=280, help="seconds for everything")
    ap.add_argument("--print-rows", action="store_true", help="print the attnc rows and exit")
    ap.add_argument("--warm", metavar="I/N", help="compile and run flex for configs[I::N], then exit")
    ap.add_argument("--raw", metavar="FILE", help="write gpu_bench's output to FILE")
    ap.add_argument("--alt", action="append", default=[], metavar="NAME=BIN:STEM",
                    help="an alternate tile shape's gpu_bench and PTX stem")
    args = ap.parse_args()
    alts = []
    for a in args.alt:
        name, _, rest = a.partition("=")
        bench, _, stem = rest.partition(":")
        if not name or not bench or not stem:
            ap.error("--alt %r: expected NAME=BIN:STEM" % a)
        alts.append((name, bench, stem))
    configs = [(v, D, S) for D in (128, 64) for S in (4096, 1024, 16384) for v in VARIANTS]
    extra = [(v, D, 4096) for D in (256, 96, 32) for v in ("none", "causal")]
    extra += [("document_ids", D, S) for D in (128, 64) for S in (4096, 16384)]
    if args.print_rows:
        print("\n".join(attnc_row(v, D, S, TOKENS // S, HIDDEN // D)
                        for v, D, S in configs + extra))
        return 0
    if args.warm:
        return warm(args.warm, configs)
    if not args.bench or not args.ptx:
        ap.error("--bench and --ptx are required")
    t0 = time.time()
    deadline = t0 + args.budget
    rows = {}

    def on_term(signum, frame):
        show(rows.values())
        show_shapes([r for r in rows.values() if "alt" in r], alts)
        sys.exit(124)
    signal.signal(signal.SIGTERM, on_term)

    for v, D, S in configs + extra:
        rows[(v, D, S)] = {"variant": v, "D": D, "S": S, "attnc": "skip (time)",
                           "flex": "skip (time)" if (v, D, S) in configs else "-", "sdpa": "-"}
    def tflops(v, D, S, ms):
        """TF/s of a row timed at MS milliseconds (else the reason it was not)."""
        B, H = TOKENS // S, HIDDEN // D
        return 4.0 * B * H * D * visible_pairs(v, S) / ms / 1e9 if isinstance(ms, float) else ms

    # attnc first: one process (one PTX JIT), and it must not wait behind flex compilation.
    times, kernels = run_attnc(args.bench, args.ptx, args.raw, configs + extra, 0.35 * args.budget)
    for (v, D, S), ms in times.items():
        rows[(v, D, S)]["attnc"] = tflops(v, D, S, ms)
    # The alternate tile shapes right after, on the same warm GPU.
    shape_rows = [c for c in configs + extra if c[1] in (128, 64) and c[2] == 16384]
    alt_kernels = {}
    for name, bench, stem in alts:
        timeout = min(0.15 * args.budget, deadline - time.time() - 0.4 * args.budget)
        got = {c: "skip (time)" for c in shape_rows}
        if timeout > 5:
            got, alt_kernels[name] = run_attnc(bench, stem, args.raw and args.raw + "." + name,
                                               shape_rows, timeout)
        for (v, D, S), ms in got.items():
            rows[(v, D, S)].setdefault("alt", {})[name] = tflops(v, D, S, ms)

    def report():
        """The tables and the kernels of every tile shape."""
        show(rows.values())
        show_shapes([r for r in rows.values() if "alt" in r], alts)
        show_kernels(kernels)
        for name, k in alt_kernels.items():
            show_kernels(k, name)

    try:
        peer = load_torch()
    except Exception as e:  # no torch / no GPU: the attnc columns still print
        for r in (rows[c] for c in configs):
            r["flex"] = r["sdpa"] = "n/a (%s)" % (
                "no torch" if isinstance(e, ImportError) else "no GPU")
        print("torch unavailable: %s" % e, file=sys.stderr)
        report()
        return 0

    torch, F = peer.torch, peer.F
    for v, D, S in configs:
        r = rows[(v, D, S)]
        H = HIDDEN // D
        q, k, w = random_qkv(torch, D, S)
        if v in ("none", "causal") and time.time() < deadline:
            ms = time_ms(torch, lambda: F.scaled_dot_product_attention(q, k, w,
                                                                      is_causal=v == "causal"))
            r["sdpa"] = tflops(v, D, S, ms)
        if time.time() < deadline - 10:
            try:
                ms = time_ms(torch, flex_call(peer, v, S, H, q, k, w))
                r["flex"] = tflops(v, D, S, ms)
            except Exception as e:
                r["flex"] = "fail (%s)" % type(e).__name__
                print("  flex %s D=%d S=%d: %s" % (v, D, S, e), file=sys.stderr)
        print("  measured:", r, file=sys.stderr, flush=True)
        del q, k, w
    for v, D, S in extra:
        if v == "document_ids":
            rows[(v, D, S)]["flex"] = rows[("document", D, S)]["flex"]
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
