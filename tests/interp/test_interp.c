/* test_interp.c - the reference interpreter (compiler/interp.h) against
 * hand-computed values: each case compiles a small .attn program with
 * compile_buffer, runs the interpreter on tiny inputs and compares with
 * numbers worked out by hand or by a plain C loop written here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "interp.h"

static int failures;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            failures++;                                                                 \
        }                                                                               \
    } while (0)

static void check_near(const char *what, double got, double want, int line)
{
    bool same = (isnan(got) && isnan(want)) || got == want || fabs(got - want) <= 1e-12 * (1 + fabs(want));
    if (!same) {
        fprintf(stderr, "%s:%d: %s: got %.17g, want %.17g\n", __FILE__, line, what, got, want);
        failures++;
    }
}
#define NEAR(got, want) check_near(#got, (got), (want), __LINE__)

/* ------------------------------------------------------------ fixtures */

/* One compiled program; decl() finds its declarations. */
typedef struct Prog {
    Compilation c;
    Module *m;
} Prog;

static bool prog_compile(Prog *p, const char *src)
{
    compilation_init(&p->c, stderr);
    p->m = compile_buffer(&p->c, "test.attn", src, strlen(src));
    if (!p->m || p->c.diags.errors) {
        fprintf(stderr, "compile failed:\n%s\n", src);
        failures++;
        return false;
    }
    return true;
}

static void prog_free(Prog *p)
{
    diag_finish(&p->c.diags);
    compilation_free(&p->c);
}

static const Decl *decl(const Prog *p, const char *name)
{
    const Decl *d = module_find(p->m, name);
    if (!d)
        fprintf(stderr, "no declaration '%s'\n", name);
    return d;
}

/* A contiguous tensor over `data` with the given shape. */
static attn_tensor_arg tensor(const void *data, attn_dtype dt, int ndim, const int64_t *shape)
{
    attn_tensor_arg t = {.data = data, .ndim = ndim, .dtype = dt};
    int64_t stride = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        t.shape[i] = shape[i];
        t.stride[i] = stride;
        stride *= shape[i];
    }
    return t;
}

static attn_tensor_arg tensor4(const float *data, int64_t a, int64_t b, int64_t c, int64_t d)
{
    const int64_t shape[4] = {a, b, c, d};
    return tensor(data, ATTN_F32, 4, shape);
}

static attn_pack_arg pack(const int32_t *offsets, int32_t nseg)
{
    return (attn_pack_arg){.offsets = offsets, .nseg = nseg, .length = offsets[nseg]};
}

static void attn_dims(attn_ctx *ctx, int b, int h, int hkv, int q, int kv, int d, int dv)
{
    memset(ctx->dims, 0, sizeof ctx->dims);
    const int32_t v[DIM_STANDARD_COUNT] = {b, h, hkv, q, kv, d, dv};
    memcpy(ctx->dims, v, sizeof v);
}

/* ------------------------------------------------------------ attention */

/* D = 1, q = 1, k = kv: s[q][kv] = kv; causal rows are softmax over 0..q. */
static void test_causal(void)
{
    Prog p;
    if (!prog_compile(&p, "mask causal = kv <= q;\n"
                          "attention c() { mask = causal; }\n"))
        return prog_free(&p);
    const float q[3] = {1, 1, 1}, k[3] = {0, 1, 2}, v[3] = {1, 2, 6};
    attn_ctx ctx = {.params = NULL};
    attn_dims(&ctx, 1, 1, 1, 3, 3, 1, 1);
    attn_tensor_arg tq = tensor4(q, 1, 1, 3, 1), tk = tensor4(k, 1, 1, 3, 1),
                    tv = tensor4(v, 1, 1, 3, 1);
    double out[3], lse[3];
    char err[256];
    CHECK(interp_attention(decl(&p, "c"), &ctx, &tq, &tk, &tv, out, lse, err, sizeof err));
    double e = exp(1.0), e2 = e * e;
    NEAR(out[0], 1.0);
    NEAR(lse[0], 0.0);
    NEAR(out[1], (1 + 2 * e) / (1 + e));
    NEAR(lse[1], log(1 + e));
    NEAR(out[2], (1 + 2 * e + 6 * e2) / (1 + e + e2));
    NEAR(lse[2], log(1 + e + e2));
    prog_free(&p);
}

