/* jit_hooks.c - JIT-compiles the variants of jit_cases.attn with the probe
 * template (kernels/attn_probe.c) and checks their hooks at sample
 * (b, h, q, kv) points against values computed here in C.
 * usage: codegen_jit_hooks jit_cases.attn */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attn_probe.h"
#include "cg.h"
#include "compiler.h"

typedef void (*probe_fn)(const attn_ctx *, attn_probe_io *);
typedef float (*scale_fn)(const attn_ctx *);

enum { NQ = 10, NKV = 10, NPTS = NQ * NKV };

static int failures;
static CgJit *jit;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                           \
            printf(__VA_ARGS__);                                                                  \
            printf("\n");                                                                         \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

static int32_t floordiv(int32_t a, int32_t b) { return b == 0 ? 0 : (int32_t)floor((double)a / b); }
static int32_t floormod(int32_t a, int32_t b) { return b == 0 ? a : a - floordiv(a, b) * b; }

static attn_ctx make_ctx(const attn_param *params)
{
    attn_ctx ctx = {.dims = {2, 4, 4, NQ, NKV, 64, 64}, .params = params};
    return ctx;
}

/* Runs variant `name`'s probe over the NQ x NKV grid at b = 1, h = 2 with raw score s. */
static void probe(const char *name, const attn_ctx *ctx, float s, attn_probe_point *pts,
                  attn_probe_io *io)
{
    char err[CG_ERR_LEN];
    probe_fn f = (probe_fn)cg_jit_lookup(jit, name, "attn_probe", err);
    CHECK(f, "%s", err);
    for (int i = 0; i < NPTS; i++)
        pts[i] = (attn_probe_point){.b = 1, .h = 2, .q = i / NKV, .kv = i % NKV, .s = s};
    *io = (attn_probe_io){.pts = pts, .npts = NPTS, .q0 = 0, .q1 = NQ};
    if (f)
        f(ctx, io);
}

static float scale_of(const char *name, const attn_ctx *ctx)
{
    char err[CG_ERR_LEN];
    scale_fn f = (scale_fn)cg_jit_lookup(jit, name, "attn_hook_scale", err);
    CHECK(f, "%s", err);
    return f ? f(ctx) : NAN;
}

static void test_floor_ops(void)
{
    static const int32_t zs[] = {0, 3, -3, 7};
    for (size_t k = 0; k < sizeof zs / sizeof zs[0]; k++) {
        attn_param params[1] = {{.u.i = zs[k]}};
        attn_ctx ctx = make_ctx(params);
        attn_probe_point pts[NPTS];
        attn_probe_io io;
        probe("floor_ops", &ctx, 0.0f, pts, &io);
        for (int i = 0; i < NPTS; i++) {
            const attn_probe_point *p = &pts[i];
            int32_t d = p->kv - p->q, z = zs[k];
            float want = (float)floordiv(d, 3) * 1000.0f + (float)floormod(d, 3) * 10.0f +
                         (float)floordiv(p->q, z) + (float)floormod(p->kv, z) * 0.5f;
            CHECK(p->score == want, "floor_ops z=%d q=%d kv=%d: score %g, want %g", z, p->q, p->kv,
                  p->score, want);
            CHECK(p->mask == (floormod(p->q - p->kv, 4) != 1), "floor_ops mask q=%d kv=%d", p->q, p->kv);
        }
        CHECK(io.nranges == 1 && io.ranges[0].lo == 0 && io.ranges[0].hi == NKV && !io.ranges[0].full,
              "floor_ops kv_ranges");
        CHECK(io.mask_cost == ATTN_MASK_COST_HEAVY, "floor_ops: attn_hook_mask_cost %d", io.mask_cost);
    }
}

