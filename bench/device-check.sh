#!/usr/bin/env bash
# device-check.sh - the one-call GPU check, run from the repository root of
# a copied tree on the GPU machine (H200; nvcc, cmake/ctest, python3 with
# torch + Triton; no LLVM, no network), in under 6 minutes (20 s + 90 s +
# 240 s limits):
#   1. nvidia-smi: the device, driver, clocks;
#   2. the gpu-labelled CUDA tests: ctest --test-dir build-device -L gpu
#      (hand-written PTX: launch, shared memory opt-in, module cache, JIT log;
#      the GPU attention template's PTX against a double reference);
#   3. bench/flex_peer.py: attnc vs FlexAttention (torch.compile) vs SDPA,
#      bf16, B*S = 16k, H*D = 2048, D in {64, 128}, S in {1k, 4k, 16k}:
#      ONE table (variant, D, S, TFLOP/s each, attnc/flex).
#
# Prebuilt on the dev machine and carried (git-ignored):
#   build-device/   made by bench/device-prep.sh: bin/ (test_cuda_basic,
#                   test_cuda_attn, test_cuda_unavailable, attn_gpu_bench),
#                   ptx/{sm_80,sm_90a}/attn_fwd_gpu_{f16,bf16}_d{64,128}.ptx,
#                   CTestTestfile.cmake. About 1.5 MB.
# So, from the session: bench/device-prep.sh here, then
#   run(command="bench/device-check.sh", carry=["build-device"], timeout_s=420)
#
#   bench/device-check.sh [--dry-run]
# --dry-run (any machine): checks the carried files, that the launcher and
# tests start (they exit 77 = skipped without a driver), that flex_peer.py
# compiles, and prints what the GPU run would execute.
set -uo pipefail
cd "$(dirname "$0")/.."
dev=build-device
dry=0
[[ ${1:-} == --dry-run ]] && dry=1

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
for f in $dev/CTestTestfile.cmake $dev/bin/test_cuda_basic $dev/bin/test_cuda_attn \
         $dev/bin/test_cuda_unavailable $dev/bin/attn_gpu_bench \
         $dev/ptx/sm_80/attn_fwd_gpu_bf16_d64.ptx $dev/ptx/sm_80/attn_fwd_gpu_bf16_d128.ptx \
         $dev/ptx/sm_90a/attn_fwd_gpu_bf16_d64.ptx $dev/ptx/sm_90a/attn_fwd_gpu_bf16_d128.ptx; do
  if [[ -e $f ]]; then echo "ok       $f"; else echo "MISSING  $f"; missing=1; fi
done
((missing)) && echo "missing files: run bench/device-prep.sh on the dev machine and carry $dev/"

say "python"
if python3 -m py_compile bench/flex_peer.py; then echo "ok       bench/flex_peer.py compiles"
else echo "FAIL     bench/flex_peer.py does not compile"; missing=1; fi

if ((dry)); then
  say "the C launcher and tests build (build-device-work, from bench/device-prep.sh)"
  if [[ -f build-device-work/build.ninja ]]; then
    ninja -C build-device-work attn_gpu_bench test_cuda_basic test_cuda_attn | tail -1
  else
    echo "no build-device-work/: run bench/device-prep.sh"
  fi
  say "binaries start (exit 77 = no driver here)"
  for b in test_cuda_basic attn_gpu_bench; do
    [[ -x $dev/bin/$b ]] || continue
    args=()
    [[ $b == attn_gpu_bench ]] &&
      args=($dev/ptx/sm_80/attn_fwd_gpu_bf16_d64.ptx emu_attn_fwd_gpu 64 1024 1 1 none)
    out=$("$dev/bin/$b" "${args[@]}" 2>&1); rc=$?
    echo "rc $rc   $b: ${out%%$'\n'*}"
  done
fi

say "device"
step 20 nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.max.sm \
  --format=csv || echo "nvidia-smi failed: no GPU?"
arch=sm_80
if ((!dry)) && nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null |
   grep -q '^9\.0'; then
  arch=sm_90a
fi

say "gpu tests"
if ((missing)); then
  echo "skipped: carried files missing"
else
  step 90 ctest --test-dir $dev -L gpu --output-on-failure
fi

say "benchmark (table at the end)"
if ((missing)); then
  echo "skipped: carried files missing"
else
  step 240 python3 bench/flex_peer.py --bench $dev/bin/attn_gpu_bench \
    --ptx-dir $dev/ptx/$arch --budget 220
fi
((dry)) && say "dry run done"
exit 0