/* A called score with a parameter: s = [3, 6] capped at 2. */
static void test_softcap(void)
{
    Prog p;
    if (!prog_compile(&p, "score softcap(cap: f32) = cap * tanh(score / cap);\n"
                          "attention g(cap: f32 = 50.0) { scale = 1.0; score = softcap(cap); }\n"))
        return prog_free(&p);
    const float q[1] = {3}, k[2] = {1, 2}, v[2] = {10, 20};
    attn_param params[1];
    params[0].u.f = 2.0f;
    attn_ctx ctx = {.params = params};
    attn_dims(&ctx, 1, 1, 1, 1, 2, 1, 1);
    attn_tensor_arg tq = tensor4(q, 1, 1, 1, 1), tk = tensor4(k, 1, 1, 2, 1),
                    tv = tensor4(v, 1, 1, 2, 1);
    double out, lse;
    char err[256];
    CHECK(interp_attention(decl(&p, "g"), &ctx, &tq, &tk, &tv, &out, &lse, err, sizeof err));
    double s0 = 2 * tanh(1.5), s1 = 2 * tanh(3.0);
    NEAR(lse, log(exp(s0) + exp(s1)));
    NEAR(out, (10 * exp(s0) + 20 * exp(s1)) / (exp(s0) + exp(s1)));
    prog_free(&p);
}

/* Row 0 sees no key: out 0, lse -inf; row 1 sees key 0 only. */
static void test_fully_masked(void)
{
    Prog p;
    if (!prog_compile(&p, "attention strict() { mask = kv < q; }\n"))
        return prog_free(&p);
    const float q[2] = {1, 1}, k[2] = {1, 1}, v[4] = {5, 6, 7, 8};
    attn_ctx ctx = {.params = NULL};
    attn_dims(&ctx, 1, 1, 1, 2, 2, 1, 2);
    attn_tensor_arg tq = tensor4(q, 1, 1, 2, 1), tk = tensor4(k, 1, 1, 2, 1),
                    tv = tensor4(v, 1, 1, 2, 2);
    double out[4], lse[2];
    char err[256];
    CHECK(interp_attention(decl(&p, "strict"), &ctx, &tq, &tk, &tv, out, lse, err, sizeof err));
    NEAR(out[0], 0.0);
    NEAR(out[1], 0.0);
    CHECK(isinf(lse[0]) && lse[0] < 0);
    NEAR(out[2], 5.0);
    NEAR(out[3], 6.0);
    NEAR(lse[1], 1.0);
    prog_free(&p);
}

/* H = 4 query heads on HKV = 2: head h reads KV head h / 2. Uniform scores
 * (k = 0) make out the mean of the two values of that head. */
static void test_gqa(void)
{
    Prog p;
    if (!prog_compile(&p, "attention plain() {}\n"))
        return prog_free(&p);
    float q[4] = {1, 1, 1, 1}, k[4] = {0}, v[4];
    for (int hk = 0; hk < 2; hk++)
        for (int kv = 0; kv < 2; kv++)
            v[hk * 2 + kv] = (float)(10 * hk + kv);
    attn_ctx ctx = {.params = NULL};
    attn_dims(&ctx, 1, 4, 2, 1, 2, 1, 1);
    attn_tensor_arg tq = tensor4(q, 1, 4, 1, 1), tk = tensor4(k, 1, 2, 2, 1),
                    tv = tensor4(v, 1, 2, 2, 1);
    double out[4], lse[4];
    char err[256];
    CHECK(interp_attention(decl(&p, "plain"), &ctx, &tq, &tk, &tv, out, lse, err, sizeof err));
    for (int h = 0; h < 4; h++) {
        NEAR(out[h], 10.0 * (h / 2) + 0.5);
        NEAR(lse[h], log(2.0));
    }
    prog_free(&p);
}

/* Pack members by binary search: offsets [0, 1, 4]; row q sees its own
 * document up to q; out is the mean of the visible values (q = k = 0). */
