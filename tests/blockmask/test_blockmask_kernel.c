/* test_blockmask_kernel.c - the CPU kernel driven by a BlockMask gives
 * bit-for-bit the outputs of the dense path (one partial key range over all
 * keys), whether attn_forward builds the mask itself (needs_block_mask) or
 * takes a prebuilt one; block sizes that are not multiples of the kernel's
 * key tile agree to rounding; a mask of other shapes is rejected. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bm_masks.h"
#include "test_util.h"

typedef struct problem {
    tt_tensor q, k, v, param;
    int32_t B, H, HKV, Q, D, dtype;
} problem;

typedef struct result {
    tt_tensor out, lse;
} result;

static void problem_init(problem *p, const attn_variant *var, int32_t B, int32_t H, int32_t HKV,
                         int32_t Q, int32_t D, int32_t dtype, uint64_t seed) {
    *p = (problem){.B = B, .H = H, .HKV = HKV, .Q = Q, .D = D, .dtype = dtype};
    int64_t qs[4] = {B, H, Q, D}, ks[4] = {B, HKV, Q, D};
    tt_alloc(&p->q, dtype, 4, qs, TT_PADDED);
    tt_alloc(&p->k, dtype, 4, ks, TT_COMPACT);
    tt_alloc(&p->v, dtype, 4, ks, TT_SWAP12);
    tt_fill_random(&p->q, seed, 2.0);
    tt_fill_random(&p->k, seed + 1, 2.0);
    tt_fill_random(&p->v, seed + 2, 1.0);
    if (var == bm_docs_variant()) {
        int64_t shape[1] = {Q};
        tt_alloc(&p->param, ATTN_I32, 1, shape, TT_COMPACT);
        int32_t *doc = p->param.mem;
        for (int32_t i = 0; i < Q; i++)
            doc[i] = i / 180 % 2; /* ids repeat: not contiguous documents */
    } else {
        int64_t shape[3] = {H, Q, Q};
        tt_alloc(&p->param, ATTN_BOOL, 3, shape, TT_COMPACT);
        uint8_t *keep = p->param.mem;
        for (int32_t h = 0; h < H; h++)
            for (int32_t q = 0; q < Q; q++)
                for (int32_t kv = 0; kv < Q; kv++) {
                    int region = (h + q / 260 + kv / 130) % 4;
                    keep[((int64_t)h * Q + q) * Q + kv] =
                        region == 0 || (region == 1 && (q * 31 + kv * 17) % 5 == 0) ||
                        (region == 2 && q == kv);
                }
        for (int32_t kv = 0; kv < Q; kv++) /* one row sees nothing */
            keep[(int64_t)(Q / 2) * Q + kv] = 0;
    }
}

static void problem_free(problem *p) {
    tt_free(&p->q);
    tt_free(&p->k);
    tt_free(&p->v);
    tt_free(&p->param);
}

static attn_status run(const attn_variant *var, problem *p, const attn_launch_opts *opts,
                       result *r) {
    int64_t os[4] = {p->B, p->H, p->Q, p->D}, ls[3] = {p->B, p->H, p->Q};
    tt_alloc(&r->out, p->dtype, 4, os, TT_COMPACT);
    tt_alloc(&r->lse, ATTN_F32, 3, ls, TT_COMPACT);
    attn_arg arg = attn_arg_tensor(0, &p->param.t);
    return attn_forward(var, &p->q.t, &p->k.t, &p->v.t, &r->out.t, &r->lse.t, &arg, 1, opts);
}

