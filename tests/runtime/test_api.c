/* test_api.c - attn_forward's validation (every message asserted word for
 * word, and nothing written on failure), arguments and defaults, packs,
 * preconditions and free dimensions, the thread pool, devices, and
 * attn_merge_partials on split key ranges. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "test_variants.h"

/* Expects status `want` and exactly message `msg`. */
#define EXPECT_ERR(call, want, msg)                                                          \
    do {                                                                                     \
        attn_status s_ = (call);                                                             \
        TT_CHECK(s_ == (want) && strcmp(attn_last_error(), (msg)) == 0,                      \
                 "got %s \"%s\", expected %s \"%s\"", attn_status_name(s_), attn_last_error(), \
                 attn_status_name(want), (msg));                                             \
    } while (0)

/* A launch's tensors: q k v out lse of the given sizes (dtype of q/k/v/out). */
typedef struct ta_io {
    tt_tensor q, k, v, out, lse;
} ta_io;

static void ta_make(ta_io *io, int32_t dt, int64_t B, int64_t H, int64_t HKV, int64_t Q, int64_t KV,
                    int64_t D, int64_t DV) {
    tt_alloc(&io->q, dt, 4, (int64_t[]){B, H, Q, D}, TT_COMPACT);
    tt_alloc(&io->k, dt, 4, (int64_t[]){B, HKV, KV, D}, TT_COMPACT);
    tt_alloc(&io->v, dt, 4, (int64_t[]){B, HKV, KV, DV}, TT_COMPACT);
    tt_alloc(&io->out, dt, 4, (int64_t[]){B, H, Q, DV}, TT_COMPACT);
    tt_alloc(&io->lse, ATTN_F32, 3, (int64_t[]){B, H, Q}, TT_COMPACT);
    tt_fill_random(&io->q, 1, 1);
    tt_fill_random(&io->k, 2, 1);
    tt_fill_random(&io->v, 3, 1);
}

static void ta_free(ta_io *io) {
    tt_free(&io->q);
    tt_free(&io->k);
    tt_free(&io->v);
    tt_free(&io->out);
    tt_free(&io->lse);
}

static attn_status ta_run(const attn_variant *var, ta_io *io, const attn_arg *args, int32_t nargs,
                          const attn_launch_opts *opts) {
    return attn_forward(var, &io->q.t, &io->k.t, &io->v.t, &io->out.t, &io->lse.t, args, nargs, opts);
}

