/* scan_problem.c - see scan_problem.h. */
#include <stdlib.h>
#include <string.h>

#include "scan_problem.h"

static uint64_t rng_next(uint64_t *s)
{
    *s += 0x9E3779B97F4A7C15ull;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float rng_unit(uint64_t *s) { return (float)(rng_next(s) >> 40) / (float)(1 << 24); }

/* Shape of a declared tensor type under dims; returns the element count. */
static int64_t type_shape(const TypeRef *ty, const int32_t *dims, int64_t *shape)
{
    int64_t n = 1;
    for (int k = 0; k < ty->ndims; k++) {
        shape[k] = ty->dims[k].dim_id >= 0 ? dims[ty->dims[k].dim_id] : ty->dims[k].value;
        n *= shape[k];
    }
    return n;
}

void scan_problem_init(ScanProblem *p, const Decl *d, const int32_t *dims, const int32_t *seg,
                       int32_t nseg, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    memcpy(p->dims, dims, sizeof p->dims);
    p->len = dims[d->scan.axis_dim_id];
    p->in = calloc((size_t)d->nparams + 1, sizeof *p->in);
    p->shape = calloc((size_t)d->nparams + 1, sizeof *p->shape);
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *ty = d->params[i]->type;
        if (ty->kind != TY_TENSOR)
            continue;
        int64_t n = type_shape(ty, dims, p->shape[i]);
        bool neg = d->params[i]->name[0] == 'A';
        p->in[i] = malloc((size_t)(n + 1) * sizeof **p->in);
        for (int64_t e = 0; e < n; e++)
            p->in[i][e] = neg ? -0.1f - 0.9f * rng_unit(&seed) : 2.0f * rng_unit(&seed) - 1.0f;
    }
    p->nseg = nseg;
    p->offsets = malloc(((size_t)nseg + 1) * sizeof *p->offsets);
    p->offsets[0] = 0;
    for (int s = 0; s < nseg; s++)
        p->offsets[s + 1] = p->offsets[s] + seg[s];
    p->out = calloc((size_t)d->noutputs + 1, sizeof *p->out);
    p->out_shape = calloc((size_t)d->noutputs + 1, sizeof *p->out_shape);
    p->out_elems = calloc((size_t)d->noutputs + 1, sizeof *p->out_elems);
    for (int o = 0; o < d->noutputs; o++) {
        p->out_elems[o] = type_shape(d->outputs[o]->type, dims, p->out_shape[o]);
        p->out[o] = calloc((size_t)p->out_elems[o] + 1, sizeof **p->out);
    }
}

void scan_problem_free(ScanProblem *p)
{
    for (int i = 0; i < p->d->nparams; i++)
        free(p->in[i]);
    for (int o = 0; o < p->d->noutputs; o++)
        free(p->out[o]);
    free(p->in);
    free(p->shape);
    free(p->offsets);
    free(p->out);
    free(p->out_shape);
    free(p->out_elems);
}

/* A view of the compact tensor (data, shape) restricted to [begin, begin+n)
 * on every axis declared with the scanned dimension. */
static void view(const TypeRef *ty, int axis_dim, float *data, const int64_t *shape, int64_t begin,
                 int64_t n, DLTensor *t, int64_t *vshape, int64_t *strides)
{
    int64_t st = 1, off = 0;
    for (int k = ty->ndims - 1; k >= 0; k--) {
        strides[k] = st;
        vshape[k] = shape[k];
        if (ty->dims[k].dim_id == axis_dim) {
            vshape[k] = n;
            off += begin * st;
        }
        st *= shape[k];
    }
    *t = (DLTensor){.data = data + off, .device = {kDLCPU, 0}, .ndim = ty->ndims,
                    .dtype = {kDLFloat, 32, 1}, .shape = vshape, .strides = strides};
}