static size_t bytes_of(const tt_tensor *t) {
    size_t n = (size_t)((t->t.dtype.bits + 7) / 8);
    for (int32_t i = 0; i < t->t.ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}

/* Max |a - b| over outputs (compact tensors), and whether lse agree. */
static double max_diff(const result *a, const result *b) {
    double m = 0.0;
    int64_t idx[4] = {0};
    int64_t n = (int64_t)bytes_of(&a->out) / ((a->out.t.dtype.bits + 7) / 8);
    for (int64_t i = 0; i < n; i++) {
        int64_t rest = i;
        for (int32_t d = 3; d >= 0; d--) {
            idx[d] = rest % a->out.shape[d];
            rest /= a->out.shape[d];
        }
        double d = fabs(tt_get(&a->out, idx) - tt_get(&b->out, idx));
        m = d > m ? d : m;
    }
    return m;
}

static void result_free(result *r) {
    tt_free(&r->out);
    tt_free(&r->lse);
}

static void check_same(const result *a, const result *b, const char *what) {
    TT_CHECK(!memcmp(a->out.mem, b->out.mem, bytes_of(&a->out)), "%s: out differs (max %g)", what,
             max_diff(a, b));
    TT_CHECK(!memcmp(a->lse.mem, b->lse.mem, bytes_of(&a->lse)), "%s: lse differs", what);
}

static void test_variant(const attn_variant *var, attn_pool *pool) {
    static const int32_t shapes[][5] = {{1, 1, 1, 300, 32}, {2, 4, 2, 517, 64}, {1, 2, 1, 128, 16}};
    for (int s = 0; s < 3; s++)
        for (int32_t dt = ATTN_F32; dt <= ATTN_BF16; dt += ATTN_BF16) {
            const int32_t *x = shapes[s];
            problem p;
            problem_init(&p, var, x[0], x[1], x[2], x[3], x[4], dt, 77 + (uint64_t)s);
            attn_variant dense = *var;
            dense.needs_block_mask = 0;
            attn_launch_opts o = {.pool = pool};
            result rd, ra, rp, rw, rn;
            TT_CHECK(run(&dense, &p, &o, &rd) == ATTN_OK, "dense: %s", attn_last_error());
            TT_CHECK(run(var, &p, &o, &ra) == ATTN_OK, "auto: %s", attn_last_error());
            check_same(&rd, &ra, var->name);

            attn_arg arg = attn_arg_tensor(0, &p.param.t);
            attn_block_mask *bm = NULL, *wide = NULL, *odd = NULL;
            attn_block_mask_opts wo = {.block_kv = 128, .pool = pool};
            attn_block_mask_opts oo = {.block_kv = 48, .pool = pool};
            TT_CHECK(attn_block_mask_build(var, x[0], x[1], x[3], x[3], &arg, 1, NULL, &bm) == ATTN_OK &&
                         attn_block_mask_build(var, x[0], x[1], x[3], x[3], &arg, 1, &wo, &wide) == ATTN_OK &&
                         attn_block_mask_build(var, x[0], x[1], x[3], x[3], &arg, 1, &oo, &odd) == ATTN_OK,
                     "build: %s", attn_last_error());
            if (bm && wide && odd) {
                attn_block_mask_stats st = attn_block_mask_sparsity(bm);
                TT_CHECK(s != 1 || (st.empty > 0 && st.full > 0 && st.partial > 0),
                         "%s: expected all three block classes", var->name);
                o.block_mask = bm;
                TT_CHECK(run(&dense, &p, &o, &rp) == ATTN_OK, "prebuilt: %s", attn_last_error());
                check_same(&rd, &rp, "prebuilt");
                o.block_mask = wide;
                TT_CHECK(run(var, &p, &o, &rw) == ATTN_OK, "wide: %s", attn_last_error());
                check_same(&rd, &rw, "block_kv 128");
                o.block_mask = odd;
                TT_CHECK(run(var, &p, &o, &rn) == ATTN_OK, "odd: %s", attn_last_error());
                TT_CHECK(max_diff(&rd, &rn) < (dt == ATTN_F32 ? 1e-5 : 2e-2), "block_kv 48: %g",
                         max_diff(&rd, &rn));
                result_free(&rp);
                result_free(&rw);
                result_free(&rn);
            }
            attn_block_mask_free(bm);
            attn_block_mask_free(wide);
            attn_block_mask_free(odd);
            result_free(&rd);
            result_free(&ra);
            problem_free(&p);
        }
}

/* A prebuilt mask must match the launch: query block size and Q, KV, B, H. */
static void test_mismatch(attn_pool *pool) {
    problem p;
    problem_init(&p, bm_docs_variant(), 1, 2, 1, 200, 16, ATTN_F32, 5);
    attn_arg arg = attn_arg_tensor(0, &p.param.t);
    tt_tensor small = p.param;
    int64_t short_shape[1] = {150};
    small.t.shape = short_shape;
    attn_arg small_arg = attn_arg_tensor(0, &small.t);
    attn_block_mask *wrong_q = NULL, *wrong_bq = NULL;
    attn_block_mask_opts bq = {.block_q = 64, .pool = pool};
    TT_CHECK(attn_block_mask_build(bm_docs_variant(), 1, 2, 150, 150, &small_arg, 1, NULL, &wrong_q) == ATTN_OK &&
                 attn_block_mask_build(bm_docs_variant(), 1, 2, 200, 200, &arg, 1, &bq, &wrong_bq) == ATTN_OK,
             "build: %s", attn_last_error());
    attn_launch_opts o = {.pool = pool, .block_mask = wrong_q};
    result r;
    TT_CHECK(run(bm_docs_variant(), &p, &o, &r) == ATTN_ERR_SHAPE, "wrong Q accepted");
    TT_CHECK(strstr(attn_last_error(), "Q=150") != NULL, "message: %s", attn_last_error());
    result_free(&r);
    o.block_mask = wrong_bq;
    TT_CHECK(run(bm_docs_variant(), &p, &o, &r) == ATTN_ERR_SHAPE, "wrong block_q accepted");
    TT_CHECK(strstr(attn_last_error(), "64 rows") != NULL, "message: %s", attn_last_error());
    result_free(&r);
    attn_block_mask_free(wrong_q);
    attn_block_mask_free(wrong_bq);
    problem_free(&p);
}

int main(void) {
    attn_pool *pool = NULL;
    if (attn_pool_create(3, &pool) != ATTN_OK) {
        fprintf(stderr, "pool: %s\n", attn_last_error());
        return 1;
    }
    test_variant(bm_docs_variant(), pool);
    test_variant(bm_table_variant(), pool);
    test_mismatch(pool);
    attn_pool_destroy(pool);
    if (tt_failures) {
        fprintf(stderr, "%d check(s) failed\n", tt_failures);
        return 1;
    }
    printf("blockmask kernel: all checks passed\n");
    return 0;
}
