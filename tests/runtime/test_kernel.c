/* test_kernel.c - the CPU kernel template (with hand-written hooks, through
 * attn_forward) against a naive double-precision reference written here:
 * masks, score mods, packs, GQA, D != DV, ragged lengths, all three dtypes,
 * strided layouts, fully masked rows, NaN inputs, query-block ranges,
 * empty tensors, and the accuracy of the kernel's exp2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_vec.h"
#include "test_util.h"
#include "test_variants.h"

enum { TK_WINDOW = 37, TK_SHIFT = 5 };
static const float tk_cap = 2.0f;

/* Pack offsets used for the docs variant: segment lengths cycle through
 * 1, 37, 64, 5, 100 until `len` positions are covered. */
static int32_t tk_offsets(int32_t len, int32_t *off) {
    static const int32_t seg[] = {1, 37, 64, 5, 100};
    int32_t n = 0, pos = 0;
    off[n++] = 0;
    for (int32_t i = 0; pos < len; i++) {
        pos += seg[i % 5];
        off[n++] = pos < len ? pos : len;
        pos = off[n - 1];
    }
    return n;
}

static int32_t tk_seg(const int32_t *off, int32_t n, int32_t pos) {
    int32_t s = 0;
    while (s + 2 < n && off[s + 1] <= pos)
        s++;
    return s;
}

/* The reference semantics of each test variant (independent of the hooks). */
static int tk_visible(tv_id v, const int32_t *off, int32_t noff, int32_t q, int32_t kv) {
    switch (v) {
    case TV_CAUSAL: return kv <= q;
    case TV_WINDOW: return kv <= q && q - kv <= TK_WINDOW;
    case TV_DOCS: return kv <= q && tk_seg(off, noff, q) == tk_seg(off, noff, kv);
    case TV_SHIFTED: return kv + TK_SHIFT <= q;
    default: return 1;
    }
}

static double tk_score(tv_id v, double s) { return v == TV_SOFTCAP ? tk_cap * tanh(s / tk_cap) : s; }

typedef struct tk_case {
    tv_id variant;
    int32_t dtype, B, H, HKV, Q, KV, D, DV;
    tt_layout layout;
    int nan_mode; /* 0 none, 1 NaN in q, 2 NaN in k, 3 NaN/Inf in v */
} tk_case;

static const char *const tk_dtype_names[] = {"f32", "f16", "bf16"};

/* got matches want: both NaN, the same infinity, or within tol relative-ish. */
static int tk_close(double got, double want, double tol) {
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    return fabs(got - want) <= tol * (1 + fabs(want));
}

/* The inputs as compact double arrays (what the reference reads). */
typedef struct tk_inputs {
    double *q, *k, *v; /* [B][H][Q][D], [B][HKV][KV][D], [B][HKV][KV][DV] */
} tk_inputs;

static double *tk_to_double(const tt_tensor *x) {
    int64_t n = x->shape[0] * x->shape[1] * x->shape[2] * x->shape[3];
    double *d = malloc(sizeof(double) * (size_t)(n + 1));
    int64_t i = 0;
    for (int64_t a = 0; a < x->shape[0]; a++)
        for (int64_t b = 0; b < x->shape[1]; b++)
            for (int64_t c = 0; c < x->shape[2]; c++)
                for (int64_t e = 0; e < x->shape[3]; e++)
                    d[i++] = tt_get(x, (int64_t[]){a, b, c, e});
    return d;
}

