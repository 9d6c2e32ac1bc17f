/* cmd_show.c - `attnc show FILE --variant NAME --shape B,H,Q,KV,D
 * [--set NAME=VALUE]... [--pack NAME=L1,L2,...]... -o mask.png`: draws the
 * block structure the kernels see for batch 0, head 0.
 *
 * The variant is JIT-compiled with the probe template (kernels/attn_probe.h),
 * so the picture shows exactly what generated code computes: the key ranges
 * of every query block of ATTN_CPU_BLOCK_Q rows (cut into key blocks of
 * ATTN_CPU_BLOCK_KV) and, when Q * KV <= 1M, the mask of every element.
 * Colours: full blocks green, partial blocks light blue (visible elements
 * dark blue), empty blocks white, block grid grey. A summary line gives the
 * visible fraction (when elements are drawn) and the block counts.
 * Parameters come from --set, --tensor NAME=FILE.npy and --pack as for
 * `attnc run` (a pack without --pack is one segment), bound and checked by
 * the runtime (attn_bind_args: the messages of a launch). Exit: 0, 1 on
 * errors in FILE or in the values, 2 for usage. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_probe.h"
#include "cg.h"
#include "cmd.h"
#include "run_attention.h"
#include "run_common.h"

enum { SHOW_MAX_ELEMS = 1 << 20, SHOW_MAX_SIDE = 1024 };

typedef struct ShowOptions {
    CmdFront front;
    const char *variant, *shape, *output;
    RunOptions bind; /* only its --set / --tensor / --pack lists */
} ShowOptions;

static int show_parse_args(int argc, char **argv, ShowOptions *o)
{
    RunOptions *b = &o->bind;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        const char **one = !strcmp(a, "--variant") ? &o->variant
                           : !strcmp(a, "--shape") ? &o->shape
                           : !strcmp(a, "-o")      ? &o->output
                                                   : NULL;
        RunBinding *list = !strcmp(a, "--set")      ? b->sets
                           : !strcmp(a, "--tensor") ? b->tensors
                           : !strcmp(a, "--pack")   ? b->packs
                                                    : NULL;
        int *n = list == b->sets ? &b->nsets : list == b->tensors ? &b->ntensors : &b->npacks;
        if (one || list) {
            if (i + 1 >= argc)
                return cmd_usage_error("option '%s' needs a value", a);
            if (one)
                *one = argv[i + 1];
            else if (cmd_parse_binding(a, argv[i + 1], list, n))
                return 2;
            i += 2;
        } else if (!cmd_front_arg(&o->front, argc, argv, &i)) {
            return i < argc ? cmd_usage_error("unknown option '%s'", a) : 2;
        }
    }
    if (o->front.nfiles != 1)
        return cmd_usage_error("%s", o->front.nfiles ? "expected one input file" : "no input file");
    if (!o->shape || !o->output)
        return cmd_usage_error("%s", !o->shape ? "no --shape B,H,Q,KV,D" : "no output file (-o mask.png)");
    return 0;
}

static bool show_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "attnc: error: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return false;
}

/* Binds d's parameters from o's --set / --tensor / --pack into ctx (whose
 * seven launch dims are set) through attn_bind_args; the .npy data of
 * parameter i is in npy[i] until the caller frees it and *bound. */
static bool show_bind(Arena *a, const ShowOptions *o, const Decl *d, attn_ctx *ctx, attn_npy **npy,
                      attn_bound **bound)
{
    const RunOptions *b = &o->bind;
    if (run_check_bindings(d, b))
        return false;
    attn_arg *args = arena_alloc(a, (size_t)(d->nparams + 1) * sizeof *args);
    int n = 0;
    for (int i = 0; i < d->nparams; i++) {
        const Param *p = d->params[i];
        if (p->type->kind == TY_TENSOR) {
            const char *file = run_binding(b->tensors, b->ntensors, p->name);
            if (!file)
                return run_error("tensor parameter '%s' needs --tensor %s=FILE.npy", p->name, p->name) == 0;
            if (attn_npy_read(file, &npy[i]) != ATTN_OK)
                return run_error("--tensor %s: %s", p->name, attn_last_error()) == 0;
            args[n++] = attn_arg_tensor(i, &npy[i]->t);
        } else if (p->type->kind == TY_PACK) {
            if (run_pack(p->name, run_binding(b->packs, b->npacks, p->name), ctx->dims[ATTN_DIM_KV], &npy[i]))
                return false;
            args[n++] = attn_arg_pack(i, &npy[i]->t);
        } else {
            const char *v = run_binding(b->sets, b->nsets, p->name);
            if (v && !run_parse_scalar(p, i, v, &args[n++]))
                return false;
        }
    }
    attn_variant var;
    run_attn_describe(a, d, &var);
    return attn_bind_args(&var, args, n, ctx, bound) == ATTN_OK || run_error("%s", attn_last_error()) == 0;
}

typedef struct Picture {
    int q, kv, nqb, nkb;
    unsigned char *block;  /* per (qb, kb): 0 empty, 1 partial, 2 full */
    unsigned char *elem;   /* per (q, kv) visible, or NULL */
} Picture;

