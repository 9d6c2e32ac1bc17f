/* analysis_internal.h - shared state of the analysis*.c files.
 *
 * analysis.c         the formula: And / Or / Not over atoms, flags
 * analysis_lin.c     affine forms, "free of q / kv", synthetic pack calls
 * analysis_report.c  --emit analysis */
#ifndef ATTN_ANALYSIS_INTERNAL_H
#define ATTN_ANALYSIS_INTERNAL_H

#include "analysis.h"

/* Work limit of one analysis (expansion steps): inlining lets and calls can
 * grow exponentially; past the limit the mask is treated as opaque. */
enum { ANA_MAX_WORK = 20000 };
/* Largest |coefficient| kept in an affine form (keeps 64-bit sums exact). */
enum { ANA_MAX_COEF = 1 << 16 };

typedef struct AnaCtx {
    Arena *a;
    int work;
} AnaCtx;

/* Counts one expansion step; false once the work limit is passed. */
bool ana_step(AnaCtx *x);
bool ana_is_i32(const Expr *e);
/* A frame for a call of d with these arguments, inside `parent`. */
const AnaFrame *ana_frame(AnaCtx *x, const Decl *d, Expr *const *args, int nargs,
                          const AnaFrame *parent);
/* e as an affine form of q and kv (false when it is not one). */
bool ana_lin(AnaCtx *x, const Expr *e, const AnaFrame *f, AnaLin *out);
/* out = a + k * b; false when the result is not representable. */
bool ana_lin_add(AnaLin *out, const AnaLin *a, const AnaLin *b, int64_t k);
/* Whether every q-dependent coefficient of l has sign s (+1 / -1); true
 * when l does not depend on q. */
bool ana_lin_monotone(const AnaLin *l, int s);
bool ana_lin_has_q(const AnaLin *l);
/* `pack.start(arg)` / `pack.end(arg)` built from a pack member call `site`. */
Expr *ana_pack_call(AnaCtx *x, const Expr *site, PackMember m, Expr *arg);

#endif
