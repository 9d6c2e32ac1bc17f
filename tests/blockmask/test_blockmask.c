/* test_blockmask.c - the BlockMask builder against brute force: every
 * block's class (full / partial / empty) must match element-by-element
 * evaluation, for random shapes and block sizes, masks that depend on
 * data, on b and h, NATTEN-like clamps; broadcast tables equal the
 * per-(b, h) ones; the q-side lists are the exact transpose of the kv-side
 * ones; key ranges only skip work; argument errors are reported. */
#include <stdlib.h>
#include <string.h>

#include "bm_masks.h"
#include "test_util.h"

static uint64_t rng_state = 12345;
static int32_t rnd(int32_t n) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (int32_t)((rng_state >> 33) % (uint64_t)n);
}

enum { EMPTY, PARTIAL, FULL };

/* Class of block (qb, kb) at (b, h) by evaluating every element. */
static int brute_class(attn_mask_fn mask, const attn_ctx *ctx, const attn_block_mask *m,
                       int32_t b, int32_t h, int32_t qb, int32_t kb) {
    int vis = 0, inv = 0;
    for (int32_t q = qb * m->block_q; q < m->q_len && q < (qb + 1) * m->block_q; q++)
        for (int32_t kv = kb * m->block_kv; kv < m->kv_len && kv < (kb + 1) * m->block_kv; kv++) {
            int v = mask(b, h, q, kv, ctx) != 0;
            vis |= v;
            inv |= !v;
        }
    return vis && inv ? PARTIAL : vis ? FULL : EMPTY;
}

/* Checks one list: ascending, in range, zero past the count; marks each
 * listed index in seen[] with cls (each index at most once over lists). */
static void check_list(const int32_t *idx, int32_t count, int32_t n, int cls, int *seen,
                       const char *what) {
    TT_CHECK(count >= 0 && count <= n, "%s: count %d of %d", what, count, n);
    for (int32_t i = 0; i < n; i++) {
        if (i >= count) {
            TT_CHECK(idx[i] == 0, "%s: entry %d past the count is %d", what, i, idx[i]);
            continue;
        }
        TT_CHECK(idx[i] >= 0 && idx[i] < n, "%s: index %d out of range", what, idx[i]);
        if (idx[i] < 0 || idx[i] >= n)
            return;
        TT_CHECK(i == 0 || idx[i - 1] < idx[i], "%s: not ascending at %d", what, i);
        TT_CHECK(seen[idx[i]] == EMPTY, "%s: index %d listed twice", what, idx[i]);
        seen[idx[i]] = cls;
    }
}

/* Verifies every table of m against brute-force evaluation of mask at the
 * b, h each stored row stands for. */
static void check_mask(attn_mask_fn mask, const attn_ctx *ctx, const attn_block_mask *m,
                       const char *name) {
    int32_t n = m->nqb > m->nkvb ? m->nqb : m->nkvb;
    int *seen = calloc((size_t)n + 1, sizeof *seen);
    int *cls = calloc((size_t)m->nqb * m->nkvb + 1, sizeof *cls);
    for (int32_t b = 0; b < m->B; b++)
        for (int32_t h = 0; h < m->H; h++) {
            int64_t bh = (int64_t)b * m->H + h;
            for (int32_t qb = 0; qb < m->nqb; qb++) {
                int64_t row = bh * m->nqb + qb;
                memset(seen, 0, (size_t)n * sizeof *seen);
                check_list(m->kv_indices + row * m->nkvb, m->kv_num_blocks[row], m->nkvb, PARTIAL,
                           seen, "kv_indices");
                check_list(m->full_kv_indices + row * m->nkvb, m->full_kv_num_blocks[row],
                           m->nkvb, FULL, seen, "full_kv_indices");
                for (int32_t kb = 0; kb < m->nkvb; kb++) {
                    int want = brute_class(mask, ctx, m, b, h, qb, kb);
                    cls[(int64_t)qb * m->nkvb + kb] = want;
                    TT_CHECK(seen[kb] == want, "%s b=%d h=%d block (%d, %d): class %d, brute force %d",
                             name, b, h, qb, kb, seen[kb], want);
                }
            }
            for (int32_t kb = 0; kb < m->nkvb; kb++) { /* q side: the exact transpose */
                int64_t col = bh * m->nkvb + kb;
                memset(seen, 0, (size_t)n * sizeof *seen);
                check_list(m->q_indices + col * m->nqb, m->q_num_blocks[col], m->nqb, PARTIAL,
                           seen, "q_indices");
                check_list(m->full_q_indices + col * m->nqb, m->full_q_num_blocks[col], m->nqb,
                           FULL, seen, "full_q_indices");
                for (int32_t qb = 0; qb < m->nqb; qb++)
                    TT_CHECK(seen[qb] == cls[(int64_t)qb * m->nkvb + kb],
                             "%s b=%d h=%d q side of block (%d, %d) differs", name, b, h, qb, kb);
            }
        }
    attn_block_mask_stats st = attn_block_mask_sparsity(m);
    TT_CHECK(st.full + st.partial + st.empty == (int64_t)m->B * m->H * m->nqb * m->nkvb,
             "%s: sparsity counts", name);
    free(seen);
    free(cls);
}