static void test_packed_mask(void)
{
    Prog p;
    if (!prog_compile(&p, "attention pc(docs: pack) {\n"
                          "    mask = docs.same(q, kv) && kv <= q && docs.pos(kv) >= 0;\n"
                          "}\n"))
        return prog_free(&p);
    const float q[4] = {0}, k[4] = {0}, v[4] = {1, 2, 4, 8};
    const int32_t offs[3] = {0, 1, 4};
    attn_param params[1];
    params[0].u.p = pack(offs, 2);
    attn_ctx ctx = {.params = params};
    attn_dims(&ctx, 1, 1, 1, 4, 4, 1, 1);
    attn_tensor_arg tq = tensor4(q, 1, 1, 4, 1), tk = tensor4(k, 1, 1, 4, 1),
                    tv = tensor4(v, 1, 1, 4, 1);
    double out[4], lse[4];
    char err[256];
    CHECK(interp_attention(decl(&p, "pc"), &ctx, &tq, &tk, &tv, out, lse, err, sizeof err));
    NEAR(out[0], 1.0);
    NEAR(out[1], 2.0);
    NEAR(out[2], 3.0);
    NEAR(out[3], 14.0 / 3);
    NEAR(lse[3], log(3.0));
    prog_free(&p);
}

/* Data-dependent index: clamped normally, an error naming the tensor, index
 * and first (b, h, q, kv) with --checked semantics. */
static void test_checked_bounds(void)
{
    Prog p;
    if (!prog_compile(&p, "attention bt(bias: f32[R], idx: i32[KV]) {\n"
                          "    score = score + bias[idx[kv]];\n"
                          "}\n"))
        return prog_free(&p);
    const float q[1] = {0}, k[2] = {0}, v[2] = {0, 1}, bias[2] = {0, 1};
    const int32_t idx[2] = {0, 5};
    const int64_t two = 2;
    attn_param params[2];
    params[0].u.t = tensor(bias, ATTN_F32, 1, &two);
    params[1].u.t = tensor(idx, ATTN_I32, 1, &two);
    attn_ctx ctx = {.params = params};
    attn_dims(&ctx, 1, 1, 1, 1, 2, 1, 1);
    const Decl *d = decl(&p, "bt");
    for (int i = 0; d && i < d->ndims; i++)
        if (strcmp(d->dims[i], "R") == 0)
            ctx.dims[i] = 2;
    attn_tensor_arg tq = tensor4(q, 1, 1, 1, 1), tk = tensor4(k, 1, 1, 2, 1),
                    tv = tensor4(v, 1, 1, 2, 1);
    double out, lse;
    char err[256];
    CHECK(interp_attention(d, &ctx, &tq, &tk, &tv, &out, &lse, err, sizeof err));
    NEAR(lse, log(1 + exp(1.0))); /* idx 5 clamps to bias[1] = 1 */
    InterpOptions opts = {.checked = true};
    CHECK(!interp_attention_opts(d, &ctx, &tq, &tk, &tv, &out, &lse, &opts, err, sizeof err));
    CHECK(strstr(err, "test.attn:2:") && strstr(err, "'bias'") && strstr(err, "index 5") &&
          strstr(err, "(b=0, h=0, q=0, kv=1)"));
    prog_free(&p);
}

