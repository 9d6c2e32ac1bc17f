/* cg_stub_scan.c - the GPU launch stubs of a scan variant (cg_stub.h):
 * its attn_scan_gpu_variant with the launch geometry as C over the dims
 * (no host object: rows and shared memory are products of extents) and
 * its CUDA launch. */
#include "attn_scan_gpu.h"
#include "cg_header.h"
#include "cg_stub.h"
#include "lower.h"
#include "run_scan.h"

/* The launch function of scan stubs: prototype (%1$s prefix, %2$s scan). */
static const char cg_stub_scan_proto[] =
    "attn_status %1$s_%2$s_scan_gpu(const %1$s_%2$s_params *p, const %1$s_%2$s_outputs *out,\n"
    "    const attn_launch_opts *opts)";

void cg_stub_scan_declare(FILE *f, const char *prefix, const attn_variant *v)
{
    const char *n = v->name;
    fprintf(f, "\n/* %s's GPU kernel (%s.c): the embedded PTX and the launch geometry, without\n"
               " * host entries (%s.o is not needed). */\n", n, prefix, prefix);
    fprintf(f, "attn_scan_gpu_variant %s_%s_scan_gpu_variant(void);\n\n", prefix, n);
    fprintf(f, "/* attn_scan_gpu (attn_scan_gpu.h) of %s on the CUDA device with parameters p\n"
               " * (NULL: all defaults): CPU tensors (copied in and out) or, every tensor\n"
               " * argument and output, CUDA tensors (used in place); packs on the CPU. */\n", n);
    fprintf(f, cg_stub_scan_proto, prefix, n);
    fprintf(f, ";\n");
}

/* The i64 product of ctx->dims[ids[0..n)] as a C expression (1 if n = 0). */
static void cg_stub_scan_product(FILE *f, const int *ids, int n)
{
    if (!n)
        fprintf(f, "(int64_t)1");
    for (int i = 0; i < n; i++)
        fprintf(f, "%s(int64_t)ctx->dims[%d]", i ? " * " : "", ids[i]);
}

/* static P_S_scan_gpu_rows and P_S_scan_gpu_smem: attn_scan_gpu_rows and
 * attn_scan_gpu_smem (kernels/scan_gpu.c) of geometry g. */
static void cg_stub_scan_geometry(FILE *f, const char *prefix, const char *n, const ScanGeometry *g)
{
    fprintf(f, "static int64_t %s_%s_scan_gpu_rows(const attn_ctx *ctx)\n{\n", prefix, n);
    fprintf(f, "%s    return ", g->nrow_dims ? "" : "    (void)ctx;\n");
    cg_stub_scan_product(f, g->row_dims, g->nrow_dims);
    fprintf(f, ";\n}\n\n");
    int lane_dims = 0;
    for (int s = 0; s < g->nstates; s++)
        lane_dims += g->nlane_dims[s];
    fprintf(f, "static int64_t %s_%s_scan_gpu_smem(const attn_ctx *ctx)\n{\n", prefix, n);
    fprintf(f, "%s    return ATTN_SCAN_GPU_SMEM_BYTES(%s", lane_dims ? "" : "    (void)ctx;\n",
            g->nstates ? "" : "0");
    for (int s = 0; s < g->nstates; s++) {
        fprintf(f, "%s", s ? " + " : "");
        cg_stub_scan_product(f, g->lane_dims[s], g->nlane_dims[s]);
    }
    fprintf(f, ");\n}\n\n");
}

bool cg_stub_scan(FILE *f, Arena *arena, const char *prefix, const Decl *d, const char *const *ptx_names,
                  char *err)
{
    ScanGeometry g;
    if (!lower_scan_geometry(d, arena, &g, err))
        return false;
    attn_variant v;
    attn_scan_desc scan;
    run_scan_describe(arena, d, &v, &scan);
    const char *n = v.name;
    fprintf(f, "\n/* ---- scan %s */\n\n", n);
    cg_stub_scan_geometry(f, prefix, n, &g);
    fprintf(f, "attn_scan_gpu_variant %s_%s_scan_gpu_variant(void)\n{\n", prefix, n);
    cg_header_descriptor(f, &v, NULL);
    fprintf(f, "    attn_scan_gpu_variant gv = {&var, \"%s_attn_scan_gpu\", NULL, %s_%s_scan_gpu_rows,\n"
               "        %s_%s_scan_gpu_smem, {", n, prefix, n, prefix, n);
    cg_stub_ptx_list(f, ptx_names);
    fprintf(f, "}, &%s_ptx_memo};\n    return gv;\n}\n\n", prefix);
    fprintf(f, cg_stub_scan_proto, prefix, n);
    fprintf(f, "\n{\n");
    cg_header_args(f, prefix, &v);
    cg_header_scan_outputs(f, &v);
    fprintf(f, "    const attn_scan_gpu_variant gv = %s_%s_scan_gpu_variant();\n", prefix, n);
    fprintf(f, "    return attn_scan_gpu(&gv, ATTN_GPU_CUDA, args, n, outs, %d, opts);\n}\n",
            (int)v.scan->noutputs);
    return true;
}