static void ta_tensor_checks(void) {
    const attn_variant *none = tv_variant(TV_NONE);
    ta_io io;
    ta_make(&io, ATTN_F16, 1, 2, 1, 5, 7, 16, 16);
    for (int64_t i = 0; i < 5; i++)
        tt_set(&io.out, (int64_t[]){0, 0, i, 0}, 42.0);

    io.q.t.ndim = 3;
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_SHAPE,
               "q: expected 4 dimensions [B, H, Q, D], got 3");
    io.q.t.ndim = 4;

    io.k.t.dtype = tt_dl(ATTN_BF16);
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_DTYPE, "k: dtype bf16 does not match q's f16");
    io.k.t.dtype = tt_dl(ATTN_F16);

    io.q.t.dtype = tt_dl(ATTN_I32);
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_DTYPE,
               "q: unsupported dtype i32 (expected f32, f16 or bf16)");
    io.q.t.dtype = tt_dl(ATTN_F16);

    int64_t vstrides[4] = {7 * 16, 7 * 16, 16, 2};
    io.v.shape[3] = 8;
    io.out.shape[3] = 8;
    io.v.t.strides = vstrides;
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_SHAPE,
               "v: last dimension must be contiguous (stride 1), got stride 2");
    io.v.t.strides = NULL;
    io.v.shape[3] = 16;
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_SHAPE,
               "out: dimension 3 (DV) is 8, expected 16 (from v)");
    io.out.shape[3] = 16;

    io.k.shape[2] = 6;
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_SHAPE,
               "v: dimension 2 (KV) is 7, expected 6 (from k)");
    io.k.shape[2] = 7;

    io.lse.t.dtype = tt_dl(ATTN_F16);
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_DTYPE, "lse: dtype must be f32, got f16");
    io.lse.t.dtype = tt_dl(ATTN_F32);
    io.lse.shape[2] = 4;
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_SHAPE,
               "lse: dimension 2 (Q) is 4, expected 5 (from q)");
    io.lse.shape[2] = 5;

    io.q.t.device.device_type = kDLCUDA;
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_UNSUPPORTED,
               "q: tensor is on device type 2:0, expected cpu");
    io.q.t.device.device_type = kDLCPU;

    EXPECT_ERR(attn_forward(none, &io.q.t, NULL, &io.v.t, &io.out.t, NULL, NULL, 0, NULL),
               ATTN_ERR_INVALID_ARG, "k: missing tensor");
    EXPECT_ERR(attn_forward(NULL, &io.q.t, &io.k.t, &io.v.t, &io.out.t, NULL, NULL, 0, NULL),
               ATTN_ERR_INVALID_ARG, "variant is NULL");
    attn_launch_opts cuda = {.device = ATTN_DEVICE_CUDA};
    EXPECT_ERR(ta_run(none, &io, NULL, 0, &cuda), ATTN_ERR_UNSUPPORTED,
               "CUDA unavailable: attn_forward runs CPU kernels; GPU kernels launch through "
               "attn_forward_gpu (attn_gpu.h)");
    attn_variant scan = *none;
    scan.kind = ATTN_KIND_SCAN;
    EXPECT_ERR(ta_run(&scan, &io, NULL, 0, NULL), ATTN_ERR_INVALID_ARG,
               "none is a scan, not an attention variant");

    for (int64_t i = 0; i < 5; i++)
        TT_CHECK(tt_get(&io.out, (int64_t[]){0, 0, i, 0}) == 42.0, "out written by a failed launch");
    TT_CHECK(ta_run(none, &io, NULL, 0, NULL) == ATTN_OK, "%s", attn_last_error());
    ta_free(&io);

    ta_make(&io, ATTN_F32, 1, 6, 4, 5, 5, 16, 16);
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_SHAPE, "H=6 is not a multiple of HKV=4");
    ta_free(&io);

    ta_make(&io, ATTN_F32, 1, 1, 1, 2, 2, 1024, 16);
    EXPECT_ERR(ta_run(none, &io, NULL, 0, NULL), ATTN_ERR_UNSUPPORTED,
               "D=1024 exceeds the CPU kernel's limit of 512");
    ta_free(&io);
}

static void ta_argument_checks(void) {
    ta_io io;
    ta_make(&io, ATTN_F32, 1, 2, 2, 20, 20, 16, 16);
    const attn_variant *cap = tv_variant(TV_SOFTCAP), *win = tv_variant(TV_WINDOW);
    TT_CHECK(attn_find_param(cap, "cap") == 0 && attn_find_param(cap, "w") == -1, "find_param");
    EXPECT_ERR(ta_run(cap, &io, NULL, 0, NULL), ATTN_ERR_INVALID_ARG,
               "missing argument for parameter 'cap' (f32)");
    attn_arg a[2] = {attn_arg_i32(0, 3), attn_arg_f32(0, 3.0f)};
    EXPECT_ERR(ta_run(cap, &io, a, 1, NULL), ATTN_ERR_INVALID_ARG, "cap: expected a f32 argument, got i32");
    EXPECT_ERR(ta_run(cap, &io, a, 2, NULL), ATTN_ERR_INVALID_ARG, "cap: argument given twice");
    a[0] = attn_arg_f32(1, 3.0f);
    EXPECT_ERR(ta_run(cap, &io, a, 1, NULL), ATTN_ERR_INVALID_ARG,
               "argument 0: parameter index 1 out of range (softcap has 1 parameters)");
    /* window's w defaults to 4095 (everything causal visible here) */
    TT_CHECK(ta_run(win, &io, NULL, 0, NULL) == ATTN_OK, "%s", attn_last_error());
    tt_tensor ref;
    tt_alloc(&ref, ATTN_F32, 4, (int64_t[]){1, 2, 20, 16}, TT_COMPACT);
    memcpy(ref.mem, io.out.mem, sizeof(float) * 2 * 20 * 16);
    TT_CHECK(ta_run(tv_variant(TV_CAUSAL), &io, NULL, 0, NULL) == ATTN_OK, "%s", attn_last_error());
    TT_CHECK(memcmp(ref.mem, io.out.mem, sizeof(float) * 2 * 20 * 16) == 0, "default w differs from causal");
    tt_free(&ref);

    /* packs */
    const attn_variant *docs = tv_variant(TV_DOCS);
    static const int32_t bad[][4] = {{3, 10, 15, 20}, {0, 5, 5, 20}, {0, 5, 10, 15}};
    static const char *const msgs[] = {
        "docs: offsets must start at 0, got 3",
        "docs: offsets must be increasing, got 5 after 5 at index 2",
        "docs: offsets must end at the length 20 (KV), got 15",
    };
    tt_tensor off;
    tt_alloc(&off, ATTN_I32, 1, (int64_t[]){4}, TT_COMPACT);
    attn_arg pa = attn_arg_pack(0, &off.t);
    for (int i = 0; i < 3; i++) {
        memcpy(off.mem, bad[i], sizeof bad[i]);
        EXPECT_ERR(ta_run(docs, &io, &pa, 1, NULL), ATTN_ERR_SHAPE, msgs[i]);
    }
    off.shape[0] = 1;
    EXPECT_ERR(ta_run(docs, &io, &pa, 1, NULL), ATTN_ERR_SHAPE,
               "docs: pack offsets need at least 2 entries (0 and the length), got 1");
    off.shape[0] = 4;
    off.t.dtype = tt_dl(ATTN_F32);
    EXPECT_ERR(ta_run(docs, &io, &pa, 1, NULL), ATTN_ERR_DTYPE, "docs: pack offsets must be i32, got f32");
    off.t.dtype = tt_dl(ATTN_I32);
    attn_arg wrong = attn_arg_tensor(0, &off.t);
    EXPECT_ERR(ta_run(docs, &io, &wrong, 1, NULL), ATTN_ERR_INVALID_ARG,
               "docs: expected a pack argument, got tensor");
    memcpy(off.mem, (int32_t[]){0, 5, 12, 20}, 4 * sizeof(int32_t));
    TT_CHECK(ta_run(docs, &io, &pa, 1, NULL) == ATTN_OK, "%s", attn_last_error());
    tt_free(&off);
    ta_free(&io);
}

