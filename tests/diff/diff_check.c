/* diff_check.c - one differential check: the compiled CPU kernel (through
 * attn_forward) against the reference interpreter on the same case
 * (diff_case.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff_case.h"
#include "interp.h"
#include "run_common.h"

static const double diff_out_tol[3] = {1e-4, 1e-2, 3e-2}; /* by attn_dtype */
static const double diff_lse_tol = 1e-4;

/* The worst element seen so far: its error and where it is. */
typedef struct DiffWorst {
    double err, compiled, ref;
    int64_t row, col; /* col -1: lse */
} DiffWorst;

/* Error of compiled value c against reference r: |c - r| / max(1, |r|)
 * (absolute when `absolute`); infinities must agree exactly; NaN on either
 * side is an infinite error. */
static double diff_error(double c, double r, bool absolute)
{
    if (isnan(c) || isnan(r))
        return INFINITY;
    if (isinf(c) || isinf(r))
        return c == r ? 0 : INFINITY;
    return fabs(c - r) / (absolute ? 1.0 : fmax(1.0, fabs(r)));
}

static void diff_note(DiffWorst *w, double err, double c, double r, int64_t row, int64_t col)
{
    if (err > w->err) {
        *w = (DiffWorst){err, c, r, row, col};
    }
}

/* Compares rows [B*H*Q] of out (dv values each) and lse; a row the
 * reference fully masks (lse -inf) must be exactly 0 / -inf. */
static void diff_compare(const float *out, const float *lse, const double *rout, const double *rlse,
                         int64_t rows, int64_t dv, DiffWorst *wout, DiffWorst *wlse, int *masked)
{
    for (int64_t r = 0; r < rows; r++) {
        bool dead = isinf(rlse[r]) && rlse[r] < 0;
        *masked += dead;
        diff_note(wlse, diff_error(lse[r], rlse[r], true), lse[r], rlse[r], r, -1);
        for (int64_t j = 0; j < dv; j++) {
            double c = out[r * dv + j], ref = rout[r * dv + j];
            double err = dead ? (c == 0.0 ? 0 : INFINITY) : diff_error(c, ref, false);
            diff_note(wout, err, c, ref, r, j);
        }
    }
}

static void diff_print_worst(const char *what, const DiffWorst *w, const int32_t *dims, double tol)
{
    int64_t q = w->row % dims[ATTN_DIM_Q], bh = w->row / dims[ATTN_DIM_Q];
    fprintf(stderr, "  %s: error %.3g > %g at b=%lld h=%lld q=%lld", what, w->err, tol,
            (long long)(bh / dims[ATTN_DIM_H]), (long long)(bh % dims[ATTN_DIM_H]), (long long)q);
    if (w->col >= 0)
        fprintf(stderr, " j=%lld", (long long)w->col);
    fprintf(stderr, ": compiled %.9g, reference %.9g\n", w->compiled, w->ref);
}

