# ptxas_check.cmake - compiles the GPU attention template with the test hooks
# for sm_80 (clang-19 -O3 -> llvm-link -> opt internalize,O3 -> llc-19 ->
# ptxas -v) per specialisation, logs registers, stack frame and spills, and
# fails on any spill. Without ptxas it prints "ptxas not found: skipped",
# which the test's SKIP_REGULAR_EXPRESSION turns into a skip (cmake 3.25 has
# no cmake_language(EXIT)).
# Inputs: CLANG LLC OPT LLVM_LINK PTXAS KERNELS HOOKS WORK.
if(NOT PTXAS)
  message("ptxas not found: skipped")
  return()
endif()
file(MAKE_DIRECTORY ${WORK})
set(flags --target=nvptx64-nvidia-cuda -march=sm_80 -ffreestanding -fno-math-errno -std=c11
          -O3 -Wall -Wextra -Wno-unused-parameter -Werror -I${KERNELS} -I${HOOKS})

# run(STEP cmd...): runs a command, failing the test with its output.
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (${rc}):\n${out}${err}")
  endif()
  set(step_output "${out}${err}" PARENT_SCOPE)
endfunction()

set(failed "")
run(hooks ${CLANG} ${flags} -S -emit-llvm ${HOOKS}/emu_hooks.c -o ${WORK}/hooks.ll)
foreach(spec "64;64;f16" "64;64;bf16" "128;128;f16" "128;128;bf16" "64;128;f16")
  list(GET spec 0 d)
  list(GET spec 1 dv)
  list(GET spec 2 dtype)
  set(name attn_fwd_gpu_${dtype}_d${d}_dv${dv})
  set(defs -DATTN_HEAD_DIM=${d} -DATTN_HEAD_DIM_V=${dv})
  if(dtype STREQUAL "bf16")
    list(APPEND defs -DATTN_DTYPE_BF16)
  endif()
  run(clang ${CLANG} ${flags} ${defs} -S -emit-llvm ${KERNELS}/attn_fwd_gpu.c -o ${WORK}/${name}.ll)
  run(llvm-link ${LLVM_LINK} ${WORK}/${name}.ll ${WORK}/hooks.ll -o ${WORK}/${name}.linked.bc)
  run(opt ${OPT} -passes=internalize,default<O3> -internalize-public-api-list=attn_fwd_gpu
      ${WORK}/${name}.linked.bc -o ${WORK}/${name}.bc)
  run(llc ${LLC} -mcpu=sm_80 ${WORK}/${name}.bc -o ${WORK}/${name}.ptx)
  run(ptxas ${PTXAS} -arch=sm_80 -v ${WORK}/${name}.ptx -o ${WORK}/${name}.cubin)
  string(REGEX MATCH "Used ([0-9]+) registers" _ "${step_output}")
  set(regs ${CMAKE_MATCH_1})
  string(REGEX MATCH "([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads" _ "${step_output}")
  message("${name}: ${regs} registers, ${CMAKE_MATCH_1} bytes stack frame, "
          "${CMAKE_MATCH_2} bytes spill stores, ${CMAKE_MATCH_3} bytes spill loads")
  if(NOT CMAKE_MATCH_2 EQUAL 0 OR NOT CMAKE_MATCH_3 EQUAL 0)
    list(APPEND failed ${name})
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "register spills in: ${failed}")
endif()