/* Classifies the key blocks of every query block, and the elements. */
static bool show_evaluate(CgJit *jit, const char *variant, const attn_ctx *ctx, Picture *pic)
{
    char err[CG_ERR_LEN];
    void (*probe)(const attn_ctx *, attn_probe_io *) =
        (void (*)(const attn_ctx *, attn_probe_io *))cg_jit_lookup(jit, variant, "attn_probe", err);
    if (!probe)
        return show_fail("%s", err);
    attn_probe_point *pts = pic->elem ? calloc((size_t)pic->kv, sizeof *pts) : NULL;
    for (int qb = 0; qb < pic->nqb; qb++) {
        int q0 = qb * ATTN_CPU_BLOCK_Q, q1 = q0 + ATTN_CPU_BLOCK_Q < pic->q ? q0 + ATTN_CPU_BLOCK_Q : pic->q;
        attn_probe_io io = {.q0 = q0, .q1 = q1};
        probe(ctx, &io);
        for (int kb = 0; kb < pic->nkb; kb++) {
            int k0 = kb * ATTN_CPU_BLOCK_KV, k1 = k0 + ATTN_CPU_BLOCK_KV < pic->kv ? k0 + ATTN_CPU_BLOCK_KV : pic->kv;
            int covered_full = 0, covered = 0;
            for (int r = 0; r < io.nranges; r++) {
                int lo = io.ranges[r].lo > k0 ? io.ranges[r].lo : k0;
                int hi = io.ranges[r].hi < k1 ? io.ranges[r].hi : k1;
                if (hi > lo) {
                    covered += hi - lo;
                    covered_full += io.ranges[r].full ? hi - lo : 0;
                }
            }
            pic->block[(size_t)qb * pic->nkb + kb] = covered_full == k1 - k0 ? 2 : covered ? 1 : 0;
        }
        for (int q = q0; pts && q < q1; q++) {
            for (int kv = 0; kv < pic->kv; kv++)
                pts[kv] = (attn_probe_point){.q = q, .kv = kv};
            attn_probe_io pio = {.pts = pts, .npts = pic->kv, .q0 = q0, .q1 = q1};
            probe(ctx, &pio);
            for (int kv = 0; kv < pic->kv; kv++)
                pic->elem[(size_t)q * pic->kv + kv] = pts[kv].mask != 0;
        }
    }
    free(pts);
    return true;
}

/* RGB of the pixel showing element (q, kv) (its block when elem is NULL). */
static void show_pixel(const Picture *pic, int q, int kv, bool grid, png_byte *rgb)
{
    static const png_byte colours[3][3] = {{255, 255, 255}, {200, 225, 250}, {90, 190, 100}};
    int cls = pic->block[(size_t)(q / ATTN_CPU_BLOCK_Q) * pic->nkb + kv / ATTN_CPU_BLOCK_KV];
    memcpy(rgb, colours[cls], 3);
    if (pic->elem && cls == 1 && pic->elem[(size_t)q * pic->kv + kv])
        rgb[0] = 30, rgb[1] = 70, rgb[2] = 180;
    if (grid)
        rgb[0] = rgb[1] = rgb[2] = 150;
}

/* Encodes the picture, `scale` pixels per element or block, into `png`.
 * libpng reports errors by longjmp: the setjmp lives here, in a frame whose
 * locals are dead when it returns false. */