/* A variant with tensor parameters: doc: i32[KV] read at doc[q] (needs
 * len >= Q), bias: f32[R] and scale2: f32[R] sharing the free dimension R. */
static void ta_tensor_params(void) {
    static const char *const dims[] = {"B", "H", "HKV", "Q", "KV", "D", "DV", "R"};
    static const attn_param_desc params[] = {
        {.name = "doc", .kind = ATTN_PARAM_TENSOR, .dtype = ATTN_I32, .rank = 1,
         .dim_id = {ATTN_DIM_KV}, .pack_dim = -1},
        {.name = "bias", .kind = ATTN_PARAM_TENSOR, .dtype = ATTN_F32, .rank = 1, .dim_id = {7},
         .pack_dim = -1},
        {.name = "scale2", .kind = ATTN_PARAM_TENSOR, .dtype = ATTN_F32, .rank = 2,
         .dim_id = {7, -1}, .dim_const = {0, 4}, .pack_dim = -1},
    };
    static const attn_precond pre[] = {{.param = 0, .axis = 0, .c = 0, .nterms = 1,
                                        .dim = {ATTN_DIM_Q}, .coef = {1}}};
    attn_variant var = *tv_variant(TV_NONE);
    var.name = "tensors";
    var.dims = dims;
    var.ndims = 8;
    var.params = params;
    var.nparams = 3;
    var.preconds = pre;
    var.npreconds = 1;
    ta_io io;
    ta_make(&io, ATTN_F32, 1, 1, 1, 300, 200, 16, 16);
    tt_tensor doc, bias, sc;
    tt_alloc(&doc, ATTN_I32, 1, (int64_t[]){200}, TT_COMPACT);
    tt_alloc(&bias, ATTN_F32, 1, (int64_t[]){5}, TT_COMPACT);
    tt_alloc(&sc, ATTN_F32, 2, (int64_t[]){6, 4}, TT_COMPACT);
    attn_arg a[3] = {attn_arg_tensor(0, &doc.t), attn_arg_tensor(1, &bias.t), attn_arg_tensor(2, &sc.t)};
    EXPECT_ERR(ta_run(&var, &io, a, 3, NULL), ATTN_ERR_SHAPE,
               "scale2: dimension 0 (R) is 6, but bias's dimension 0 made it 5");
    sc.shape[0] = 5;
    sc.shape[1] = 3;
    EXPECT_ERR(ta_run(&var, &io, a, 3, NULL), ATTN_ERR_SHAPE, "scale2: dimension 1 must be 4, got 3");
    sc.shape[1] = 4;
    EXPECT_ERR(ta_run(&var, &io, a, 3, NULL), ATTN_ERR_SHAPE,
               "doc: needs at least 300 elements along dimension 0 (KV), got 200");
    doc.t.dtype = tt_dl(ATTN_F32);
    EXPECT_ERR(ta_run(&var, &io, a, 3, NULL), ATTN_ERR_DTYPE, "doc: expected i32 elements, got f32");
    doc.t.dtype = tt_dl(ATTN_I32);
    doc.t.ndim = 2;
    EXPECT_ERR(ta_run(&var, &io, a, 3, NULL), ATTN_ERR_SHAPE, "doc: expected 1 dimension, got 2");
    doc.t.ndim = 1;
    doc.shape[0] = 100; /* an axis declared KV must hold at least KV elements */
    EXPECT_ERR(ta_run(&var, &io, a, 3, NULL), ATTN_ERR_SHAPE,
               "doc: dimension 0 (KV) must be at least 200, got 100");
    doc.shape[0] = 300; /* the buffer is only used for its shape here */
    TT_CHECK(ta_run(&var, &io, a, 3, NULL) == ATTN_OK, "%s", attn_last_error());
    /* The same binding for host-side hook calls: the free dimension R bound,
     * the slots pointing at the tensors; the same messages. */
    attn_ctx ctx = {.dims = {1, 1, 1, 300, 200, 16, 16}};
    attn_bound *bound = NULL;
    TT_CHECK(attn_bind_args(&var, a, 3, &ctx, &bound) == ATTN_OK && bound && ctx.dims[7] == 5 &&
                 ctx.params[1].u.t.data == bias.t.data && ctx.params[2].u.t.shape[1] == 4,
             "attn_bind_args: %s", attn_last_error());
    attn_bound_free(bound);
    bound = NULL;
    EXPECT_ERR(attn_bind_args(&var, a, 2, &ctx, &bound), ATTN_ERR_INVALID_ARG,
               "missing argument for parameter 'scale2' (tensor)");
    TT_CHECK(!bound, "nothing bound after an error");
    tt_free(&doc);
    tt_free(&bias);
    tt_free(&sc);
    ta_free(&io);
}