/* Compares out/lse of one (b, h) against the reference; returns failures. */
static int tk_compare_head(const tk_case *c, tt_tensor *t, const tk_inputs *in,
                           const int32_t *off, int32_t noff, int64_t b, int64_t h) {
    const double tol = c->dtype == ATTN_F32 ? 2e-5 : c->dtype == ATTN_F16 ? 2e-3 : 1.6e-2;
    const double scale = 1.0 / sqrt((double)c->D);
    int64_t hk = h / (c->H / c->HKV);
    double *s = malloc(sizeof(double) * (size_t)(c->KV + 1));
    double *o = malloc(sizeof(double) * (size_t)(c->DV + 1));
    int bad = 0;
    for (int64_t q = 0; q < c->Q && !bad; q++) {
        double m = -INFINITY;
        int any = 0;
        for (int64_t kv = 0; kv < c->KV; kv++) {
            if (!tk_visible(c->variant, off, noff, (int32_t)q, (int32_t)kv))
                continue;
            const double *qr = in->q + ((b * c->H + h) * c->Q + q) * c->D;
            const double *kr = in->k + ((b * c->HKV + hk) * c->KV + kv) * c->D;
            double dot = 0;
            for (int64_t d = 0; d < c->D; d++)
                dot += qr[d] * kr[d];
            s[kv] = tk_score(c->variant, dot * scale);
            if (!any || isnan(s[kv]) || (!isnan(m) && s[kv] > m))
                m = s[kv];
            any = 1;
        }
        double l = 0;
        for (int64_t d = 0; d < c->DV; d++)
            o[d] = 0;
        for (int64_t kv = 0; kv < c->KV; kv++) {
            if (!tk_visible(c->variant, off, noff, (int32_t)q, (int32_t)kv))
                continue;
            double p = exp(s[kv] - m);
            l += p;
            const double *vr = in->v + ((b * c->HKV + hk) * c->KV + kv) * c->DV;
            for (int64_t d = 0; d < c->DV; d++)
                o[d] += p * vr[d];
        }
        double lse = any ? m + log(l) : -INFINITY;
        double got_lse = tt_get(&t[4], (int64_t[]){b, h, q});
        if (!tk_close(got_lse, lse, 2e-5)) {
            TT_CHECK(0, "%s %s b=%lld h=%lld q=%lld: lse %.9g, reference %.9g",
                     tv_variant(c->variant)->name, tk_dtype_names[c->dtype], (long long)b,
                     (long long)h, (long long)q, got_lse, lse);
            bad = 1;
        }
        for (int64_t d = 0; d < c->DV && !bad; d++) {
            double want = any ? o[d] / l : 0.0;
            double got = tt_get(&t[3], (int64_t[]){b, h, q, d});
            if (!tk_close(got, want, tol)) {
                TT_CHECK(0, "%s %s B=%d H=%d HKV=%d Q=%d KV=%d D=%d DV=%d: out[%lld,%lld,%lld,%lld] = %.9g, reference %.9g",
                         tv_variant(c->variant)->name, tk_dtype_names[c->dtype], c->B, c->H, c->HKV,
                         c->Q, c->KV, c->D, c->DV, (long long)b, (long long)h, (long long)q,
                         (long long)d, got, want);
                bad = 1;
            }
        }
    }
    free(s);
    free(o);
    return bad;
}

/* Builds the arguments of variant v (the pack table in off/offs). */
static int32_t tk_args(tv_id v, attn_arg *args, tt_tensor *offs, int32_t *off, int32_t *noff,
                       int32_t len) {
    *noff = 0;
    switch (v) {
    case TV_WINDOW: args[0] = attn_arg_i32(0, TK_WINDOW); return 1;
    case TV_SOFTCAP: args[0] = attn_arg_f32(0, tk_cap); return 1;
    case TV_SHIFTED: args[0] = attn_arg_i32(0, TK_SHIFT); return 1;
    case TV_DOCS:
        *noff = tk_offsets(len, off);
        tt_alloc(offs, ATTN_I32, 1, (int64_t[]){*noff}, TT_COMPACT);
        for (int32_t i = 0; i < *noff; i++)
            tt_set(offs, (int64_t[]){i}, off[i]);
        args[0] = attn_arg_pack(0, &offs->t);
        return 1;
    default: return 0;
    }
}

