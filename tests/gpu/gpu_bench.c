/* gpu_bench.c - times attnc-compiled variants (bench/variants.attn) on the
 * CUDA device through the runtime's attn_time_gpu; the attnc column of
 * bench/flex_peer.py. One process for all rows, so the PTX is JIT-compiled
 * once.
 *
 *   gpu_bench PTX_STEM < ROWS
 * Each stdin line is a row "VARIANT D S B H [NAME=VALUE]...": bf16 random
 * q, k, v [B, H, S, D] (HKV = H, DV = D); a scalar parameter takes a
 * number, a pack comma-separated segment lengths, an f32 or i32 tensor
 * parameter comma-separated values (1-D). Prints per row, flushed,
 *   attnc_ms VARIANT D S MEDIAN      (5 warm-up launches, median of 20)
 *   attnc_fail VARIANT D S MESSAGE
 * and after a timed row, the kernel as the driver compiled it:
 *   attnc_kernel VARIANT D REGISTERS LOCAL_BYTES CTAS_PER_SM
 * Exit 77 when CUDA is unavailable, 2 on usage errors, else 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "gpu_bench_variants.h"
#include "gpu_launch.h"

enum { BENCH_MAX_ARGS = 8, BENCH_MAX_LIST = 65536 };

/* The parameter arguments of one row: values owned here. */
typedef struct BenchArgs {
    attn_arg args[BENCH_MAX_ARGS];
    DLTensor tensors[BENCH_MAX_ARGS];
    int64_t shapes[BENCH_MAX_ARGS][1];
    void *data[BENCH_MAX_ARGS];
    int32_t n;
} BenchArgs;

static void bench_args_free(BenchArgs *a)
{
    for (int32_t i = 0; i < a->n; i++)
        free(a->data[i]);
}

/* How bench_list stores its values. */
typedef enum BenchList { BENCH_F32, BENCH_I32, BENCH_OFFSETS } BenchList;

/* Parses "v1,v2,..." as f32 or i32 values, or (BENCH_OFFSETS: a pack) as
 * integer lengths stored as their running sum from 0, i.e. offsets, into a
 * new buffer; returns the count, -1 if malformed. */
static int64_t bench_list(const char *s, BenchList as, void **out)
{
    float *f = as == BENCH_F32 ? malloc(BENCH_MAX_LIST * sizeof *f) : NULL;
    int32_t *o = as == BENCH_F32 ? NULL : malloc((BENCH_MAX_LIST + 1) * sizeof *o);
    int64_t n = 0;
    if (o && as == BENCH_OFFSETS)
        o[n++] = 0;
    for (char *end; (f || o) && *s && n < BENCH_MAX_LIST; s = *end ? end + 1 : end) {
        double v = strtod(s, &end);
        if (end == s || (*end && *end != ','))
            break;
        if (f) {
            f[n++] = (float)v;
        } else if (as == BENCH_OFFSETS) {
            o[n] = o[n - 1] + (int32_t)v;
            n++;
        } else {
            o[n++] = (int32_t)v;
        }
    }
    *out = f ? (void *)f : (void *)o;
    if (*s || !*out) {
        free(*out);
        return -1;
    }
    return n;
}

/* NAME=VALUE into a->args; false + message in err. */
static bool bench_arg(const attn_variant *var, const char *text, BenchArgs *a, char *err, size_t len)
{
    const char *eq = strchr(text, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - text) : 0, text);
    int32_t p = eq ? attn_find_param(var, name) : -1;
    if (p < 0 || a->n == BENCH_MAX_ARGS) {
        snprintf(err, len, "bad parameter '%s' for %s", text, var->name);
        return false;
    }
    attn_param_kind kind = var->params[p].kind;
    int32_t i = a->n;
    if (kind == ATTN_PARAM_TENSOR || kind == ATTN_PARAM_PACK) {
        const int32_t dtype = kind == ATTN_PARAM_PACK ? ATTN_I32 : var->params[p].dtype;
        if (dtype != ATTN_F32 && dtype != ATTN_I32) {
            snprintf(err, len, "%s: only f32 and i32 tensors are read from a row", name);
            return false;
        }
        int64_t n = bench_list(eq + 1, kind == ATTN_PARAM_PACK ? BENCH_OFFSETS
                                       : dtype == ATTN_I32     ? BENCH_I32
                                                               : BENCH_F32,
                               &a->data[i]);
        if (n < 0) {
            snprintf(err, len, "bad list for %s", name);
            return false;
        }
        a->tensors[i] = gpu_launch_tensor(a->data[i], dtype, 1, &n, a->shapes[i]);
        a->args[i] = kind == ATTN_PARAM_PACK ? attn_arg_pack(p, &a->tensors[i])
                                             : attn_arg_tensor(p, &a->tensors[i]);
    } else {
        a->data[i] = NULL;
        a->args[i] = kind == ATTN_PARAM_F32 ? attn_arg_f32(p, strtof(eq + 1, NULL))
                     : kind == ATTN_PARAM_BOOL ? attn_arg_bool(p, atoi(eq + 1))
                                               : attn_arg_i32(p, (int32_t)strtol(eq + 1, NULL, 10));
    }
    a->n++;
    return true;
}