/* Own pools, thread limits and ATTN_NUM_THREADS give bit-identical results;
 * many tiny launches in a row exercise the pool's hand-offs. */
static void ta_pool(void) {
    ta_io io;
    ta_make(&io, ATTN_F32, 2, 4, 2, 300, 257, 32, 48);
    TT_CHECK(ta_run(tv_variant(TV_CAUSAL), &io, NULL, 0, NULL) == ATTN_OK, "%s", attn_last_error());
    size_t bytes = sizeof(float) * 2 * 4 * 300 * 48;
    float *ref = malloc(bytes);
    memcpy(ref, io.out.mem, bytes);
    setenv("ATTN_NUM_THREADS", "3", 1);
    attn_pool *pool = NULL;
    TT_CHECK(attn_pool_create(0, &pool) == ATTN_OK && attn_pool_size(pool) == 3, "pool size");
    unsetenv("ATTN_NUM_THREADS");
    attn_launch_opts opts[] = {{.pool = pool}, {.pool = pool, .num_threads = 1}, {.num_threads = 1}};
    for (int i = 0; i < 3; i++) {
        memset(io.out.mem, 0, bytes);
        TT_CHECK(ta_run(tv_variant(TV_CAUSAL), &io, NULL, 0, &opts[i]) == ATTN_OK, "%s", attn_last_error());
        TT_CHECK(memcmp(ref, io.out.mem, bytes) == 0, "pool option %d changed the result", i);
    }
    ta_free(&io);
    ta_make(&io, ATTN_F32, 1, 1, 1, 3, 3, 16, 16);
    for (int i = 0; i < 300; i++)
        TT_CHECK(ta_run(tv_variant(TV_NONE), &io, NULL, 0, &opts[i % 2]) == ATTN_OK, "%s", attn_last_error());
    ta_free(&io);
    attn_pool_destroy(pool);
    attn_pool_destroy(NULL);
    free(ref);
}

/* Work items run largest first: with one worker, a causal launch visits the
 * query blocks from the last (most visible keys) to the first. */
static int32_t ta_order[64], ta_norder;

static void ta_record_fwd(const attn_fwd_args *a, const attn_ctx *ctx, int32_t b, int32_t h,
                          int32_t qblock) {
    if (ta_norder < 64)
        ta_order[ta_norder++] = qblock;
}

