/* cuda_attn_problem.c - see cuda_attn_problem.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_attn_problem.h"
#include "gpu_dev_emu.h"

int cuda_attn_variant(const char *name) {
    static const char *const names[] = {"none", "causal", "window", "softcap", "docs"};
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (strcmp(name, names[i]) == 0)
            return i; /* the order of EMU_VARIANT_NONE .. EMU_VARIANT_DOCS */
    return -1;
}

float cuda_attn_to_f32(const cuda_attn_problem *p, uint16_t e) {
    return p->spec.bf16 ? emu_bf16_to_f32(e) : emu_f16_to_f32(e);
}

/* n random elements in [-1, 1) from a linear congruential generator. */
static uint16_t *cuda_attn_random(size_t n, int bf16, unsigned *seed) {
    uint16_t *t = malloc(n * sizeof *t);
    for (size_t i = 0; t && i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        float f = (float)(*seed >> 8) / 8388608.0f - 1.0f;
        t[i] = bf16 ? emu_f32_to_bf16(f) : emu_f32_to_f16(f);
    }
    return t;
}

/* Allocates a device buffer and copies `bytes` of host data into it. */
static attn_status cuda_attn_upload(const void *host, size_t bytes, void **dev) {
    attn_status s = attn_cuda_malloc(bytes, dev);
    return s == ATTN_OK ? attn_cuda_memcpy_htod(*dev, host, bytes) : s;
}

/* Host pack tables for the documents of spec (one document when none). */
static attn_status cuda_attn_docs(cuda_attn_problem *p) {
    const cuda_attn_spec *sp = &p->spec;
    int ndocs = sp->ndocs > 0 ? sp->ndocs : 1;
    p->offsets = malloc((size_t)(ndocs + 1) * sizeof *p->offsets);
    p->seg_of = malloc((size_t)(sp->S > 0 ? sp->S : 1) * sizeof *p->seg_of);
    if (!p->offsets || !p->seg_of)
        return ATTN_ERR_NO_MEMORY;
    p->offsets[0] = 0;
    for (int d = 0; d < ndocs; d++) {
        p->offsets[d + 1] = p->offsets[d] + (sp->ndocs > 0 ? sp->doc_lens[d] : sp->S);
        for (int i = p->offsets[d]; i < p->offsets[d + 1] && i < sp->S; i++)
            p->seg_of[i] = d;
    }
    if (p->offsets[ndocs] != sp->S) {
        fprintf(stderr, "document lengths sum to %d, expected S = %d\n", p->offsets[ndocs], sp->S);
        return ATTN_ERR_SHAPE;
    }
    p->params[3].u.p = (attn_pack_arg){p->offsets, p->seg_of, ndocs, sp->S};
    return ATTN_OK;
}