attn_status scan_problem_run(const ScanProblem *p, const ScanProgram *prog, int64_t begin,
                             int64_t n, float **out, int32_t threads)
{
    const Decl *d = p->d;
    int np = d->nparams, no = d->noutputs, axis = d->scan.axis_dim_id;
    DLTensor *t = calloc((size_t)(np + no) + 1, sizeof *t);
    int64_t(*shp)[ATTN_MAX_RANK] = calloc((size_t)(np + no) + 1, sizeof *shp);
    int64_t(*str)[ATTN_MAX_RANK] = calloc((size_t)(np + no) + 1, sizeof *str);
    attn_arg *args = calloc((size_t)np + 1, sizeof *args);
    DLTensor **outs = calloc((size_t)no + 1, sizeof *outs);
    bool whole = begin == 0 && n == p->len;
    int32_t local[2] = {0, (int32_t)n};
    int64_t nofs = whole ? p->nseg + 1 : 2;
    int nargs = 0;
    for (int i = 0; i < np; i++) {
        const TypeRef *ty = d->params[i]->type;
        if (ty->kind == TY_TENSOR) {
            view(ty, axis, p->in[i], p->shape[i], begin, n, &t[i], shp[i], str[i]);
            args[nargs++] = attn_arg_tensor(i, &t[i]);
        } else if (ty->kind == TY_PACK) {
            shp[i][0] = nofs;
            t[i] = (DLTensor){.data = whole ? p->offsets : local, .device = {kDLCPU, 0}, .ndim = 1,
                              .dtype = {kDLInt, 32, 1}, .shape = shp[i]};
            args[nargs++] = attn_arg_pack(i, &t[i]);
        }
    }
    for (int o = 0; o < no; o++) {
        view(d->outputs[o]->type, axis, out[o], p->out_shape[o], begin, n, &t[np + o],
             shp[np + o], str[np + o]);
        outs[o] = &t[np + o];
    }
    attn_launch_opts opts = {.num_threads = threads};
    attn_gpu_device dev = prog->gpu.ptx[ATTN_GPU_PTX_SM80] || prog->gpu.ptx[ATTN_GPU_PTX_SM90A]
                              ? ATTN_GPU_CUDA : ATTN_GPU_EMU;
    attn_status s = prog->gpu.var ? attn_scan_gpu(&prog->gpu, dev, args, nargs, outs, no, &opts)
                                  : attn_scan(&prog->var, args, nargs, outs, no, &opts);
    free(t);
    free(shp);
    free(str);
    free(args);
    free(outs);
    return s;
}

bool scan_problem_reference(const ScanProblem *p, double **ref, char *err, size_t errlen)
{
    const Decl *d = p->d;
    attn_param *slots = calloc((size_t)d->nparams + 1, sizeof *slots);
    int32_t *seg_of = malloc((size_t)p->len * sizeof *seg_of + 1);
    for (int s = 0; s < p->nseg; s++)
        for (int32_t i = p->offsets[s]; i < p->offsets[s + 1]; i++)
            seg_of[i] = s;
    for (int i = 0; i < d->nparams; i++) {
        const Param *prm = d->params[i];
        if (prm->type->kind == TY_TENSOR) {
            attn_tensor_arg *ta = &slots[i].u.t;
            ta->data = p->in[i];
            ta->ndim = prm->type->ndims;
            ta->dtype = ATTN_F32;
            int64_t st = 1;
            for (int k = ta->ndim - 1; k >= 0; k--) {
                ta->shape[k] = p->shape[i][k];
                ta->stride[k] = st;
                st *= p->shape[i][k];
            }
        } else if (prm->type->kind == TY_PACK) {
            slots[i].u.p = (attn_pack_arg){p->offsets, seg_of, p->nseg, (int32_t)p->len};
        } else if (prm->type->scalar == SK_F32) {
            slots[i].u.f = prm->init ? (float)prm->init->const_value : 0.0f;
        } else {
            slots[i].u.i = prm->init ? (int32_t)prm->init->const_value : 0;
        }
    }
    attn_ctx ctx = {.params = slots};
    memcpy(ctx.dims, p->dims, sizeof ctx.dims);
    bool ok = interp_scan(d, &ctx, ref, err, errlen);
    free(slots);
    free(seg_of);
    return ok;
}