static void ta_work_order(void) {
    attn_variant rec = *tv_variant(TV_CAUSAL);
    rec.cpu_fwd = ta_record_fwd;
    ta_io io;
    ta_make(&io, ATTN_F32, 1, 1, 1, 5 * ATTN_CPU_BLOCK_Q, 5 * ATTN_CPU_BLOCK_Q, 16, 16);
    attn_launch_opts one = {.num_threads = 1};
    ta_norder = 0;
    TT_CHECK(ta_run(&rec, &io, NULL, 0, &one) == ATTN_OK, "%s", attn_last_error());
    TT_CHECK(ta_norder == 5, "%d work items", (int)ta_norder);
    for (int32_t i = 0; i < ta_norder; i++)
        TT_CHECK(ta_order[i] == 4 - i, "item %d ran query block %d", (int)i, (int)ta_order[i]);
    ta_free(&io);
}

/* Attention over all keys == merge of attention over the two halves, with
 * the halves given as strided views of the same k and v. */
static void ta_merge(void) {
    const int64_t KV = 150, half = 70;
    ta_io all, p1, p2;
    ta_make(&all, ATTN_F32, 1, 2, 1, 40, KV, 32, 24);
    ta_make(&p1, ATTN_F32, 1, 2, 1, 40, half, 32, 24);
    ta_make(&p2, ATTN_F32, 1, 2, 1, 40, KV - half, 32, 24);
    TT_CHECK(ta_run(tv_variant(TV_NONE), &all, NULL, 0, NULL) == ATTN_OK, "%s", attn_last_error());
    int64_t kst[4] = {KV * 32, KV * 32, 32, 1}, vst[4] = {KV * 24, KV * 24, 24, 1};
    DLTensor k1 = all.k.t, v1 = all.v.t, k2 = all.k.t, v2 = all.v.t;
    int64_t k1s[4] = {1, 1, half, 32}, v1s[4] = {1, 1, half, 24};
    int64_t k2s[4] = {1, 1, KV - half, 32}, v2s[4] = {1, 1, KV - half, 24};
    k1.shape = k1s, v1.shape = v1s, k2.shape = k2s, v2.shape = v2s;
    k1.strides = k2.strides = kst;
    v1.strides = v2.strides = vst;
    k2.byte_offset = sizeof(float) * half * 32;
    v2.byte_offset = sizeof(float) * half * 24;
    const attn_variant *none = tv_variant(TV_NONE);
    /* the halves use the scale of the full D (same D), so results compose */
    TT_CHECK(attn_forward(none, &all.q.t, &k1, &v1, &p1.out.t, &p1.lse.t, NULL, 0, NULL) == ATTN_OK,
             "%s", attn_last_error());
    TT_CHECK(attn_forward(none, &all.q.t, &k2, &v2, &p2.out.t, &p2.lse.t, NULL, 0, NULL) == ATTN_OK,
             "%s", attn_last_error());
    TT_CHECK(attn_merge_partials(&p1.out.t, &p1.lse.t, &p2.out.t, &p2.lse.t) == ATTN_OK, "%s",
             attn_last_error());
    double worst = 0;
    for (int64_t h = 0; h < 2; h++)
        for (int64_t q = 0; q < 40; q++) {
            worst = fmax(worst, fabs(tt_get(&p1.lse, (int64_t[]){0, h, q}) - tt_get(&all.lse, (int64_t[]){0, h, q})));
            for (int64_t d = 0; d < 24; d++)
                worst = fmax(worst, fabs(tt_get(&p1.out, (int64_t[]){0, h, q, d}) -
                                         tt_get(&all.out, (int64_t[]){0, h, q, d})));
        }
    TT_CHECK(worst < 1e-5, "merged partials differ by %g", worst);
    p2.lse.shape[2] = 3;
    EXPECT_ERR(attn_merge_partials(&p1.out.t, &p1.lse.t, &p2.out.t, &p2.lse.t), ATTN_ERR_SHAPE,
               "lse_b: dimension 2 is 3, expected 40");
    p2.lse.shape[2] = 40;
    ta_free(&all);
    ta_free(&p1);
    ta_free(&p2);
}

int main(void) {
    TT_CHECK(strcmp(attn_status_name(ATTN_ERR_SHAPE), "ATTN_ERR_SHAPE") == 0, "status name");
    ta_tensor_checks();
    ta_argument_checks();
    ta_tensor_params();
    ta_pool();
    ta_work_order();
    ta_merge();
    if (tt_failures)
        fprintf(stderr, "%d check(s) failed\n", tt_failures);
    return tt_failures != 0;
}