/* f16 / bf16 inputs widen exactly; a NaN input propagates to its row. */
static void test_dtypes_and_nan(void)
{
    Prog p;
    if (!prog_compile(&p, "attention plain() {}\n"))
        return prog_free(&p);
    const uint16_t h_one = 0x3C00, h_v[2] = {0x3E00 /* 1.5 */, 0x0001 /* 2^-24 */};
    const uint16_t b_one = 0x3F80, b_v[2] = {0x3FC0 /* 1.5 */, 0xC0A0 /* -5 */};
    const int64_t s1[4] = {1, 1, 1, 1}, s2[4] = {1, 1, 1, 2};
    attn_ctx ctx = {.params = NULL};
    attn_dims(&ctx, 1, 1, 1, 1, 1, 1, 2);
    double out[2], lse;
    char err[256];
    attn_tensor_arg q = tensor(&h_one, ATTN_F16, 4, s1), v = tensor(h_v, ATTN_F16, 4, s2);
    CHECK(interp_attention(decl(&p, "plain"), &ctx, &q, &q, &v, out, &lse, err, sizeof err));
    NEAR(out[0], 1.5);
    NEAR(out[1], ldexp(1.0, -24));
    NEAR(lse, 1.0);
    q = tensor(&b_one, ATTN_BF16, 4, s1), v = tensor(b_v, ATTN_BF16, 4, s2);
    CHECK(interp_attention(decl(&p, "plain"), &ctx, &q, &q, &v, out, &lse, err, sizeof err));
    NEAR(out[0], 1.5);
    NEAR(out[1], -5.0);
    const float nan_q = NAN, one = 1, vals[2] = {1, 2};
    attn_tensor_arg qn = tensor(&nan_q, ATTN_F32, 4, s1), k = tensor(&one, ATTN_F32, 4, s1),
                    vn = tensor(vals, ATTN_F32, 4, s2);
    CHECK(interp_attention(decl(&p, "plain"), &ctx, &qn, &k, &vn, out, &lse, err, sizeof err));
    CHECK(isnan(out[0]) && isnan(out[1]) && isnan(lse));
    prog_free(&p);
}

/* --------------------------------------------------------- expressions */

/* Evaluates score statement `i` of attention `name` with params, returning
 * false (message in err) on a runtime error. */
static bool eval_score(const Prog *p, const char *name, int i, const attn_param *params,
                       InterpValue *out, char *err, size_t errlen)
{
    attn_ctx ctx = {.params = params};
    attn_dims(&ctx, 1, 1, 1, 1, 1, 1, 1);
    const Decl *d = decl(p, name);
    if (!d || i >= d->attn.nscores)
        return false;
    InterpEnv env;
    bool ok = interp_env_init(&env, d, &ctx, NULL, err, errlen) &&
              interp_eval(&env, d->attn.scores[i], out);
    interp_env_free(&env);
    return ok;
}

static void test_integer_semantics(void)
{
    Prog p;
    if (!prog_compile(&p, "attention ops(x: i32, y: i32) {\n"
                          "    score = x / y;\n"
                          "    score = x % y;\n"
                          "    score = (x + 2147483647) + 1;\n"
                          "    score = x << y;\n"
                          "    score = x >> y;\n"
                          "}\n"))
        return prog_free(&p);
    /* each score statement is i32-typed: it comes back as an i32 value */
    static const struct { int a, b; double div, mod, wrap, shl, shr; } cases[] = {
        {-7, 2, -4, 1, 2147483641.0, -28, -2},
        {7, -2, -4, -1, -2147483641.0, 0, 0},
        {-7, -2, 3, -1, 2147483641.0, 0, -1},
        {7, 2, 3, 1, -2147483641.0, 28, 1},
        {-8, 40, -1, 32, 2147483640.0, 0, -1},
    };
    char err[256];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attn_param params[2];
        params[0].u.i = cases[c].a;
        params[1].u.i = cases[c].b;
        const double want[5] = {cases[c].div, cases[c].mod, cases[c].wrap,
                                cases[c].shl, cases[c].shr};
        for (int i = 0; i < 5; i++) {
            InterpValue v = {0};
            CHECK(eval_score(&p, "ops", i, params, &v, err, sizeof err));
            CHECK(v.tag == INTERP_I32);
            if (v.u.i != want[i]) {
                fprintf(stderr, "case %zu, score %d: got %d, want %g\n", c, i, (int)v.u.i, want[i]);
                failures++;
            }
        }
    }
    attn_param params[2];
    params[0].u.i = 3;
    params[1].u.i = 0;
    InterpValue v;
    /* A zero divisor is defined (x / 0 = 0, x % 0 = x), as in compiled code. */
    CHECK(eval_score(&p, "ops", 0, params, &v, err, sizeof err) && v.u.i == 0);
    CHECK(eval_score(&p, "ops", 1, params, &v, err, sizeof err) && v.u.i == 3);
    prog_free(&p);
}

