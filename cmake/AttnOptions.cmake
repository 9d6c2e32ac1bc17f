# Build options and warning flags for project code.
option(ATTN_WERROR   "Treat warnings as errors in project code" ON)
option(ATTN_SANITIZE "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(ATTN_FUZZ     "Build the libFuzzer front-end target (needs clang)" OFF)
set(ATTN_WITH_CUDA auto CACHE STRING "Use the CUDA toolkit (ptxas) when present: auto, ON, OFF")

set(ATTN_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
if(ATTN_WERROR)
  list(APPEND ATTN_WARNINGS -Werror)
endif()

if(ATTN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer builds (CC=clang-19): coverage + sanitizers on all project code;
# the fuzz target itself adds -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
if(ATTN_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# attn_project_target(TGT): apply the project's warning flags to a target.
function(attn_project_target tgt)
  target_compile_options(${tgt} PRIVATE ${ATTN_WARNINGS})
endfunction()

# Tile-shape overrides for benchmarks (kernels/attn_abi.h, "Tile shapes"):
# NAME=VALUE definitions seen by the kernel templates and all C code alike,
# e.g. -DATTN_GPU_TILE="ATTN_GPU_MT_D128=2;ATTN_GPU_BKV_D128=32".
set(ATTN_GPU_TILE "" CACHE STRING "GPU tile-shape overrides (attn_abi.h), for benchmarks")
foreach(def ${ATTN_GPU_TILE})
  if(NOT def MATCHES "^(ATTN_GPU_(MT|BKV|WARPS)_D(64|128)=[0-9]+|ATTN_GPU_WGMMA=[01])$")
    message(FATAL_ERROR "ATTN_GPU_TILE: '${def}' is not ATTN_GPU_{MT,BKV,WARPS}_D{64,128}=N "
                        "or ATTN_GPU_WGMMA=0|1")
  endif()
endforeach()
add_compile_definitions(${ATTN_GPU_TILE})
