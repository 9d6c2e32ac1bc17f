#!/usr/bin/env bash
# device-check.sh - the one-call GPU check, run from the repository root of
# a copied tree on the GPU machine (H200; cmake/ctest, python3 with torch +
# Triton; no LLVM, no network), in under 6 minutes (15 s + 150 s + 20 s + 200 s):
#   1. nvidia-smi: the device, driver, clocks;
#   2. the gpu-labelled tests, 4 at a time: ctest --test-dir build-device -L gpu -j4
#      (cuda.basic: hand-written PTX, launch, shared memory opt-in, module
#      cache, JIT log; cuda.wgmma: the wgmma layouts of the wgmma path, case
#      by case; gpu.cuda: the attnc-compiled variants of
#      bench/variants.attn through attn_forward_gpu against the reference
#      interpreter, and BlockMask launches against the CPU kernel;
#      blockmask.gpu.cuda; cuda.unavailable: the message without a driver). Meanwhile, in the background, WARM_SHARDS
#      processes of `flex_peer.py --warm` compile FlexAttention for every
#      row, filling the on-disk Inductor/Triton caches (they use the GPU
#      only for one call per row, and stop before the benchmark starts);
#   3. bench/flex_peer.py: attnc (gpu_bench: attnc PTX through attn_time_gpu)
#      vs FlexAttention (torch.compile) vs SDPA, bf16, B*S = 16k,
#      H*D = 2048, D in {64, 128}, S in {1k, 4k, 16k}: ONE table; then the
#      attnc rows at S 16k again with each alternate tile shape that
#      device-prep.sh built (build-device/alt/NAME: gpu_bench and gzip'ed
#      PTX), timed right after the default, next to it.
#   Between 2 and 3, bench_launch: the host time of one stub launch with
#   device tensors, through the module memo and by PTX text.
#
# Prebuilt on the dev machine by bench/device-prep.sh and carried
# (git-ignored): build-device/ (bin/, ptx/, attn/, CTestTestfile.cmake.in). So,
# from the session: bench/device-prep.sh here, then
#   run(command="bench/device-check.sh --log-dir $OUT", carry=["build-device"], timeout_s=420)
#
#   bench/device-check.sh [--dry-run] [--log-dir DIR]
# --dry-run (any machine): checks the carried files, that the programs start
# (exit 77 = skipped without a driver), that flex_peer.py compiles, and
# prints what the GPU run would execute.
# --log-dir DIR: full logs there (nvidia-smi.txt, ctest.log, warm.log,
# bench.log, gpu_bench.txt, launch.txt); the console keeps the table.
set -uo pipefail
cd "$(dirname "$0")/.."
dev=build-device
dry=0
logs=$(mktemp -d)
while (($#)); do
  case $1 in
    --dry-run) dry=1 ;;
    --log-dir) logs=${2:?--log-dir needs a directory}; shift ;;
    *) echo "usage: $0 [--dry-run] [--log-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$logs"
warm_shards=${WARM_SHARDS:-6}

say() { printf '\n== %s\n' "$*"; }
# step SECONDS CMD...: runs CMD with a time limit (or prints it when dry).
step() {
  local limit=$1
  shift
  if ((dry)); then
    printf 'would run (limit %ss): %s\n' "$limit" "$*"
    return 0
  fi
  timeout --signal=TERM --kill-after=10 "$limit" "$@"
  local rc=$?
  ((rc == 124)) && echo "(stopped after ${limit}s)"
  return $rc
}

say "carried files"
missing=0
for f in $dev/CTestTestfile.cmake.in $dev/bin/test_gpu_cuda $dev/bin/gpu_bench \
         $dev/bin/test_cuda_basic $dev/bin/test_cuda_unavailable $dev/bin/test_blockmask_cuda \
         $dev/bin/bench_launch $dev/bin/test_cuda_wgmma $dev/ptx/wgmma_probe.sm_90a.ptx \
         $dev/ptx/bench_variants.sm_80.ptx $dev/ptx/bench_variants.sm_90a.ptx \
         $dev/attn/variants.attn $dev/attn/stdlib/std/masks.attn; do
  if [[ -e $f ]]; then echo "ok       $f"; else echo "MISSING  $f"; missing=1; fi