/* The reference (declaration d) on c's inputs: out [B,H,Q,DV] and lse [B,H,Q]. */
static bool diff_reference(const DiffCase *c, const Decl *d, double *out, double *lse, char *err,
                           size_t errlen)
{
    attn_param *slots = calloc((size_t)d->nparams + 1, sizeof *slots);
    int32_t **segs = calloc((size_t)d->nparams + 1, sizeof *segs);
    if (!slots || !segs) {
        free(slots);
        free(segs);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    run_interp_slots(d, c->args, c->nargs, slots, segs);
    attn_ctx ctx = {.params = slots};
    memcpy(ctx.dims, c->dims, sizeof ctx.dims);
    attn_tensor_arg q = run_tensor_arg(&c->q->t), k = run_tensor_arg(&c->k->t), v = run_tensor_arg(&c->v->t);
    bool ok = interp_attention(d, &ctx, &q, &k, &v, out, lse, err, errlen);
    run_interp_slots_free(d, segs);
    free(segs);
    free(slots);
    return ok;
}

/* Both sides' outcome of the case, before any comparison. */
typedef struct DiffRun {
    attn_npy *out, *lse;
    float *out32;
    double *rout, *rlse;
    bool compiled_ok, ref_ok;
    char compiled_err[512], ref_err[512];
} DiffRun;

static bool diff_run(const attn_variant *var, const DiffCase *c, const Decl *ref, DiffRun *r, int64_t rows,
                     int64_t nout)
{
    static const DLDataType dl[3] = {{kDLFloat, 32, 1}, {kDLFloat, 16, 1}, {kDLBfloat, 16, 1}};
    const int32_t *dm = c->dims;
    int64_t shape[4] = {dm[ATTN_DIM_B], dm[ATTN_DIM_H], dm[ATTN_DIM_Q], dm[ATTN_DIM_DV]};
    r->out32 = malloc((size_t)nout * sizeof *r->out32);
    r->rout = malloc((size_t)nout * sizeof *r->rout);
    r->rlse = malloc((size_t)rows * sizeof *r->rlse);
    if (!r->out32 || !r->rout || !r->rlse || attn_npy_alloc(dl[c->dtype], 4, shape, &r->out) != ATTN_OK ||
        attn_npy_alloc(dl[ATTN_F32], 3, shape, &r->lse) != ATTN_OK)
        return false;
    attn_status s = attn_forward(var, &c->q->t, &c->k->t, &c->v->t, &r->out->t, &r->lse->t, c->args,
                                 c->nargs, NULL);
    r->compiled_ok = s == ATTN_OK;
    snprintf(r->compiled_err, sizeof r->compiled_err, "%s", r->compiled_ok ? "" : attn_last_error());
    if (r->compiled_ok)
        run_to_f32(r->out->t.data, nout, c->dtype, r->out32);
    r->ref_ok = diff_reference(c, ref, r->rout, r->rlse, r->ref_err, sizeof r->ref_err);
    return true;
}

static void diff_run_free(DiffRun *r)
{
    attn_npy_free(r->out);
    attn_npy_free(r->lse);
    free(r->out32);
    free(r->rout);
    free(r->rlse);
}

bool diff_check(const attn_variant *var, const DiffCase *c, const Decl *ref, DiffStats *st)
{
    const int32_t *dm = c->dims;
    int64_t rows = (int64_t)dm[ATTN_DIM_B] * dm[ATTN_DIM_H] * dm[ATTN_DIM_Q], nout = rows * dm[ATTN_DIM_DV];
    DiffRun r = {0};
    if (!diff_run(var, c, ref, &r, rows, nout)) {
        diff_run_free(&r);
        fprintf(stderr, "diff: out of memory for the results of '%s'\n", c->d->name);
        return false;
    }
    bool ok = r.compiled_ok == r.ref_ok;
    if (!ok || !r.compiled_ok) {
        st->rejected += ok;
        if (!ok) {
            fprintf(stderr, "FAIL ");
            diff_case_print(stderr, c);
            fprintf(stderr, "  compiled: %s\n  reference: %s\n", r.compiled_ok ? "ran" : r.compiled_err,
                    r.ref_ok ? "ran" : r.ref_err);
        }
        diff_run_free(&r);
        return ok;
    }
    DiffWorst wout = {0}, wlse = {0};
    diff_compare(r.out32, r.lse->t.data, r.rout, r.rlse, rows, dm[ATTN_DIM_DV], &wout, &wlse, &st->masked_rows);
    double tout = diff_out_tol[c->dtype], tlse = diff_lse_tol;
    ok = wout.err <= tout && wlse.err <= tlse;
    st->cases[c->dtype]++;
    st->out_err[c->dtype] = fmax(st->out_err[c->dtype], wout.err);
    st->lse_err[c->dtype] = fmax(st->lse_err[c->dtype], wlse.err);
    if (!ok) {
        fprintf(stderr, "FAIL ");
        diff_case_print(stderr, c);
        if (wout.err > tout)
            diff_print_worst("out", &wout, dm, tout);
        if (wlse.err > tlse)
            diff_print_worst("lse", &wlse, dm, tlse);
    }
    diff_run_free(&r);
    return ok;
}
