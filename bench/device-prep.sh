#!/usr/bin/env bash
# device-prep.sh - builds, on the dev machine (LLVM 19, clang-19), what
# bench/device-check.sh needs on the GPU machine (no LLVM there), into
# build-device/ (git-ignored; carry it: run(carry=["build-device"])):
#
#   build-device/bin/   test_gpu_cuda, gpu_bench (tests/gpu): bench/variants.attn
#                       compiled by attnc (--emit header: descriptors and scale
#                       hooks linked in), launched through the runtime's
#                       attn_forward_gpu / attn_time_gpu; test_cuda_basic,
#                       test_cuda_unavailable (tests/cuda); test_blockmask_cuda
#                       (tests/blockmask: the GPU BlockMask builder on
#                       bench/variants.attn's PTX); test_cuda_wgmma (the
#                       wgmma layouts on the GPU, ptx/wgmma_probe.sm_90a.ptx);
#                       gpu_variant, run_scan
#                       (examples: GPU stubs linked into C programs; run_scan
#                       runs with --gpu); bench_launch (bench: host time
#                       per stub launch, module memo vs PTX lookup). They link only libc
#                       and libm (checked below with ldd); libcuda is dlopen'ed.
#   build-device/ptx/   bench_variants.sm_80.ptx, bench_variants.sm_90a.ptx:
#                       attnc bench/variants.attn --target sm_80,sm_90a --emit ptx
#                       (every variant x specialisation, entries
#                       V_attn_fwd_gpu_<f16|bf16>_d<D>[_dv<DV>])
#   build-device/attn/  bench/variants.attn and stdlib/std (the interpreter's input)
#   build-device/alt/NAME/   gpu_bench, test_gpu_cuda, bench_variants.{sm_80,
#                       sm_90a}.ptx.gz and tile (its ATTN_GPU_TILE definitions)
#                       of a build with another tile shape or the wgmma path
#                       (kernels/attn_abi.h, "Tile shapes"; `alts` below),
#                       which device-check.sh checks (gpu.cuda.NAME: its
#                       kernels against the reference) and times next to the
#                       default; each is first checked on the SIMT emulator
#                       (gpu.forward.*) in its build tree build-device-work-NAME
#   build-device/CTestTestfile.cmake.in   the gpu-labelled tests, paths under
#                       @DEV@, which device-check.sh replaces by the absolute
#                       path of build-device/ where it runs (ctest leaves
#                       CMAKE_CURRENT_LIST_DIR empty in a test file)
#
# Usage: bench/device-prep.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build-device-work   # the cmake build (not carried)
out=$root/build-device
bins_gpu=(test_gpu_cuda gpu_bench)
bins_cuda=(test_cuda_basic test_cuda_unavailable test_cuda_wgmma)
bins_bm=(test_blockmask_cuda)
bins_ex=(gpu_variant run_scan)
bins_bench=(bench_launch)
# NAME:ATTN_GPU_TILE of each alternate: 32 query rows per warp (two m16
# tiles, 128-row CTAs, 32-key tiles) at D = 64 and 128; 64-key tiles at
# D = 128; Hopper's wgmma on sm_90a with the default tiles, with two
# warpgroups per CTA (8 warps, 128 query rows per K/V tile) and 64-key tiles
# at D = 128, and with 64-key tiles at D = 128 (S = Q K^T as m64n64k16).
# The device check times them in this order while its budget lasts
# (build-device/alt/order).
alts=("wgmma:ATTN_GPU_WGMMA=1"
      "wgmma_w8:ATTN_GPU_WGMMA=1;ATTN_GPU_WARPS_D64=8;ATTN_GPU_WARPS_D128=8;ATTN_GPU_BKV_D128=64"
      "wgmma_kv64:ATTN_GPU_WGMMA=1;ATTN_GPU_BKV_D128=64"
      "kv64:ATTN_GPU_BKV_D128=64"
      "rows32:ATTN_GPU_MT_D64=2;ATTN_GPU_BKV_D64=32;ATTN_GPU_MT_D128=2;ATTN_GPU_BKV_D128=32")