static bool show_png_encode(png_structp png, png_infop info, FILE *f, const Picture *pic,
                            int scale, png_bytep row)
{
    int rows = pic->elem ? pic->q : pic->nqb, cols = pic->elem ? pic->kv : pic->nkb;
    int w = cols * scale, hgt = rows * scale;
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)hgt, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < hgt; y++) {
        for (int x = 0; x < w; x++) {
            int r = y / scale, c = x / scale;
            if (pic->elem) {
                bool grid = (r % ATTN_CPU_BLOCK_Q == 0 && r && y % scale == 0) ||
                            (c % ATTN_CPU_BLOCK_KV == 0 && c && x % scale == 0);
                show_pixel(pic, r, c, grid, row + 3 * x);
            } else {
                bool grid = scale >= 4 && (y % scale == 0 || x % scale == 0);
                show_pixel(pic, r * ATTN_CPU_BLOCK_Q, c * ATTN_CPU_BLOCK_KV, grid, row + 3 * x);
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    return true;
}

/* Elements: `scale` pixels each (grid on block edges); blocks alone: `scale`
 * pixels per block (grid when a block is at least 4 pixels). */
static bool show_write_png(const Picture *pic, const char *path)
{
    int rows = pic->elem ? pic->q : pic->nqb, cols = pic->elem ? pic->kv : pic->nkb;
    int big = rows > cols ? rows : cols, scale = 1;
    while (big * (scale + 1) <= SHOW_MAX_SIDE && scale < 16)
        scale++;
    FILE *f = fopen(path, "wb");
    if (!f)
        return show_fail("cannot write '%s'", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = malloc((size_t)cols * (size_t)scale * 3);
    bool ok = png && info && row && show_png_encode(png, info, f, pic, scale, row);
    png_destroy_write_struct(&png, &info);
    free(row);
    ok = (fclose(f) == 0) && ok;
    return ok || show_fail("cannot write '%s'", path);
}

static void show_summary(const Picture *pic)
{
    long counts[3] = {0};
    for (size_t i = 0; i < (size_t)pic->nqb * pic->nkb; i++)
        counts[pic->block[i]]++;
    if (pic->elem) {
        size_t vis = 0;
        for (size_t i = 0; i < (size_t)pic->q * pic->kv; i++)
            vis += pic->elem[i];
        printf("visible %.4f of %d x %d; ", (double)vis / ((double)pic->q * pic->kv), pic->q, pic->kv);
    }
    printf("blocks %dx%d: %ld full, %ld partial, %ld empty\n", ATTN_CPU_BLOCK_Q, ATTN_CPU_BLOCK_KV,
           counts[2], counts[1], counts[0]);
}

/* Evaluates variant's blocks (and elements of small shapes) under ctx,
 * prints the summary and writes the PNG. */
static bool show_picture(CgJit *jit, const char *variant, const attn_ctx *ctx, const char *output,
                         Arena *arena)
{
    int q = ctx->dims[ATTN_DIM_Q], kv = ctx->dims[ATTN_DIM_KV];
    Picture pic = {.q = q, .kv = kv};
    pic.nqb = (pic.q + ATTN_CPU_BLOCK_Q - 1) / ATTN_CPU_BLOCK_Q;
    pic.nkb = (pic.kv + ATTN_CPU_BLOCK_KV - 1) / ATTN_CPU_BLOCK_KV;
    pic.block = arena_alloc(arena, (size_t)pic.nqb * pic.nkb);
    if ((int64_t)pic.q * pic.kv <= SHOW_MAX_ELEMS)
        pic.elem = arena_alloc(arena, (size_t)pic.q * pic.kv);
    if (!show_evaluate(jit, variant, ctx, &pic))
        return false;
    show_summary(&pic);
    return show_write_png(&pic, output);
}

static bool show_run(const ShowOptions *o, Compilation *c)
{
    int dims[5];
    if (sscanf(o->shape, "%d,%d,%d,%d,%d", &dims[0], &dims[1], &dims[2], &dims[3], &dims[4]) != 5 ||
        dims[2] <= 0 || dims[3] <= 0 || dims[0] <= 0 || dims[1] <= 0 || dims[4] <= 0)
        return show_fail("--shape: expected positive B,H,Q,KV,D, got '%s'", o->shape);
    cmd_front_apply(&o->front, c);
    Module *m = compile_file(c, o->front.files[0]);
    if (!m || c->diags.errors)
        return false;
    Decl *d = NULL;
    for (int i = 0; i < m->ndecls && !d; i++)
        if (m->decls[i]->kind == DECL_ATTENTION && (!o->variant || !strcmp(m->decls[i]->name, o->variant)))
            d = m->decls[i];
    if (!d)
        return show_fail("no attention variant '%s'", o->variant ? o->variant : "(any)");
    attn_ctx ctx = {.dims = {dims[0], dims[1], dims[1], dims[2], dims[3], dims[4], dims[4]}};
    attn_npy **npy = arena_alloc(&c->arena, (size_t)(d->nparams + 1) * sizeof *npy);
    attn_bound *bound = NULL;
    char err[CG_ERR_LEN];
    CgJit *jit = NULL;
    bool ok = show_bind(&c->arena, o, d, &ctx, npy, &bound);
    if (ok && !(jit = cg_jit_create(&c->arena, &d, 1, "attn_probe", err)))
        ok = show_fail("%s", err);
    if (ok)
        ok = show_picture(jit, d->name, &ctx, o->output, &c->arena);
    cg_jit_free(jit);
    attn_bound_free(bound);
    for (int i = 0; i < d->nparams; i++)
        attn_npy_free(npy[i]);
    return ok;
}

int cmd_show(int argc, char **argv)
{
    ShowOptions o = {0};
    cmd_front_init(&o.front, argc);
    o.bind.sets = calloc((size_t)argc + 1, sizeof *o.bind.sets);
    o.bind.tensors = calloc((size_t)argc + 1, sizeof *o.bind.tensors);
    o.bind.packs = calloc((size_t)argc + 1, sizeof *o.bind.packs);
    int status = !o.bind.sets || !o.bind.tensors || !o.bind.packs ? cmd_usage_error("out of memory")
                                                                   : show_parse_args(argc, argv, &o);
    if (status == 0) {
        Compilation c;
        compilation_init(&c, stderr);
        status = show_run(&o, &c) ? 0 : 1;
        diag_finish(&c.diags);
        compilation_free(&c);
    }
    cmd_front_free(&o.front);
    free(o.bind.sets);
    free(o.bind.tensors);
    free(o.bind.packs);
    return status;
}