/* Random block sizes (0 = default) and a context of the given dims. */
static attn_block_mask_opts random_opts(attn_pool *pool) {
    static const int32_t sizes[] = {0, 1, 7, 16, 64, 128, 33};
    attn_block_mask_opts o = {.pool = pool};
    o.block_q = sizes[rnd(7)];
    o.block_kv = sizes[rnd(7)];
    return o;
}

static void build_and_check(attn_mask_fn mask, const attn_ctx *ctx, attn_block_mask_opts o,
                            const char *name) {
    attn_block_mask *m = NULL;
    attn_status s = attn_block_mask_build_ctx(mask, ctx, &o, &m);
    TT_CHECK(s == ATTN_OK, "%s: %s", name, attn_last_error());
    if (s != ATTN_OK)
        return;
    int32_t B = ctx->dims[ATTN_DIM_B], H = ctx->dims[ATTN_DIM_H];
    TT_CHECK(m->B == (o.independent_of_b && B > 1 ? 1 : B), "%s: stored B %d", name, m->B);
    TT_CHECK(m->H == (o.independent_of_h && H > 1 ? 1 : H), "%s: stored H %d", name, m->H);
    TT_CHECK(attn_block_mask_bytes(m) > 0, "%s: bytes", name);
    check_mask(mask, ctx, m, name);
    attn_block_mask_free(m);
}

/* doc[q] == doc[kv] && kv <= q with random document lengths. */
static void test_docs(attn_pool *pool) {
    for (int iter = 0; iter < 20; iter++) {
        int32_t n = 1 + rnd(700);
        int32_t *doc = malloc((size_t)n * sizeof *doc);
        for (int32_t i = 0, id = 0; i < n; i++) {
            if (rnd(1 + rnd(200)) == 0)
                id++;
            doc[i] = id;
        }
        attn_param p = {.u.t = {.data = doc, .shape = {n}, .stride = {1}, .ndim = 1,
                                .dtype = ATTN_I32}};
        attn_ctx ctx = {.dims = {1 + rnd(2), 1 + rnd(3), 1, n, n}, .params = &p};
        attn_block_mask_opts o = random_opts(pool);
        o.independent_of_b = o.independent_of_h = rnd(2);
        build_and_check(bmdocs_hook_mask, &ctx, o, "docs");
        free(doc);
    }
}

/* keep[h, q, kv]: per block randomly all set, all clear or random bits. */
static void test_table(attn_pool *pool) {
    for (int iter = 0; iter < 20; iter++) {
        int32_t H = 1 + rnd(3), Q = 1 + rnd(400), KV = 1 + rnd(400), tile = 1 + rnd(40);
        uint8_t *keep = malloc((size_t)H * Q * KV);
        for (int32_t h = 0; h < H; h++)
            for (int32_t q = 0; q < Q; q++)
                for (int32_t kv = 0; kv < KV; kv++) {
                    int mode = (h * 7 + q / tile * 3 + kv / tile) % 3;
                    keep[((int64_t)h * Q + q) * KV + kv] = mode == 0 ? 1 : mode == 1 ? 0 : rnd(4) == 0;
                }
        attn_param p = {.u.t = {.data = keep, .shape = {H, Q, KV}, .stride = {(int64_t)Q * KV, KV, 1},
                                .ndim = 3, .dtype = ATTN_BOOL}};
        attn_ctx ctx = {.dims = {1 + rnd(2), H, 1, Q, KV}, .params = &p};
        attn_block_mask_opts o = random_opts(pool);
        o.independent_of_b = 1;
        build_and_check(bmtable_hook_mask, &ctx, o, "table");
        free(keep);
    }
}