echo "== building attnc and the GPU programs in $work"
cmake -S "$root" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$work" attnc "${bins_gpu[@]}" "${bins_cuda[@]}" "${bins_bm[@]}" "${bins_ex[@]}" "${bins_bench[@]}" gpu_bench_ptx
rm -rf "$out"
mkdir -p "$out/bin" "$out/ptx" "$out/attn"
for b in "${bins_gpu[@]}"; do cp "$work/tests/gpu/$b" "$out/bin/"; done
for b in "${bins_cuda[@]}"; do cp "$work/tests/cuda/$b" "$out/bin/"; done
for b in "${bins_bm[@]}"; do cp "$work/tests/blockmask/$b" "$out/bin/"; done
for b in "${bins_ex[@]}"; do cp "$work/examples/$b" "$out/bin/"; done
for b in "${bins_bench[@]}"; do cp "$work/bench/$b" "$out/bin/"; done
cp "$work"/tests/gpu/bench_variants.sm_80.ptx "$work"/tests/gpu/bench_variants.sm_90a.ptx \
   "$work"/tests/cuda/wgmma_probe.sm_90a.ptx "$out/ptx/"
cp "$root/bench/variants.attn" "$out/attn/"
cp -r "$root/stdlib" "$out/attn/"

for alt in "${alts[@]}"; do
  name=${alt%%:*} awork=$work-${alt%%:*}
  echo "== alternate tile shape $name (${alt#*:}) in $awork"
  cmake -S "$root" -B "$awork" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DATTN_GPU_TILE=${alt#*:}" >/dev/null
  ninja -C "$awork" attnc test_gpu_forward gpu_bench test_gpu_cuda gpu_bench_ptx
  echo "== $name on the SIMT emulator"
  ctest --test-dir "$awork" -R '^gpu\.forward\.' -j2 --output-on-failure | tail -n 3
  mkdir -p "$out/alt/$name"
  cp "$awork/tests/gpu/gpu_bench" "$awork/tests/gpu/test_gpu_cuda" "$out/alt/$name/"
  echo "${alt#*:}" >"$out/alt/$name/tile"
  for arch in sm_80 sm_90a; do
    gzip -c "$awork/tests/gpu/bench_variants.$arch.ptx" >"$out/alt/$name/bench_variants.$arch.ptx.gz"
  done
  echo "$name" >>"$out/alt/order"
done

echo "== shared libraries of the carried programs (must be libc/libm only)"
for b in "$out"/bin/* "$out"/alt/*/gpu_bench "$out"/alt/*/test_gpu_cuda; do
  libs=$(ldd "$b" | awk '/=>/ {print $1}' | sort | tr '\n' ' ')
  echo "   ${b#"$out"/}: $libs"
  if grep -qiE 'llvm|clang' <<<"$libs"; then echo "error: $b needs LLVM" >&2; exit 1; fi
done

cat > "$out/CTestTestfile.cmake.in" <<'CTEST'
# Generated by bench/device-prep.sh: the gpu-labelled tests.
set(dev "@DEV@")
add_test(cuda.basic "${dev}/bin/test_cuda_basic")
set_tests_properties(cuda.basic PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 60)
add_test(gpu.cuda "${dev}/bin/test_gpu_cuda" "${dev}/attn/variants.attn" "${dev}/ptx/bench_variants")
set_tests_properties(gpu.cuda PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 100
                     ENVIRONMENT "ATTN_STDLIB=${dev}/attn/stdlib")
add_test(cuda.wgmma "${dev}/bin/test_cuda_wgmma" "${dev}/ptx/wgmma_probe.sm_90a.ptx")
set_tests_properties(cuda.wgmma PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 60)
add_test(blockmask.gpu.cuda "${dev}/bin/test_blockmask_cuda" "${dev}/ptx/bench_variants")
set_tests_properties(blockmask.gpu.cuda PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 60)
add_test(example.gpu_variant "${dev}/bin/gpu_variant")
set_tests_properties(example.gpu_variant PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 60)
add_test(example.run_scan.gpu "${dev}/bin/run_scan" --gpu)
set_tests_properties(example.run_scan.gpu PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 60)
add_test(cuda.unavailable "${dev}/bin/test_cuda_unavailable"
         "CUDA unavailable: /nonexistent/libcuda.so.1: cannot open shared object file")
set_tests_properties(cuda.unavailable PROPERTIES LABELS gpu TIMEOUT 30
                     ENVIRONMENT ATTN_CUDA_DRIVER=/nonexistent/libcuda.so.1)
CTEST
# Each alternate's kernels against the reference, as gpu.cuda (device-check.sh
# unpacks their PTX before the tests run).
for alt in "${alts[@]}"; do
  name=${alt%%:*}
  cat >> "$out/CTestTestfile.cmake.in" <<CTEST
add_test(gpu.cuda.$name "\${dev}/alt/$name/test_gpu_cuda" "\${dev}/attn/variants.attn"
         "\${dev}/alt/$name/bench_variants")
set_tests_properties(gpu.cuda.$name PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 100
                     ENVIRONMENT "ATTN_STDLIB=\${dev}/attn/stdlib")
CTEST
done
du -sh "$out" | sed 's/^/== build-device: /'
