/* scan_problem.h - random scan launches for the tests and the benchmark:
 * compact f32 tensors of a scan's declared shapes, pack offsets, and runs
 * of the compiled scan (attn_scan) and of the reference (interp_scan). */
#ifndef SCAN_PROBLEM_H
#define SCAN_PROBLEM_H

#include <stdbool.h>
#include <stdint.h>

#include "interp.h"
#include "run_scan.h"

typedef struct ScanProblem {
    const Decl *d;
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    int64_t len;          /* the scanned length (dims[axis]) */
    float **in;           /* per parameter: tensor data (compact), NULL otherwise */
    int64_t (*shape)[ATTN_MAX_RANK];
    int32_t *offsets;     /* the pack (every pack parameter gets it) */
    int32_t nseg;
    float **out;          /* per output (compact) */
    int64_t (*out_shape)[ATTN_MAX_RANK];
    int64_t *out_elems;
} ScanProblem;

/* Allocates p for scan d with dims (every dim of d, by id) and the segment
 * lengths seg[0..nseg) (summing to dims[axis]); inputs uniform in
 * [-1, 1] from `seed`, except tensors named A* (Mamba's A = -exp(A_log)),
 * which get [-1, -0.1]. */
void scan_problem_init(ScanProblem *p, const Decl *d, const int32_t *dims, const int32_t *seg,
                       int32_t nseg, uint64_t seed);
void scan_problem_free(ScanProblem *p);

/* Runs the compiled scan on positions [begin, begin + n) of the scanned axis
 * only (views; one segment of the pack when begin, n are a segment), writing
 * into the same positions of out[] (the whole problem when begin = 0,
 * n = len, with the full pack): attn_scan, or attn_scan_gpu for a program of
 * run_scan_gpu_program (on CUDA when it has PTX, else on the emulator).
 * Returns the attn_status. */
attn_status scan_problem_run(const ScanProblem *p, const ScanProgram *prog, int64_t begin,
                             int64_t n, float **out, int32_t threads);

/* The reference result (double) per output; false + message on error. */
bool scan_problem_reference(const ScanProblem *p, double **ref, char *err, size_t errlen);

#endif