/* i32(x) truncates toward zero and saturates; f32(i) widens. */
static void test_conversions(void)
{
    Prog p;
    if (!prog_compile(&p, "attention cv(x: f32) { score = i32(x); score = f32(7 / 2) + 0.5; }\n"))
        return prog_free(&p);
    static const struct { float x; double want; } cases[] = {
        {-2.75f, -2}, {2.75f, 2}, {3e10f, 2147483647.0}, {-3e10f, -2147483648.0},
    };
    char err[256];
    InterpValue v = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attn_param param;
        param.u.f = cases[c].x;
        CHECK(eval_score(&p, "cv", 0, &param, &v, err, sizeof err));
        CHECK(v.tag == INTERP_I32);
        NEAR(v.u.i, cases[c].want);
    }
    attn_param unused = {.u.f = 0};
    CHECK(eval_score(&p, "cv", 1, &unused, &v, err, sizeof err));
    NEAR(v.u.f, 3.5);
    prog_free(&p);
}

/* ---------------------------------------------------------------- scans */

static const char selective_scan_src[] =
    "scan selective_scan(u: f32[B, D, L], delta: f32[B, D, L], A: f32[D, N],\n"
    "                    Bs: f32[B, N, L], Cs: f32[B, N, L], Dp: f32[D],\n"
    "                    z: f32[B, D, L], delta_bias: f32[D], seqs: pack)\n"
    "    -> (y: f32[B, D, L])\n"
    "{\n"
    "    over t in L;\n"
    "    state h[b in B, d in D, n in N];\n"
    "    let dt = softplus(delta[b, d, t] + delta_bias[d]);\n"
    "    h = exp(dt * A[d, n]) * h + dt * Bs[b, n, t] * u[b, d, t];\n"
    "    y[b, d, t] = (sum(n, Cs[b, n, t] * h) + Dp[d] * u[b, d, t]) * silu(z[b, d, t]);\n"
    "    reset h at seqs;\n"
    "}\n";

/* Sets ctx->dims for scan d from name=value pairs. */
static void scan_dims(attn_ctx *ctx, const Decl *d, const char *const *names, const int *vals,
                      int n)
{
    memset(ctx->dims, 0, sizeof ctx->dims);
    for (int i = 0; i < d->ndims; i++)
        for (int k = 0; k < n; k++)
            if (strcmp(d->dims[i], names[k]) == 0)
                ctx->dims[i] = vals[k];
}

/* Deterministic small inputs. */
static void fill(float *x, int n, int seed)
{
    unsigned s = (unsigned)seed * 2654435761u + 1;
    for (int i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)((int)(s >> 16 & 1023) - 512) / 512.0f;
    }
}

static double silu(double x) { return x / (1 + exp(-x)); }
static double softplus(double x) { return log1p(exp(x)); }

