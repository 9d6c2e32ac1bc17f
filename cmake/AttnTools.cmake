# External tools: re2c and Lemon (grammar), LLVM 19 (code generation),
# clang-19 (kernel templates to bitcode), CUDA's ptxas (optional checks).
find_program(RE2C_EXECUTABLE re2c REQUIRED)
find_program(LEMON_EXECUTABLE lemon REQUIRED)
find_file(LEMON_TEMPLATE lempar.c PATHS /usr/share/lemon /usr/local/share/lemon
          /usr/share/sqlite3 NO_DEFAULT_PATH REQUIRED)

find_package(LLVM 19.1 CONFIG REQUIRED
             HINTS /usr/lib/llvm-19/lib/cmake/llvm /usr/lib/llvm-19/cmake)
message(STATUS "LLVM ${LLVM_PACKAGE_VERSION} in ${LLVM_INSTALL_PREFIX}")

find_program(ATTN_CLANG NAMES clang-19 HINTS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)
message(STATUS "kernel template compiler: ${ATTN_CLANG}")

if(NOT ATTN_WITH_CUDA STREQUAL "OFF")
  find_program(ATTN_PTXAS ptxas HINTS /usr/local/cuda/bin)
  if(NOT ATTN_PTXAS AND ATTN_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "ATTN_WITH_CUDA=ON but ptxas was not found")
  endif()
endif()