done
((missing)) && echo "missing files: run bench/device-prep.sh on the dev machine and carry $dev/"
((missing)) || sed "s|@DEV@|$PWD/$dev|g" $dev/CTestTestfile.cmake.in >$dev/CTestTestfile.cmake
# The alternate tile shapes: optional (their rows are left out when absent),
# in device-prep.sh's order (the budget may not reach the last).
alts=()
for name in $(cat $dev/alt/order 2>/dev/null); do
  a=$dev/alt/$name ok=1
  for f in $a/gpu_bench $a/test_gpu_cuda $a/bench_variants.sm_80.ptx.gz \
           $a/bench_variants.sm_90a.ptx.gz; do
    [[ -e $f ]] || { echo "MISSING  $f (alternate ${a##*/} left out)"; ok=0; }
  done
  ((ok)) || continue
  # unpacked only for the GPU run: the dry run leaves the carried tree small
  if ((dry)); then gzip -t $a/*.ptx.gz; else gzip -dkf $a/*.ptx.gz; fi &&
    alts+=(--alt "${a##*/}=$a/gpu_bench:$a/bench_variants") &&
    echo "ok       $a (alternate tile shape: $(cat $a/tile 2>/dev/null))"
done

say "python"
if python3 -m py_compile bench/flex_peer.py; then echo "ok       bench/flex_peer.py compiles"
else echo "FAIL     bench/flex_peer.py does not compile"; missing=1; fi

if ((dry)); then
  say "programs start (exit 77 = no driver here)"
  if [[ -x $dev/bin/gpu_bench ]]; then
    out=$(echo "plain 64 1024 1 1" | $dev/bin/gpu_bench $dev/ptx/bench_variants 2>&1); rc=$?
    echo "rc $rc   gpu_bench: ${out%%$'\n'*}"
    out=$(ATTN_STDLIB=$dev/attn/stdlib $dev/bin/test_gpu_cuda $dev/attn/variants.attn \
          $dev/ptx/bench_variants 2>&1); rc=$?
    echo "rc $rc   test_gpu_cuda: ${out%%$'\n'*}"
  fi
  say "the attnc rows flex_peer.py would time (stdin of gpu_bench)"
  python3 bench/flex_peer.py --print-rows | cut -c1-150
fi

say "device"
step 15 nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.max.sm,clocks.sm,temperature.gpu,power.draw \
  --format=csv 2>&1 | tee "$logs/nvidia-smi.txt" || echo "nvidia-smi failed: no GPU?"

say "gpu tests (flex warm-up in the background: $warm_shards processes)"
if ((missing)); then
  echo "skipped: carried files missing"
else
  warm_pids=()
  if ((!dry)); then
    for ((i = 0; i < warm_shards; i++)); do
      TORCHINDUCTOR_COMPILE_THREADS=2 timeout --kill-after=5 150 \
        python3 bench/flex_peer.py --warm "$i/$warm_shards" >>"$logs/warm.log" 2>&1 &
      warm_pids+=($!)
    done
  fi
  step 110 ctest --test-dir $dev -L gpu -j4 --output-on-failure 2>&1 | tee "$logs/ctest.log"
  ((${#warm_pids[@]})) && wait "${warm_pids[@]}"
  grep -c '^warm .*: [0-9.]* s$' "$logs/warm.log" 2>/dev/null | sed 's/$/ rows warmed/'
fi

say "host time per launch (bench_launch: module memo vs PTX lookup)"
if ((missing)); then
  echo "skipped: carried files missing"
else
  step 20 $dev/bin/bench_launch 1000 2>&1 | tee "$logs/launch.txt"
fi

say "benchmark (table at the end)"
if ((missing)); then
  echo "skipped: carried files missing"
else
  step 200 python3 bench/flex_peer.py --bench $dev/bin/gpu_bench \
    --ptx $dev/ptx/bench_variants "${alts[@]}" --budget 185 --raw "$logs/gpu_bench.txt" 2>&1 |
    tee "$logs/bench.log"
fi
((dry)) && say "dry run done"
exit 0