static void test_selective_scan(void)
{
    enum { B = 2, D = 2, N = 3, L = 5 };
    Prog p;
    if (!prog_compile(&p, selective_scan_src))
        return prog_free(&p);
    const Decl *d = decl(&p, "selective_scan");
    float u[B * D * L], delta[B * D * L], A[D * N], Bs[B * N * L], Cs[B * N * L], Dp[D],
        z[B * D * L], db[D];
    fill(u, B * D * L, 1), fill(delta, B * D * L, 2), fill(A, D * N, 3);
    fill(Bs, B * N * L, 4), fill(Cs, B * N * L, 5), fill(Dp, D, 6);
    fill(z, B * D * L, 7), fill(db, D, 8);
    const int32_t offs[3] = {0, 2, 5};
    const int64_t sBDL[3] = {B, D, L}, sDN[2] = {D, N}, sBNL[3] = {B, N, L}, sD[1] = {D};
    attn_param params[9];
    params[0].u.t = tensor(u, ATTN_F32, 3, sBDL);
    params[1].u.t = tensor(delta, ATTN_F32, 3, sBDL);
    params[2].u.t = tensor(A, ATTN_F32, 2, sDN);
    params[3].u.t = tensor(Bs, ATTN_F32, 3, sBNL);
    params[4].u.t = tensor(Cs, ATTN_F32, 3, sBNL);
    params[5].u.t = tensor(Dp, ATTN_F32, 1, sD);
    params[6].u.t = tensor(z, ATTN_F32, 3, sBDL);
    params[7].u.t = tensor(db, ATTN_F32, 1, sD);
    params[8].u.p = pack(offs, 2);
    attn_ctx ctx = {.params = params};
    static const char *const names[] = {"B", "D", "L", "N"};
    const int vals[] = {B, D, L, N};
    scan_dims(&ctx, d, names, vals, 4);
    CHECK(interp_scan_output_elems(d, &ctx, 0) == B * D * L);
    double y[B * D * L];
    double *outs[1] = {y};
    char err[256];
    CHECK(interp_scan(d, &ctx, outs, err, sizeof err));
    for (int b = 0; b < B; b++)
        for (int dd = 0; dd < D; dd++) {
            double h[N] = {0};
            for (int t = 0; t < L; t++) {
                if (t == offs[1])
                    memset(h, 0, sizeof h);
                int x = (b * D + dd) * L + t;
                double dt = softplus((double)delta[x] + db[dd]), acc = 0;
                for (int n = 0; n < N; n++) {
                    h[n] = exp(dt * A[dd * N + n]) * h[n] + dt * Bs[(b * N + n) * L + t] * u[x];
                    acc += Cs[(b * N + n) * L + t] * h[n];
                }
                NEAR(y[x], (acc + Dp[dd] * (double)u[x]) * silu(z[x]));
            }
        }
    prog_free(&p);
}

/* Causal depthwise conv over a packed sequence: taps never cross a document. */
static void test_causal_conv(void)
{
    enum { D = 2, L = 6, K = 3 };
    Prog p;
    if (!prog_compile(&p, "scan causal_conv(x: f32[B, D, L], w: f32[D, K], bias: f32[D], seqs: pack)\n"
                          "    -> (y: f32[B, D, L])\n"
                          "{\n"
                          "    over t in L;\n"
                          "    y[b in B, d in D, t] =\n"
                          "        silu(bias[d] + sum(k in K, w[d, k] * x[b, d, t - (K - 1) + k]));\n"
                          "}\n"))
        return prog_free(&p);
    const Decl *d = decl(&p, "causal_conv");
    float x[D * L], w[D * K], bias[D];
    fill(x, D * L, 11), fill(w, D * K, 12), fill(bias, D, 13);
    const int32_t offs[4] = {0, 1, 4, 6};
    const int64_t sx[3] = {1, D, L}, sw[2] = {D, K}, sb[1] = {D};
    attn_param params[4];
    params[0].u.t = tensor(x, ATTN_F32, 3, sx);
    params[1].u.t = tensor(w, ATTN_F32, 2, sw);
    params[2].u.t = tensor(bias, ATTN_F32, 1, sb);
    params[3].u.p = pack(offs, 3);
    attn_ctx ctx = {.params = params};
    static const char *const names[] = {"B", "D", "L", "K"};
    const int vals[] = {1, D, L, K};
    scan_dims(&ctx, d, names, vals, 4);
    double y[D * L];
    double *outs[1] = {y};
    char err[256];
    CHECK(interp_scan(d, &ctx, outs, err, sizeof err));
    static const int seg_start[L] = {0, 1, 1, 1, 4, 4};
    for (int dd = 0; dd < D; dd++)
        for (int t = 0; t < L; t++) {
            double acc = bias[dd];
            for (int k = 0; k < K; k++) {
                int pos = t - (K - 1) + k;
                if (pos >= seg_start[t])
                    acc += (double)w[dd * K + k] * x[dd * L + pos];
            }
            NEAR(y[dd * L + t], silu(acc));
        }
    prog_free(&p);
}

