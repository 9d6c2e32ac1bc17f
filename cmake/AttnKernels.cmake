# Kernel templates -> LLVM bitcode -> byte arrays embedded in attnc.
#
# Each template is compiled by clang-19 once per target with LLVM's own
# optimisation disabled (-O2 -Xclang -disable-llvm-optzns): clang's -O2
# front-end decisions (TBAA, lifetime markers, no optnone) are kept, while the
# real optimisation runs in attnc after the variant's hooks are linked in, for
# the real target machine (cg_link.c).
#
#   attn_kernel_bitcode(NAME SRC TARGET OUTVAR [DEFINE...])
#       TARGET: x86 | sm_80 | sm_90a | emu (x86 code for the SIMT emulator);
#       NAME names the output file; DEFINEs (and ATTN_GPU_TILE's) become -D flags
#   attn_embed_bitcode(OUT_C ENTRIES...)           ENTRIES: name;target;file triples

set(ATTN_KERNEL_FLAGS_x86 --target=x86_64-unknown-linux-gnu -fno-math-errno)
# Plain C on NVPTX: freestanding (clang's own stdint.h), kernels marked with
# __attribute__((nvptx_kernel)).
set(ATTN_KERNEL_FLAGS_sm_80 --target=nvptx64-nvidia-cuda -march=sm_80 -ffreestanding -fno-math-errno)
set(ATTN_KERNEL_FLAGS_sm_90a --target=nvptx64-nvidia-cuda -march=sm_90a -ffreestanding -fno-math-errno)
# GPU templates for the host, against gpu_dev_emu.h (runtime/emu/).
set(ATTN_KERNEL_FLAGS_emu ${ATTN_KERNEL_FLAGS_x86})
set(ATTN_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/AttnEmbed.cmake)

# x86 templates are the exception: clang's -O2 pipeline runs on them too
# (inlining, SROA, unrolling and vectorizing the template's own loops), so
# attnc's O3 after linking the hooks has less left to do. Parse -> object of
# one variant went from ~340 to ~245 ms of CPU time at unchanged kernel speed
# (bench/README.md, "Compile time").
set(ATTN_KERNEL_PREOPTIMIZED_x86 ON)

function(attn_kernel_bitcode name src target outvar)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.${target}.bc)
  set(defines ${ARGN} ${ATTN_GPU_TILE})
  list(TRANSFORM defines PREPEND -D)
  set(noopt -Xclang -disable-llvm-optzns)
  if(ATTN_KERNEL_PREOPTIMIZED_${target})
    set(noopt "")
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${ATTN_CLANG} ${ATTN_KERNEL_FLAGS_${target}} ${defines} -std=c11 -O2
            ${noopt} -emit-llvm -c
            -Wall -Wextra -Werror -I${CMAKE_CURRENT_SOURCE_DIR}
            -MD -MF ${out}.d -o ${out} ${src}
    DEPFILE ${out}.d
    DEPENDS ${src}
    COMMENT "clang-19 ${name} -> ${target} bitcode"
    VERBATIM)
  set(${outvar} ${out} PARENT_SCOPE)
endfunction()

# Writes OUT_C, a C file defining the table declared in compiler/cg_blobs.h.
function(attn_embed_bitcode out_c)
  set(files "")
  set(args "")
  set(entries ${ARGN})
  list(LENGTH entries n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 3)
    math(EXPR t "${i} + 1")
    math(EXPR f "${i} + 2")
    list(GET entries ${i} name)
    list(GET entries ${t} target)
    list(GET entries ${f} file)
    list(APPEND files ${file})
    string(APPEND args "${name}:${target}:${file};")
  endforeach()
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} "-DENTRIES=${args}" -DOUT=${out_c} -P ${ATTN_EMBED_SCRIPT}
    DEPENDS ${files} ${ATTN_EMBED_SCRIPT}
    COMMENT "embedding kernel template bitcode"
    VERBATIM)
endfunction()