/* Times one row of gv with parameters words[0..nwords); *ms on success. */
static attn_status bench_row(const attn_gpu_variant *gv, int D, int S, int B, int H, char **words,
                             int nwords, float *ms, char *err, size_t len)
{
    BenchArgs a = {.n = 0};
    for (int i = 0; i < nwords; i++)
        if (!bench_arg(gv->var, words[i], &a, err, len)) {
            bench_args_free(&a);
            return ATTN_ERR_INVALID_ARG;
        }
    size_t n = (size_t)B * H * S * D;
    uint16_t *buf[4];
    uint32_t state = 12345;
    for (int t = 0; t < 4; t++) {
        buf[t] = malloc(n * 2);
        for (size_t e = 0; t < 3 && buf[t] && e < n; e++) { /* bf16 of uniform [-1, 1) */
            state = state * 1664525u + 1013904223u;
            float f = (float)(state >> 8) / 8388608.0f - 1.0f;
            uint32_t bits;
            memcpy(&bits, &f, 4);
            buf[t][e] = (uint16_t)(bits >> 16);
        }
    }
    float *lse = malloc((size_t)B * H * S * sizeof *lse);
    attn_status s = ATTN_ERR_NO_MEMORY;
    snprintf(err, len, "out of host memory");
    if (buf[0] && buf[1] && buf[2] && buf[3] && lse) {
        int64_t shape[5][4], dims[4] = {B, H, S, D};
        DLTensor t[4];
        for (int i = 0; i < 4; i++)
            t[i] = gpu_launch_tensor(buf[i], ATTN_BF16, 4, dims, shape[i]);
        DLTensor l = gpu_launch_tensor(lse, ATTN_F32, 3, dims, shape[4]);
        s = attn_time_gpu(gv, &t[0], &t[1], &t[2], &t[3], &l, a.args, a.n, NULL, 5, 20, ms);
        snprintf(err, len, "%s", attn_last_error());
    }
    for (int i = 0; i < 4; i++)
        free(buf[i]);
    free(lse);
    bench_args_free(&a);
    return s;
}

/* Prints the attnc_kernel line of gv's bf16 kernel at D = DV = d (nothing
 * when it cannot be looked up: the row's timing already reported why). */
static void bench_kernel_line(const attn_gpu_variant *gv, int d)
{
    const char *ptx;
    if (attn_gpu_variant_ptx(gv, &ptx) != ATTN_OK)
        return;
    for (int32_t i = 0; i < gv->nkernels; i++) {
        const attn_gpu_kernel *kern = &gv->kernels[i];
        attn_cuda_kernel k;
        attn_cuda_kernel_resources r;
        if (kern->dtype == ATTN_BF16 && kern->d == d && kern->dv == d &&
            attn_cuda_attn_fwd_kernel(ptx, kern->entry, d, d, &k) == ATTN_OK &&
            attn_cuda_kernel_resources_get(&k, ATTN_GPU_THREADS(d, d), &r) == ATTN_OK)
            printf("attnc_kernel %s %d %d %d %d\n", gv->var->name, d, (int)r.registers,
                   (int)r.local_bytes, (int)r.ctas_per_sm);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gpu_bench PTX_STEM < ROWS\n");
        return 2;
    }
    int no_cuda = gpu_bench_cuda_init("gpu_bench");
    if (no_cuda)
        return no_cuda;
    GpuBenchVariants b;
    char err[512];
    if (!gpu_bench_variants_load(argv[1], &b, err, sizeof err)) {
        fprintf(stderr, "gpu_bench: %s\n", err);
        return 1;
    }
    static char line[1 << 20];
    while (fgets(line, sizeof line, stdin)) {
        char *words[BENCH_MAX_ARGS + 5], *save = NULL;
        int n = 0;
        for (char *w = strtok_r(line, " \t\r\n", &save); w && n < BENCH_MAX_ARGS + 5;
             w = strtok_r(NULL, " \t\r\n", &save))
            words[n++] = w;
        if (n == 0)
            continue;
        const attn_gpu_variant *gv = gpu_bench_variant(&b, words[0]);
        int D = n > 1 ? atoi(words[1]) : 0, S = n > 2 ? atoi(words[2]) : 0;
        int B = n > 3 ? atoi(words[3]) : 0, H = n > 4 ? atoi(words[4]) : 0;
        float ms = 0;
        if (!gv || n < 5 || D <= 0 || S <= 0 || B <= 0 || H <= 0)
            printf("attnc_fail %s %d %d bad row (VARIANT D S B H [NAME=VALUE]...)\n", words[0], D, S);
        else if (bench_row(gv, D, S, B, H, words + 5, n - 5, &ms, err, sizeof err) != ATTN_OK)
            printf("attnc_fail %s %d %d %s\n", words[0], D, S, err);
        else {
            printf("attnc_ms %s %d %d %.4f\n", words[0], D, S, ms);
            bench_kernel_line(gv, D);
        }
        fflush(stdout);
    }
    gpu_bench_variants_free(&b);
    attn_cuda_release();
    return 0;
}
