/* cg_blobs.h - the kernel template bitcode embedded in attnc.
 * The table is generated at build time by cmake/AttnEmbed.cmake from the
 * templates listed in kernels/CMakeLists.txt. */
#ifndef ATTN_CG_BLOBS_H
#define ATTN_CG_BLOBS_H

#include <stddef.h>

typedef struct CgBlob {
    const char *name;   /* template: "attn_fwd_cpu", "attn_math", ... */
    const char *target; /* "x86", "sm_80", "sm_90a" */
    const unsigned char *data;
    size_t size;
} CgBlob;

extern const CgBlob cg_blobs[];
extern const int cg_nblobs;

#endif
