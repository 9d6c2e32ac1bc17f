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