static void tk_run(const tk_case *c, uint64_t seed) {
    tt_tensor t[5]; /* q k v out lse */
    tt_alloc(&t[0], c->dtype, 4, (int64_t[]){c->B, c->H, c->Q, c->D}, c->layout);
    tt_alloc(&t[1], c->dtype, 4, (int64_t[]){c->B, c->HKV, c->KV, c->D}, c->layout);
    tt_alloc(&t[2], c->dtype, 4, (int64_t[]){c->B, c->HKV, c->KV, c->DV}, c->layout);
    tt_alloc(&t[3], c->dtype, 4, (int64_t[]){c->B, c->H, c->Q, c->DV}, c->layout);
    tt_alloc(&t[4], ATTN_F32, 3, (int64_t[]){c->B, c->H, c->Q}, c->layout == TT_PADDED ? TT_PADDED : TT_COMPACT);
    tt_fill_random(&t[0], seed, 2.0);
    tt_fill_random(&t[1], seed + 1, 2.0);
    tt_fill_random(&t[2], seed + 2, 1.0);
    if (c->nan_mode == 1 && c->Q > 3)
        tt_set(&t[0], (int64_t[]){0, 0, 3, 0}, NAN);
    if (c->nan_mode == 2 && c->KV > 10)
        tt_set(&t[1], (int64_t[]){0, 0, 10, c->D - 1}, NAN);
    if (c->nan_mode == 3 && c->KV > 2) {
        tt_set(&t[2], (int64_t[]){0, 0, c->KV - 1, 0}, NAN);
        tt_set(&t[2], (int64_t[]){0, 0, c->KV - 2, 1}, INFINITY);
    }
    attn_arg args[1];
    tt_tensor offs = {0};
    int32_t off[400], noff;
    int32_t nargs = tk_args(c->variant, args, &offs, off, &noff, c->KV);
    attn_status s = attn_forward(tv_variant(c->variant), &t[0].t, &t[1].t, &t[2].t, &t[3].t,
                                 &t[4].t, args, nargs, NULL);
    TT_CHECK(s == ATTN_OK, "%s", attn_last_error());
    tk_inputs in = {tk_to_double(&t[0]), tk_to_double(&t[1]), tk_to_double(&t[2])};
    int bad = s != ATTN_OK;
    for (int64_t b = 0; b < c->B && !bad; b++)
        for (int64_t h = 0; h < c->H && !bad; h++)
            bad = tk_compare_head(c, t, &in, off, noff, b, h);
    free(in.q);
    free(in.k);
    free(in.v);
    for (int i = 0; i < 5; i++)
        tt_free(&t[i]);
    tt_free(&offs);
}

/* The shape sweep: every variant x dtype over length pairs, cycling batch,
 * KV heads, head dims and layouts. */
static void tk_sweep(void) {
    static const int32_t pairs[][2] = {{1, 1}, {17, 300}, {300, 17}, {127, 129},
                                       {128, 128}, {129, 127}, {300, 300}};
    static const int32_t square[] = {1, 17, 127, 128, 129, 300};
    static const int32_t Ds[][2] = {{16, 64}, {64, 16}, {80, 128}, {128, 80}};
    static const int32_t hkv[] = {1, 2, 4};
    int n = 0;
    for (int v = 0; v < TV_COUNT; v++)
        for (int32_t dt = ATTN_F32; dt <= ATTN_BF16; dt++) {
            int np = v == TV_DOCS ? 6 : 7;
            for (int i = 0; i < np; i++, n++) {
                tk_case c = {(tv_id)v, dt, 1 + n % 2, 4, hkv[n % 3],
                             v == TV_DOCS ? square[i] : pairs[i][0],
                             v == TV_DOCS ? square[i] : pairs[i][1],
                             Ds[n % 4][0], Ds[n % 4][1], (tt_layout)(n % 3), 0};
                tk_run(&c, (uint64_t)n);
            }
        }
}

/* NaN/Inf inputs propagate exactly where a naive reference has them: a NaN
 * in q spoils its row, one in k every row that sees that key, and NaN/Inf
 * in v at keys a row cannot see never reaches that row. */
static void tk_nan(void) {
    for (int mode = 1; mode <= 3; mode++) {
        tk_case c = {TV_CAUSAL, ATTN_F32, 1, 2, 1, 130, 130, 64, 64, TT_COMPACT, mode};
        tk_run(&c, 100 + (uint64_t)mode);
        c.variant = TV_NONE;
        c.Q = 40;
        tk_run(&c, 200 + (uint64_t)mode);
    }
}