static void test_natten_and_bh(attn_pool *pool) {
    for (int iter = 0; iter < 12; iter++) {
        int32_t w = 3 + rnd(30), k = 1 + 2 * rnd(w / 2 + 1);
        k = k > w ? w - (w % 2 == 0) : k;
        attn_ctx ctx = {.dims = {1, 1, 1, w * w, w * w, 0, 0, k, w}};
        attn_block_mask_opts o = random_opts(pool);
        o.independent_of_b = o.independent_of_h = 1;
        build_and_check(bm_natten_mask, &ctx, o, "natten");
        attn_ctx c2 = {.dims = {1 + rnd(3), 1 + rnd(3), 1, 1 + rnd(300), 1 + rnd(300)}};
        build_and_check(bm_bh_mask, &c2, random_opts(pool), "bh");
    }
}

/* A broadcast table equals the per-(b, h) table at every b and h. */
static void test_broadcast(attn_pool *pool) {
    int32_t n = 513;
    int32_t *doc = malloc((size_t)n * sizeof *doc);
    for (int32_t i = 0; i < n; i++)
        doc[i] = i / 97 + (i > 300);
    attn_param p = {.u.t = {.data = doc, .shape = {n}, .stride = {1}, .ndim = 1, .dtype = ATTN_I32}};
    attn_ctx ctx = {.dims = {2, 3, 1, n, n}, .params = &p};
    attn_block_mask_opts full = {.pool = pool, .block_kv = 32};
    attn_block_mask_opts bc = full;
    bc.independent_of_b = bc.independent_of_h = 1;
    attn_block_mask *a = NULL, *s = NULL;
    TT_CHECK(attn_block_mask_build_ctx(bmdocs_hook_mask, &ctx, &full, &a) == ATTN_OK, "per-b/h");
    TT_CHECK(attn_block_mask_build_ctx(bmdocs_hook_mask, &ctx, &bc, &s) == ATTN_OK, "broadcast");
    if (a && s) {
        TT_CHECK(s->B == 1 && s->H == 1 && a->B == 2 && a->H == 3, "stored dims");
        TT_CHECK(attn_block_mask_bytes(s) * 4 < attn_block_mask_bytes(a), "broadcast saves memory");
        for (int64_t r = 0; r < (int64_t)a->B * a->H * a->nqb; r++) {
            int64_t sr = r % a->nqb;
            TT_CHECK(a->kv_num_blocks[r] == s->kv_num_blocks[sr] &&
                         a->full_kv_num_blocks[r] == s->full_kv_num_blocks[sr] &&
                         !memcmp(a->kv_indices + r * a->nkvb, s->kv_indices + sr * s->nkvb,
                                 (size_t)a->nkvb * 4) &&
                         !memcmp(a->full_kv_indices + r * a->nkvb,
                                 s->full_kv_indices + sr * s->nkvb, (size_t)a->nkvb * 4),
                     "row %lld differs from the broadcast row", (long long)r);
        }
        attn_block_mask_view v = attn_block_mask_view_of(s);
        TT_CHECK(v.row_stride_b == 0 && v.row_stride_h == 0, "broadcast view strides");
        attn_block_mask_view va = attn_block_mask_view_of(a);
        TT_CHECK(va.row_stride_b == 3 * a->nqb && va.row_stride_h == a->nqb, "view strides");
    }
    attn_block_mask_free(a);
    attn_block_mask_free(s);
    free(doc);
}

/* Key ranges only save evaluations: same tables, fewer mask calls. */
static _Atomic long causal_calls;
static int32_t counting_causal(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    causal_calls++;
    return bm_causal_mask(b, h, q, kv, ctx);
}

