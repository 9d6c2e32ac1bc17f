/* interp_attention.c - reference attention forward (LANGUAGE.md section 4):
 * a naive O(Q*KV) softmax per query row in double precision.
 *
 * For each (b, h, q) and every key kv: the mask is evaluated first; a masked
 * key scores -inf (its score statements are not evaluated); a visible one
 * starts from s = (q . k) * scale and goes through the score statements in
 * order. Then lse = m + log(sum exp(s - m)) with m the row maximum, and
 * out = sum exp(s - m) v / sum exp(s - m). A row whose scores are all -inf
 * gives out 0 and lse -inf; a NaN score makes the whole row NaN. */
#include <math.h>
#include <stdlib.h>

#include "interp_internal.h"

/* Checks that t is a float [n0, n1, n2, n3] tensor with readable data. */
static bool interp_attn_tensor(InterpEnv *env, const attn_tensor_arg *t, const char *name,
                               int32_t n0, int32_t n1, int32_t n2, int32_t n3)
{
    const int32_t want[4] = {n0, n1, n2, n3};
    if (!t || t->ndim != 4)
        return interp_fail_plain(env, "'%s' must be a 4-dimensional tensor", name);
    if (t->dtype != ATTN_F32 && t->dtype != ATTN_F16 && t->dtype != ATTN_BF16)
        return interp_fail_plain(env, "'%s' must be f32, f16 or bf16", name);
    bool empty = false;
    for (int i = 0; i < 4; i++) {
        if (t->shape[i] != want[i])
            return interp_fail_plain(env, "'%s' has size %lld in dimension %d, expected %d", name,
                                     (long long)t->shape[i], i, (int)want[i]);
        empty = empty || want[i] == 0;
    }
    if (!empty && !t->data)
        return interp_fail_plain(env, "'%s' has no data", name);
    return true;
}

static bool interp_attn_shapes(InterpEnv *env, const attn_tensor_arg *q, const attn_tensor_arg *k,
                               const attn_tensor_arg *v)
{
    const int32_t *d = env->ctx->dims;
    for (int i = 0; i < DIM_STANDARD_COUNT; i++)
        if (d[i] < 0)
            return interp_fail_plain(env, "dimension %s is negative", attn_standard_dims[i]);
    if (d[DIM_HKV] == 0 || d[DIM_H] % d[DIM_HKV] != 0)
        return interp_fail_plain(env,
                                 "H = %d query heads cannot be grouped onto HKV = %d key/value heads",
                                 (int)d[DIM_H], (int)d[DIM_HKV]);
    return interp_attn_tensor(env, q, "q", d[DIM_B], d[DIM_H], d[DIM_Q], d[DIM_D]) &&
           interp_attn_tensor(env, k, "k", d[DIM_B], d[DIM_HKV], d[DIM_KV], d[DIM_D]) &&
           interp_attn_tensor(env, v, "v", d[DIM_B], d[DIM_HKV], d[DIM_KV], d[DIM_DV]);
}

/* Element [i0, i1, i2, i3] of a float tensor, as double. */
static double interp_at4(const attn_tensor_arg *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3)
{
    const int64_t idx[4] = {i0, i1, i2, i3};
    return interp_tensor_elem(t, idx).u.f;
}

/* The score of key kv for the current (b, h, q): -inf when masked. */
static bool interp_attn_score(InterpEnv *env, const attn_tensor_arg *q, const attn_tensor_arg *k,
                              double scale, double *s)
{
    const Decl *d = env->top;
    int32_t b = env->var[IV_B], qi = env->var[IV_Q], kv = env->var[IV_KV];
    int32_t hk = env->var[IV_H] / (env->ctx->dims[DIM_H] / env->ctx->dims[DIM_HKV]);
    if (d->attn.mask) {
        InterpValue m;
        if (!interp_eval(env, d->attn.mask, &m))
            return false;
        if (!interp_truthy(m)) {
            *s = -INFINITY;
            return true;
        }
    }
    double dot = 0.0;
    for (int32_t i = 0; i < env->ctx->dims[DIM_D]; i++)
        dot += interp_at4(q, b, env->var[IV_H], qi, i) * interp_at4(k, b, hk, kv, i);
    env->score = dot * scale;
    for (int i = 0; i < d->attn.nscores; i++) {
        InterpValue v;
        interp_touch(env);
        if (!interp_eval(env, d->attn.scores[i], &v))
            return false;
        env->score = interp_as_f(v);
    }
    *s = env->score;
    return true;
}