/* Device copies of everything and the launch args. */
static attn_status cuda_attn_to_device(cuda_attn_problem *p, size_t nq, size_t nk, size_t nv) {
    const cuda_attn_spec *sp = &p->spec;
    size_t nout = (size_t)sp->B * sp->H * sp->S * sp->DV, nlse = (size_t)sp->B * sp->H * sp->S;
    const attn_pack_arg *pk = &p->params[3].u.p;
    attn_status s = cuda_attn_upload(p->q, nq * 2, &p->dq);
    if (s == ATTN_OK)
        s = cuda_attn_upload(p->k, nk * 2, &p->dk);
    if (s == ATTN_OK)
        s = cuda_attn_upload(p->v, nv * 2, &p->dv);
    if (s == ATTN_OK)
        s = attn_cuda_malloc(nout * 2, &p->dout);
    if (s == ATTN_OK)
        s = attn_cuda_malloc(nlse * sizeof(float), &p->dlse);
    if (s == ATTN_OK)
        s = cuda_attn_upload(pk->offsets, (size_t)(pk->nseg + 1) * sizeof(int32_t), &p->doffsets);
    if (s == ATTN_OK)
        s = cuda_attn_upload(pk->seg_of, (size_t)(sp->S > 0 ? sp->S : 1) * sizeof(int32_t),
                             &p->dseg_of);
    attn_param dparams[4];
    memcpy(dparams, p->params, sizeof dparams);
    dparams[3].u.p.offsets = p->doffsets;
    dparams[3].u.p.seg_of = p->dseg_of;
    if (s == ATTN_OK)
        s = cuda_attn_upload(dparams, sizeof dparams, &p->dparams);
    if (s != ATTN_OK)
        return s;
    attn_fwd_gpu_args *a = &p->args;
    a->q = p->dq, a->k = p->dk, a->v = p->dv, a->out = p->dout, a->lse = p->dlse;
    int64_t S = sp->S;
    int64_t qs[3] = {sp->H * S * sp->D, S * sp->D, sp->D};
    int64_t ks[3] = {sp->HKV * S * sp->D, S * sp->D, sp->D};
    int64_t vs[3] = {sp->HKV * S * sp->DV, S * sp->DV, sp->DV};
    int64_t os[3] = {sp->H * S * sp->DV, S * sp->DV, sp->DV};
    memcpy(a->q_stride, qs, sizeof qs);
    memcpy(a->k_stride, ks, sizeof ks);
    memcpy(a->v_stride, vs, sizeof vs);
    memcpy(a->o_stride, os, sizeof os);
    a->lse_stride[0] = sp->H * S, a->lse_stride[1] = S;
    a->ctx = p->host_ctx;
    a->ctx.params = p->dparams;
    a->scale = attn_hook_scale(&p->host_ctx);
    return ATTN_OK;
}

attn_status cuda_attn_problem_create(const cuda_attn_spec *spec, cuda_attn_problem **out) {
    cuda_attn_problem *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return ATTN_ERR_NO_MEMORY;
    p->spec = *spec;
    unsigned seed = spec->seed;
    size_t nq = (size_t)spec->B * spec->H * spec->S * spec->D;
    size_t nk = (size_t)spec->B * spec->HKV * spec->S * spec->D;
    size_t nv = (size_t)spec->B * spec->HKV * spec->S * spec->DV;
    p->q = cuda_attn_random(nq, spec->bf16, &seed);
    p->k = cuda_attn_random(nk, spec->bf16, &seed);
    p->v = cuda_attn_random(nv, spec->bf16, &seed);
    p->params[0].u.i = spec->variant;
    p->params[1].u.i = spec->window;
    p->params[2].u.f = spec->softcap;
    int32_t dims[ATTN_DIM_STANDARD_COUNT] = {spec->B, spec->H, spec->HKV, spec->S,
                                             spec->S, spec->D, spec->DV};
    memcpy(p->host_ctx.dims, dims, sizeof dims);
    p->host_ctx.params = p->params;
    attn_status s = !p->q || !p->k || !p->v ? ATTN_ERR_NO_MEMORY : cuda_attn_docs(p);
    if (s == ATTN_OK)
        s = cuda_attn_to_device(p, nq, nk, nv);
    if (s != ATTN_OK) {
        cuda_attn_problem_free(p);
        return s;
    }
    *out = p;
    return ATTN_OK;
}

void cuda_attn_problem_free(cuda_attn_problem *p) {
    if (!p)
        return;
    void *dev[] = {p->dq, p->dk, p->dv, p->dout, p->dlse, p->doffsets, p->dseg_of, p->dparams};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; i++)
        attn_cuda_free(dev[i]);
    free(p->q);
    free(p->k);
    free(p->v);
    free(p->offsets);
    free(p->seg_of);
    free(p);
}

char *cuda_attn_read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) &&
        fread(text, 1, (size_t)n, f) == (size_t)n)
        text[n] = '\0';
    else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

int cuda_attn_skip_code(attn_status s) {
    if (s == ATTN_ERR_UNSUPPORTED && strncmp(attn_last_error(), "CUDA unavailable", 16) == 0) {
        printf("skipped: %s\n", attn_last_error());
        return 77;
    }
    return 0;
}
