/* run.h - `attnc run`: options shared by the attention and scan run paths.
 *
 * cmd_run.c parses the command line (ARCHITECTURE.md, "CLI contract") into
 * a RunOptions and dispatches on the selected declaration's kind to
 * run_attention() (run_attention.c) or run_scan() (run_scan.c). Both return
 * the process exit status: 0 success, 1 error or --check mismatch. */
#ifndef ATTN_RUN_H
#define ATTN_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"

typedef enum RunDevice { RUN_DEVICE_CPU, RUN_DEVICE_CUDA, RUN_DEVICE_EMU } RunDevice;

/* NAME=VALUE pairs of --set, --tensor and --pack, in command-line order. */
typedef struct RunBinding {
    const char *name;
    const char *value;
} RunBinding;

typedef struct RunOptions {
    const char *file;        /* the .attn program */
    const char *variant;     /* --variant NAME, or NULL: the only/first attention or scan */
    RunDevice device;        /* --device cpu|cuda|emu (default cpu) */
    int32_t dtype;           /* --dtype f32|f16|bf16 as attn_dtype (default f32) */
    bool have_dtype;         /* --dtype was given (emu/cuda default to bf16) */
    bool have_shape;         /* --shape B,H,Q,KV,D[,DV] (attention) */
    int64_t shape[6];
    int nshape;
    int64_t kv_heads;        /* --kv-heads N (0: = H) */
    RunBinding *sets; int nsets;       /* --set NAME=VALUE (scalars; also dims of scans) */
    RunBinding *tensors; int ntensors; /* --tensor NAME=FILE.npy */
    RunBinding *packs; int npacks;     /* --pack NAME=FILE.npy | NAME=L1,L2,... */
    const char *inputs_dir;  /* --inputs DIR (q.npy k.npy v.npy or a scan's tensors by name) */
    const char *out_dir;     /* --out DIR (default: no files written) */
    uint64_t seed;           /* --seed N (default 0) */
    bool check;              /* --check: compare with the reference interpreter */
    int bench_iters;         /* --bench N (0: off) */
    bool checked;            /* --checked: trap data-dependent out-of-range indices */
} RunOptions;

int run_attention(Compilation *c, Decl *attn, const RunOptions *o);
int run_scan(Compilation *c, Decl *scan, const RunOptions *o);

#endif