/* Softmax of s[0..n) against v rows, into out[0..DV) and *lse. */
static void interp_attn_combine(const InterpEnv *env, const attn_tensor_arg *v, const double *s,
                                double *out, double *lse)
{
    int32_t n = env->ctx->dims[DIM_KV], dv = env->ctx->dims[DIM_DV];
    int32_t b = env->var[IV_B];
    int32_t hk = env->var[IV_H] / (env->ctx->dims[DIM_H] / env->ctx->dims[DIM_HKV]);
    double m = -INFINITY;
    for (int32_t i = 0; i < n; i++)
        if (s[i] != s[i] || s[i] > m)
            m = m != m ? m : s[i];
    for (int32_t j = 0; j < dv; j++)
        out[j] = 0.0;
    if (m == -INFINITY) {
        *lse = -INFINITY;
        return;
    }
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++) {
        if (s[i] == -INFINITY) /* masked: contributes nothing, even against NaN in v */
            continue;
        double w = exp(s[i] - m);
        sum += w;
        for (int32_t j = 0; j < dv; j++)
            out[j] += w * interp_at4(v, b, hk, i, j);
    }
    for (int32_t j = 0; j < dv; j++)
        out[j] /= sum;
    *lse = m + log(sum);
}

static bool interp_attn_run(InterpEnv *env, const attn_tensor_arg *q, const attn_tensor_arg *k,
                            const attn_tensor_arg *v, double *out, double *lse)
{
    const int32_t *d = env->ctx->dims;
    double scale = 1.0 / sqrt((double)d[DIM_D]);
    if (env->top->attn.scale) {
        InterpValue sv;
        if (!interp_eval(env, env->top->attn.scale, &sv))
            return false;
        scale = interp_as_f(sv);
    }
    double *s = malloc(((size_t)d[DIM_KV] + 1) * sizeof *s);
    if (!s)
        return interp_fail_plain(env, "out of memory");
    bool ok = true;
    int64_t row = 0;
    for (int32_t b = 0; ok && b < d[DIM_B]; b++)
        for (int32_t h = 0; ok && h < d[DIM_H]; h++)
            for (int32_t qi = 0; ok && qi < d[DIM_Q]; qi++, row++) {
                env->var[IV_B] = b;
                env->var[IV_H] = h;
                env->var[IV_Q] = qi;
                for (int32_t kv = 0; ok && kv < d[DIM_KV]; kv++) {
                    env->var[IV_KV] = kv;
                    interp_touch(env);
                    ok = interp_attn_score(env, q, k, scale, &s[kv]);
                }
                double row_lse = 0.0;
                if (ok)
                    interp_attn_combine(env, v, s, out + row * d[DIM_DV], &row_lse);
                if (ok && lse)
                    lse[row] = row_lse;
            }
    free(s);
    return ok;
}

bool interp_attention_opts(const Decl *attn, const attn_ctx *ctx, const attn_tensor_arg *q,
                           const attn_tensor_arg *k, const attn_tensor_arg *v, double *out,
                           double *lse, const InterpOptions *opts, char *err, size_t errlen)
{
    InterpEnv env;
    bool ok = interp_env_init(&env, attn, ctx, opts, err, errlen);
    if (ok && attn->kind != DECL_ATTENTION)
        ok = interp_fail_plain(&env, "'%s' is not an attention declaration", attn->name);
    ok = ok && interp_check_params(&env) && interp_attn_shapes(&env, q, k, v) &&
         interp_attn_run(&env, q, k, v, out, lse);
    interp_env_free(&env);
    return ok;
}

bool interp_attention(const Decl *attn, const attn_ctx *ctx, const attn_tensor_arg *q,
                      const attn_tensor_arg *k, const attn_tensor_arg *v, double *out,
                      double *lse, char *err, size_t errlen)
{
    return interp_attention_opts(attn, ctx, q, k, v, out, lse, NULL, err, errlen);
}