static void test_ranges_skip(attn_pool *pool) {
    attn_ctx ctx = {.dims = {1, 1, 1, 1000, 1000}};
    attn_block_mask_opts plain = {.pool = pool}, ranged = {.pool = pool,
                                                           .kv_ranges = bm_causal_ranges};
    attn_block_mask *a = NULL, *r = NULL;
    causal_calls = 0;
    TT_CHECK(attn_block_mask_build_ctx(counting_causal, &ctx, &plain, &a) == ATTN_OK, "plain");
    long plain_calls = causal_calls;
    causal_calls = 0;
    TT_CHECK(attn_block_mask_build_ctx(counting_causal, &ctx, &ranged, &r) == ATTN_OK, "ranged");
    long ranged_calls = causal_calls;
    if (a && r) {
        check_mask(bm_causal_mask, &ctx, r, "causal+ranges");
        TT_CHECK(!memcmp(a->kv_num_blocks, r->kv_num_blocks,
                         (size_t)(attn_block_mask_bytes(a) - (int64_t)sizeof *a)),
                 "tables differ with key ranges");
        /* only blocks on the diagonal are evaluated, with an early exit */
        TT_CHECK(ranged_calls * 10 < plain_calls, "ranged %ld calls vs %ld", ranged_calls,
                 plain_calls);
        TT_CHECK(plain_calls < 1000L * 1000, "no early exit: %ld calls", plain_calls);
    }
    attn_block_mask_free(a);
    attn_block_mask_free(r);
}

static void test_errors_and_edges(attn_pool *pool) {
    attn_block_mask *m = (attn_block_mask *)1;
    attn_ctx ctx = {.dims = {1, 1, 1, 10, 10}};
    attn_block_mask_opts bad = {.block_q = -1};
    TT_CHECK(attn_block_mask_build_ctx(NULL, &ctx, NULL, &m) == ATTN_ERR_INVALID_ARG && !m, "NULL mask");
    TT_CHECK(attn_block_mask_build_ctx(bm_causal_mask, &ctx, &bad, &m) == ATTN_ERR_INVALID_ARG,
             "negative block");
    TT_CHECK(strstr(attn_last_error(), "block sizes") != NULL, "message: %s", attn_last_error());
    attn_ctx big = {.dims = {INT32_MAX, INT32_MAX, 1, INT32_MAX, INT32_MAX}};
    attn_block_mask_opts one = {.block_q = 1, .block_kv = 1, .pool = pool};
    TT_CHECK(attn_block_mask_build_ctx(bm_causal_mask, &big, &one, &m) == ATTN_ERR_NO_MEMORY,
             "huge mask rejected");
    const int32_t edges[][5] = {{0, 1, 1, 10, 10}, {1, 1, 1, 0, 10}, {1, 1, 1, 10, 0}, {1, 0, 1, 5, 5}};
    for (int i = 0; i < 4; i++) {
        attn_ctx e = {.dims = {edges[i][0], edges[i][1], 1, edges[i][3], edges[i][4]}};
        attn_block_mask_opts o = {.pool = pool, .independent_of_b = 1, .independent_of_h = 1};
        TT_CHECK(attn_block_mask_build_ctx(bm_causal_mask, &e, &o, &m) == ATTN_OK, "edge %d", i);
        if (m)
            check_mask(bm_causal_mask, &e, m, "edge");
        attn_block_mask_free(m);
    }
    TT_CHECK(attn_block_mask_build(bm_docs_variant(), 1, 1, 10, 10, NULL, 0, NULL, &m) ==
                 ATTN_ERR_INVALID_ARG, "missing tensor argument: %s", attn_last_error());
    attn_variant nomask = *bm_docs_variant();
    nomask.mask_fn = NULL;
    TT_CHECK(attn_block_mask_build(&nomask, 1, 1, 10, 10, NULL, 0, NULL, &m) == ATTN_ERR_UNSUPPORTED,
             "no mask hook");
    TT_CHECK(attn_block_mask_build(bm_docs_variant(), 1, 1, -1, 10, NULL, 0, NULL, &m) ==
                 ATTN_ERR_SHAPE, "negative Q");
    attn_block_mask_free(NULL);
    TT_CHECK(attn_block_mask_bytes(NULL) == 0, "bytes of NULL");
}

int main(void) {
    attn_pool *pool = NULL;
    if (attn_pool_create(3, &pool) != ATTN_OK) {
        fprintf(stderr, "pool: %s\n", attn_last_error());
        return 1;
    }
    test_docs(pool);
    test_table(pool);
    test_natten_and_bh(pool);
    test_broadcast(pool);
    test_ranges_skip(pool);
    test_errors_and_edges(pool);
    attn_pool_destroy(pool);
    if (tt_failures) {
        fprintf(stderr, "%d check(s) failed\n", tt_failures);
        return 1;
    }
    printf("blockmask builder: all checks passed\n");
    return 0;
}