/* Only query blocks [1, 3) are written; the other rows keep their contents. */
static void tk_qblock_range(void) {
    const int64_t Q = 4 * ATTN_CPU_BLOCK_Q;
    tt_tensor q, k, v, out;
    tt_alloc(&q, ATTN_F32, 4, (int64_t[]){1, 1, Q, 16}, TT_COMPACT);
    tt_alloc(&k, ATTN_F32, 4, (int64_t[]){1, 1, Q, 16}, TT_COMPACT);
    tt_alloc(&v, ATTN_F32, 4, (int64_t[]){1, 1, Q, 16}, TT_COMPACT);
    tt_alloc(&out, ATTN_F32, 4, (int64_t[]){1, 1, Q, 16}, TT_COMPACT);
    tt_fill_random(&q, 1, 1);
    tt_fill_random(&k, 2, 1);
    tt_fill_random(&v, 3, 1);
    for (int64_t i = 0; i < Q; i++)
        tt_set(&out, (int64_t[]){0, 0, i, 0}, 42.0);
    attn_launch_opts opts = {.qb_begin = 1, .qb_end = 3, .num_threads = 1};
    attn_status s = attn_forward(tv_variant(TV_CAUSAL), &q.t, &k.t, &v.t, &out.t, NULL, NULL, 0, &opts);
    TT_CHECK(s == ATTN_OK, "%s", attn_last_error());
    for (int64_t i = 0; i < Q; i++) {
        int inside = i >= ATTN_CPU_BLOCK_Q && i < 3 * ATTN_CPU_BLOCK_Q;
        double x = tt_get(&out, (int64_t[]){0, 0, i, 0});
        TT_CHECK(inside ? x != 42.0 && fabs(x) <= 1 : x == 42.0, "row %lld: %g", (long long)i, x);
    }
    opts.qb_begin = 3;
    opts.qb_end = 5;
    s = attn_forward(tv_variant(TV_CAUSAL), &q.t, &k.t, &v.t, &out.t, NULL, NULL, 0, &opts);
    TT_CHECK(s == ATTN_ERR_INVALID_ARG &&
                 strcmp(attn_last_error(), "query block range [3, 5) is invalid for 4 query blocks") == 0,
             "%s", attn_last_error());
    tt_free(&q);
    tt_free(&k);
    tt_free(&v);
    tt_free(&out);
}

/* B = 0 and Q = 0 are no-ops; KV = 0 gives out = 0 and lse = -inf. */
static void tk_empty(void) {
    static const int64_t shapes[][3] = {{0, 5, 5}, {1, 0, 5}, {1, 5, 0}}; /* B, Q, KV */
    for (int i = 0; i < 3; i++) {
        int64_t B = shapes[i][0], Q = shapes[i][1], KV = shapes[i][2];
        tt_tensor q, k, v, out, lse;
        tt_alloc(&q, ATTN_F32, 4, (int64_t[]){B, 2, Q, 8}, TT_COMPACT);
        tt_alloc(&k, ATTN_F32, 4, (int64_t[]){B, 1, KV, 8}, TT_COMPACT);
        tt_alloc(&v, ATTN_F32, 4, (int64_t[]){B, 1, KV, 8}, TT_COMPACT);
        tt_alloc(&out, ATTN_F32, 4, (int64_t[]){B, 2, Q, 8}, TT_COMPACT);
        tt_alloc(&lse, ATTN_F32, 3, (int64_t[]){B, 2, Q}, TT_COMPACT);
        tt_fill_random(&out, 9, 1);
        attn_status s = attn_forward(tv_variant(TV_NONE), &q.t, &k.t, &v.t, &out.t, &lse.t, NULL, 0, NULL);
        TT_CHECK(s == ATTN_OK, "%s", attn_last_error());
        if (KV == 0)
            for (int64_t r = 0; r < 2 * Q; r++) {
                TT_CHECK(tt_get(&out, (int64_t[]){0, r / Q, r % Q, 7}) == 0.0, "KV=0 out");
                TT_CHECK(isinf(tt_get(&lse, (int64_t[]){0, r / Q, r % Q})), "KV=0 lse");
            }
        tt_free(&q);
        tt_free(&k);
        tt_free(&v);
        tt_free(&out);
        tt_free(&lse);
    }
}

/* cpu_exp2 is within 2 ulp of exp2 on [-126, 0] and exact at the ends. */
static void tk_exp2(void) {
    double worst = 0;
    for (int64_t i = 0; i <= 2000000; i++) {
        float x = (float)(-126.0 * (double)i / 2000000.0);
        double want = exp2((double)x);
        double got = cpu_exp2(x);
        double ulp = ldexp(1.0, ilogb(want) - 23);
        double e = fabs(got - want) / ulp;
        worst = e > worst ? e : worst;
    }
    TT_CHECK(worst <= 2.0, "exp2 error %.3f ulp", worst);
    TT_CHECK(cpu_exp2(-INFINITY) == 0.0f && cpu_exp2(0.0f) == 1.0f && isnan(cpu_exp2(NAN)), "exp2 ends");
}

int main(void) {
    tk_exp2();
    tk_sweep();
    tk_nan();
    tk_qblock_range();
    tk_empty();
    if (tt_failures)
        fprintf(stderr, "%d check(s) failed\n", tt_failures);
    return tt_failures != 0;
}