/* A running sum with a non-zero init, reset at every document start. */
static void test_reset(void)
{
    Prog p;
    if (!prog_compile(&p, "scan runsum(x: f32[B, L], docs: pack) -> (y: f32[B, L]) {\n"
                          "    over t in L;\n"
                          "    state s[b in B] = 10.0;\n"
                          "    s = s + x[b, t];\n"
                          "    y[b, t] = s;\n"
                          "    reset s at docs;\n"
                          "}\n"))
        return prog_free(&p);
    const Decl *d = decl(&p, "runsum");
    const float x[10] = {1, 1, 1, 1, 1, 1, 2, 3, 4, 5};
    const int32_t offs[3] = {0, 2, 5};
    const int64_t sx[2] = {2, 5};
    attn_param params[2];
    params[0].u.t = tensor(x, ATTN_F32, 2, sx);
    params[1].u.p = pack(offs, 2);
    attn_ctx ctx = {.params = params};
    static const char *const names[] = {"B", "L"};
    const int vals[] = {2, 5};
    scan_dims(&ctx, d, names, vals, 2);
    double y[10];
    double *outs[1] = {y};
    char err[256];
    CHECK(interp_scan(d, &ctx, outs, err, sizeof err));
    const double want[10] = {11, 12, 11, 12, 13, 11, 13, 13, 17, 22};
    for (int i = 0; i < 10; i++)
        NEAR(y[i], want[i]);
    prog_free(&p);
}

/* RetNet-style matrix state: S = gamma S + k v^T, o = q S. */
static void test_retention(void)
{
    enum { H = 2, L = 4, DK = 2, DV = 3 };
    Prog p;
    if (!prog_compile(&p, "scan retention(q: f32[B, H, L, DK], k: f32[B, H, L, DK], v: f32[B, H, L, DV],\n"
                          "               gamma: f32[H]) -> (o: f32[B, H, L, DV])\n"
                          "{\n"
                          "    over t in L;\n"
                          "    state S[b in B, h in H, i in DK, j in DV];\n"
                          "    S = gamma[h] * S + k[b, h, t, i] * v[b, h, t, j];\n"
                          "    o[b, h, t, j] = sum(i, q[b, h, t, i] * S);\n"
                          "}\n"))
        return prog_free(&p);
    const Decl *d = decl(&p, "retention");
    float q[H * L * DK], k[H * L * DK], v[H * L * DV], gamma[H] = {0.5f, 0.25f};
    fill(q, H * L * DK, 21), fill(k, H * L * DK, 22), fill(v, H * L * DV, 23);
    const int64_t sk[4] = {1, H, L, DK}, sv[4] = {1, H, L, DV}, sg[1] = {H};
    attn_param params[4];
    params[0].u.t = tensor(q, ATTN_F32, 4, sk);
    params[1].u.t = tensor(k, ATTN_F32, 4, sk);
    params[2].u.t = tensor(v, ATTN_F32, 4, sv);
    params[3].u.t = tensor(gamma, ATTN_F32, 1, sg);
    attn_ctx ctx = {.params = params};
    static const char *const names[] = {"B", "H", "L", "DK", "DV"};
    const int vals[] = {1, H, L, DK, DV};
    scan_dims(&ctx, d, names, vals, 5);
    double o[H * L * DV];
    double *outs[1] = {o};
    char err[256];
    CHECK(interp_scan(d, &ctx, outs, err, sizeof err));
    for (int h = 0; h < H; h++) {
        double S[DK][DV] = {{0}};
        for (int t = 0; t < L; t++) {
            for (int i = 0; i < DK; i++)
                for (int j = 0; j < DV; j++)
                    S[i][j] = gamma[h] * S[i][j] +
                              (double)k[(h * L + t) * DK + i] * v[(h * L + t) * DV + j];
            for (int j = 0; j < DV; j++) {
                double acc = 0;
                for (int i = 0; i < DK; i++)
                    acc += (double)q[(h * L + t) * DK + i] * S[i][j];
                NEAR(o[(h * L + t) * DV + j], acc);
            }
        }
    }
    prog_free(&p);
}

int main(void)
{
    test_causal();
    test_softcap();
    test_fully_masked();
    test_gqa();
    test_packed_mask();
    test_checked_bounds();
    test_dtypes_and_nan();
    test_integer_semantics();
    test_conversions();
    test_selective_scan();
    test_causal_conv();
    test_reset();
    test_retention();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("interp: all checks passed\n");
    return 0;
}