static void test_bits(void)
{
    static const int32_t ns[] = {3, 40, -1, 31};
    static const float ss[] = {0.5f, -3.0f, 1e-10f};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (size_t m = 0; m < sizeof ss / sizeof ss[0]; m++) {
            attn_param params[1] = {{.u.i = ns[k]}};
            attn_ctx ctx = make_ctx(params);
            attn_probe_point pts[NPTS];
            attn_probe_io io;
            probe("bits", &ctx, ss[m], pts, &io);
            float big = ss[m] * 1e10f; /* in f32, as the variant computes it */
            int32_t sat = big >= 2147483647.0f ? INT32_MAX : big <= -2147483648.0f ? INT32_MIN : (int32_t)big;
            for (int i = 0; i < NPTS; i++) {
                const attn_probe_point *p = &pts[i];
                int32_t n = ns[k];
                int32_t shl = n >= 0 && n <= 31 ? (int32_t)((uint32_t)p->q << n) : 0;
                float want = (float)(shl >> 1) + (float)((p->q & 6) ^ (p->kv | 1)) * 100.0f;
                want += (float)sat;
                CHECK(p->score == want, "bits n=%d s=%g q=%d kv=%d: %g, want %g", n, ss[m], p->q, p->kv,
                      p->score, want);
                CHECK(p->mask == 1, "bits mask");
            }
            CHECK(scale_of("bits", &ctx) == 0.5f, "bits scale");
            CHECK(io.mask_cost == ATTN_MASK_COST_COMPARE, "bits: attn_hook_mask_cost %d", io.mask_cost);
        }
}

static void test_softcap(void)
{
    static const float ss[] = {-200.0f, -10.0f, 0.0f, 0.3f, 3.0f, 49.0f, 1000.0f, INFINITY};
    attn_param params[1] = {{.u.f = 50.0f}};
    attn_ctx ctx = make_ctx(params);
    for (size_t k = 0; k < sizeof ss / sizeof ss[0]; k++) {
        attn_probe_point pts[NPTS];
        attn_probe_io io;
        probe("softcapped", &ctx, ss[k], pts, &io);
        double want = 50.0 * tanh((double)ss[k] / 50.0);
        CHECK(fabs(pts[7].score - want) <= 4e-7 * 50.0, "softcap(%g) = %.9g, want %.9g", ss[k],
              pts[7].score, want);
        CHECK(io.nranges == 1 && io.ranges[0].full == 1 && io.ranges[0].hi == NKV, "softcap ranges");
        CHECK(io.mask_cost == ATTN_MASK_COST_COMPARE, "softcap: attn_hook_mask_cost %d", io.mask_cost);
    }
    CHECK(scale_of("softcapped", &ctx) == 0.125f, "default scale 1/sqrt(64)");
}

static void test_alibi_mixed(void)
{
    /* slopes: every other element (stride 2); biasb [H, KV] with row stride 16. */
    float slopes[8] = {0.5f, -1, 0.25f, -1, 0.125f, -1, 0.0625f, -1};
    uint16_t bias16[NKV], biasb[4 * 16];
    static const uint16_t halves[4] = {0x3800, 0xC000, 0x3E00, 0x3400}; /* .5 -2 1.5 .25 */
    static const float half_vals[4] = {0.5f, -2.0f, 1.5f, 0.25f};
    for (int i = 0; i < NKV; i++)
        bias16[i] = halves[i % 4];
    for (int i = 0; i < 4 * 16; i++)
        biasb[i] = 0x3F40; /* 0.75 in bf16 */
    biasb[2 * 16 + 5] = 0xC0A0; /* -5.0 */
    attn_param params[3] = {0};
    params[0].u.t = (attn_tensor_arg){.data = slopes, .shape = {4}, .stride = {2}, .ndim = 1};
    params[1].u.t = (attn_tensor_arg){.data = bias16, .shape = {NKV}, .stride = {1}, .ndim = 1,
                                      .dtype = ATTN_F16};
    params[2].u.t = (attn_tensor_arg){.data = biasb, .shape = {4, NKV}, .stride = {16, 1}, .ndim = 2,
                                      .dtype = ATTN_BF16};
    attn_ctx ctx = make_ctx(params);
    attn_probe_point pts[NPTS];
    attn_probe_io io;
    probe("alibi_mixed", &ctx, 1.0f, pts, &io);
    for (int i = 0; i < NPTS; i++) {
        const attn_probe_point *p = &pts[i];
        float bb = p->kv == 5 ? -5.0f : 0.75f;
        float want = 1.0f + slopes[2 * p->h] * (float)(p->kv - p->q) + half_vals[p->kv % 4] + bb;
        CHECK(p->score == want, "alibi q=%d kv=%d: %g, want %g", p->q, p->kv, p->score, want);
        CHECK(p->mask == (p->kv <= p->q), "alibi mask");
    }
    CHECK(io.mask_cost == ATTN_MASK_COST_COMPARE, "alibi: attn_hook_mask_cost %d", io.mask_cost);
}

