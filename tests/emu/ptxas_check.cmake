# ptxas_check.cmake - compiles the GPU attention template per
# specialisation and the GPU BlockMask builder (kernels/blockmask_gpu.c)
# with the test hooks for sm_80 (clang-19 -O3 -> llvm-link -> opt
# internalize,O3 -> llc-19 -> ptxas -v), logs registers, stack frame and
# spills of every entry, and fails on any spill. The wgmma path
# (ATTN_GPU_WGMMA=1, sm_90a) too: its PTX must hold wgmma.mma_async, and
# ptxas must not serialize the wgmma (a "Potential Performance Loss" advisory
# fails the test as a spill does). Without ptxas it prints
# "ptxas not found: skipped", which the test's SKIP_REGULAR_EXPRESSION turns
# into a skip (cmake 3.25 has no cmake_language(EXIT)).
# Inputs: CLANG LLC OPT LLVM_LINK PTXAS KERNELS HOOKS WORK.
if(NOT PTXAS)
  message("ptxas not found: skipped")
  return()
endif()
file(MAKE_DIRECTORY ${WORK})
set(flags --target=nvptx64-nvidia-cuda -ffreestanding -fno-math-errno -std=c11
          -O3 -Wall -Wextra -Wno-unused-parameter -Werror -I${KERNELS} -I${HOOKS})

# run(STEP cmd...): runs a command, failing the test with its output.
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (${rc}):\n${out}${err}")
  endif()
  set(step_output "${out}${err}" PARENT_SCOPE)
endfunction()

# assemble(NAME SRC ENTRIES ARCH [DEFINE...]): SRC with the hooks through the
# tool chain for ARCH, keeping the entries ENTRIES (comma-separated); logs
# each entry's registers and frame, adds NAME to `failed` on a spill or a
# ptxas performance advisory.
function(assemble name src entries arch)
  list(TRANSFORM ARGN PREPEND -D OUTPUT_VARIABLE defs)
  run(clang ${CLANG} ${flags} -march=${arch} ${defs} -S -emit-llvm ${src} -o ${WORK}/${name}.ll)
  run(llvm-link ${LLVM_LINK} ${WORK}/${name}.ll ${WORK}/hooks.ll -o ${WORK}/${name}.linked.bc)
  run(opt ${OPT} -passes=internalize,default<O3> -internalize-public-api-list=${entries}
      ${WORK}/${name}.linked.bc -o ${WORK}/${name}.bc)
  run(llc ${LLC} -mcpu=${arch} ${WORK}/${name}.bc -o ${WORK}/${name}.ptx)
  run(ptxas ${PTXAS} -arch=${arch} -v ${WORK}/${name}.ptx -o ${WORK}/${name}.cubin)
  string(REGEX MATCHALL "entry function '[^']+'" fns "${step_output}")
  string(REGEX MATCHALL "Used [0-9]+ registers" regs "${step_output}")
  string(REGEX MATCHALL "[0-9]+ bytes stack frame, [0-9]+ bytes spill stores, [0-9]+ bytes spill loads"
         frames "${step_output}")
  list(LENGTH fns n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    list(GET fns ${i} fn)
    list(GET regs ${i} reg)
    list(GET frames ${i} frame)
    message("${name} ${fn}: ${reg}, ${frame}")
  endforeach()
  if(step_output MATCHES "[1-9][0-9]* bytes spill (stores|loads)|Performance Loss")
    message("${step_output}")
    set(failed ${failed} ${name} PARENT_SCOPE)
  endif()
endfunction()

set(failed "")
run(hooks ${CLANG} ${flags} -S -emit-llvm ${HOOKS}/emu_hooks.c -o ${WORK}/hooks.ll)
# assemble_spec(PREFIX ARCH "D;DV;DTYPE" [DEFINE...]): the attention template
# specialised for D, DV, DTYPE as PREFIX_DTYPE_dD_dvDV (the name in `name`).
macro(assemble_spec prefix arch spec)
  set(spec_list "${spec}") # a macro's arguments are not variables
  list(GET spec_list 0 d)
  list(GET spec_list 1 dv)
  list(GET spec_list 2 dtype)
  set(defs ATTN_HEAD_DIM=${d} ATTN_HEAD_DIM_V=${dv} ${ARGN})
  if(dtype STREQUAL "bf16")
    list(APPEND defs ATTN_DTYPE_BF16)
  endif()
  set(name ${prefix}_${dtype}_d${d}_dv${dv})
  assemble(${name} ${KERNELS}/attn_fwd_gpu.c attn_fwd_gpu ${arch} ${defs})
endmacro()

foreach(spec "64;64;f16" "64;64;bf16" "128;128;f16" "128;128;bf16" "64;128;f16" "32;32;f16"
             "96;96;bf16")
  assemble_spec(attn_fwd_gpu sm_80 "${spec}")
endforeach()
# assemble_wgmma(PREFIX "D;DV;DTYPE" [DEFINE...]): assemble_spec on the
# wgmma path for sm_90a, whose PTX must hold wgmma.mma_async.
macro(assemble_wgmma prefix spec)
  assemble_spec(${prefix} sm_90a "${spec}" ATTN_GPU_WGMMA=1 ${ARGN})
  file(READ ${WORK}/${name}.ptx ptx)
  if(NOT ptx MATCHES "wgmma.mma_async")
    set(failed ${failed} "${name} (no wgmma.mma_async)")
  endif()
endmacro()
foreach(spec "64;64;f16" "128;128;bf16" "64;128;bf16" "128;64;f16")
  assemble_wgmma(attn_fwd_gpu_wgmma "${spec}")
endforeach()
# two warpgroups per CTA with 64-key tiles (bench/device-prep.sh's wgmma_w8)
assemble_wgmma(attn_fwd_gpu_wgmma_w8 "128;128;bf16" ATTN_GPU_WARPS_D128=8 ATTN_GPU_BKV_D128=64)
assemble(blockmask_gpu ${KERNELS}/blockmask_gpu.c attn_bm_gpu_classify,attn_bm_gpu_lists sm_80)
if(failed)
  message(FATAL_ERROR "register spills or ptxas advisories in: ${failed}")
endif()