static void test_packed(void)
{
    int32_t offsets[4] = {0, 3, 7, 10}, seg_of[NQ];
    for (int i = 0; i < NQ; i++)
        seg_of[i] = i < 3 ? 0 : i < 7 ? 1 : 2;
    attn_param params[1];
    params[0].u.p = (attn_pack_arg){.offsets = offsets, .seg_of = seg_of, .nseg = 3, .length = NQ};
    attn_ctx ctx = make_ctx(params);
    attn_probe_point pts[NPTS];
    attn_probe_io io;
    probe("packed", &ctx, 0.0f, pts, &io);
    for (int i = 0; i < NPTS; i++) {
        const attn_probe_point *p = &pts[i];
        int sq = seg_of[p->q], sk = seg_of[p->kv];
        int pos_kv = p->kv - offsets[sk], len_q = offsets[sq + 1] - offsets[sq];
        float want = (float)(pos_kv * 1000 + len_q * 10 + sq) +
                     (float)(offsets[sk] + offsets[sq + 1]) * 0.001f;
        CHECK(p->score == want, "packed q=%d kv=%d: %g, want %g", p->q, p->kv, p->score, want);
        CHECK(p->mask == (sq == sk && p->kv <= p->q), "packed mask q=%d kv=%d", p->q, p->kv);
    }
    CHECK(io.mask_cost == ATTN_MASK_COST_PACK, "packed: attn_hook_mask_cost %d", io.mask_cost);
}

/* A mask by key blocks (a divided key) and one by a tensor of ids: their
 * values, and attn_hook_mask_cost HEAVY, like floor_ops' `%`; the other
 * variants' tests check COMPARE for theirs and PACK for p.same. */
static void test_costly_masks(void)
{
    attn_param params[1] = {{.u.i = 3}};
    attn_ctx ctx = make_ctx(params);
    attn_probe_point pts[NPTS];
    attn_probe_io io;
    probe("key_blocks", &ctx, 0.0f, pts, &io);
    for (int i = 0; i < NPTS; i++)
        CHECK(pts[i].mask == (pts[i].kv / 3 <= pts[i].q / 3), "key_blocks mask q=%d kv=%d",
              pts[i].q, pts[i].kv);
    CHECK(io.mask_cost == ATTN_MASK_COST_HEAVY, "key_blocks: attn_hook_mask_cost %d", io.mask_cost);

    int32_t doc[NKV] = {0, 0, 1, 1, 1, 2, 2, 3, 3, 3};
    params[0].u.t = (attn_tensor_arg){.data = doc, .shape = {NKV}, .stride = {1}, .ndim = 1,
                                      .dtype = ATTN_I32};
    probe("doc_ids", &ctx, 0.0f, pts, &io);
    for (int i = 0; i < NPTS; i++)
        CHECK(pts[i].mask == (doc[pts[i].q] == doc[pts[i].kv]), "doc_ids mask q=%d kv=%d",
              pts[i].q, pts[i].kv);
    CHECK(io.mask_cost == ATTN_MASK_COST_HEAVY, "doc_ids: attn_hook_mask_cost %d", io.mask_cost);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s jit_cases.attn\n", argv[0]);
        return 2;
    }
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[1]);
    if (!m || c.diags.errors) {
        compilation_free(&c);
        return 1;
    }
    Decl *decls[16];
    int n = 0;
    for (int i = 0; i < m->ndecls && n < 16; i++)
        if (m->decls[i]->kind == DECL_ATTENTION)
            decls[n++] = m->decls[i];
    char err[CG_ERR_LEN];
    jit = cg_jit_create(&c.arena, decls, n, "attn_probe", err);
    if (!jit) {
        printf("FAIL: JIT: %s\n", err);
        compilation_free(&c);
        return 1;
    }
    test_floor_ops();
    test_bits();
    test_softcap();
    test_alibi_mixed();
    test_packed();
    test_costly_masks();
    cg_jit_free(jit);
    compilation_free(&c);
    printf("%s: %d variants, %d failures\n", argv[0], n, failures);
    return failures != 0;
}
