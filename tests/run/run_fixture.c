/* run_fixture.c - .npy files for the `attnc run` tests, written and read
 * with the runtime's npy functions (no Python needed).
 *   run_fixture make DIR        writes the inputs listed below into DIR
 *   run_fixture shape FILE S    checks FILE is an f32 .npy of shape S ("1,4,64,16")
 * Files of `make`: good/{q,k,v}.npy (f32 [1,4,64,32], [1,2,80,32],
 * [1,2,80,16]), doc.npy (i32 [80], two documents), cu.npy (i32 offsets
 * 0,24,64), and broken inputs: rank/{q,k,v} (q of rank 3), dtype/{q,k,v}
 * (q f16), heads/{q,k,v} (k and v with 3 heads for 4 query heads). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attn.h"

static int fixture_write(const char *dir, const char *sub, const char *name, DLDataType dt, int ndim,
                         const int64_t *shape)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/%s.npy", dir, sub, name);
    attn_npy *n;
    if (attn_npy_alloc(dt, ndim, shape, &n) != ATTN_OK)
        return 1;
    int64_t e = 1;
    for (int i = 0; i < ndim; i++)
        e *= shape[i];
    for (int64_t i = 0; i < e; i++) {
        if (dt.code == kDLInt)
            ((int32_t *)n->t.data)[i] = i >= 40; /* doc: two documents of 40 */
        else if (dt.bits == 32)
            ((float *)n->t.data)[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    }
    attn_status s = attn_npy_write(path, &n->t);
    attn_npy_free(n);
    if (s != ATTN_OK)
        fprintf(stderr, "%s\n", attn_last_error());
    return s != ATTN_OK;
}

/* q, k, v into DIR/SUB with q of shape qs and dtype qt; k, v heads hkv. */
static int fixture_qkv(const char *dir, const char *sub, DLDataType qt, int qrank, int64_t hkv)
{
    const DLDataType f32 = {kDLFloat, 32, 1};
    const int64_t q[4] = {1, 4, 64, 32}, k[4] = {1, hkv, 80, 32}, v[4] = {1, hkv, 80, 16};
    return fixture_write(dir, sub, "q", qt, qrank, q) | fixture_write(dir, sub, "k", f32, 4, k) |
           fixture_write(dir, sub, "v", f32, 4, v);
}

static int fixture_make(const char *dir)
{
    const DLDataType f32 = {kDLFloat, 32, 1}, f16 = {kDLFloat, 16, 1}, i32 = {kDLInt, 32, 1};
    mkdir(dir, 0777);
    int64_t ndoc = 80, ncu = 3;
    int bad = fixture_qkv(dir, "good", f32, 4, 2) | fixture_qkv(dir, "rank", f32, 3, 2) |
              fixture_qkv(dir, "dtype", f16, 4, 2) | fixture_qkv(dir, "heads", f32, 4, 3) |
              fixture_write(dir, ".", "doc", i32, 1, &ndoc);
    char path[4096];
    snprintf(path, sizeof path, "%s/cu.npy", dir);
    attn_npy *cu;
    if (attn_npy_alloc(i32, 1, &ncu, &cu) != ATTN_OK)
        return 1;
    int32_t *o = cu->t.data;
    o[1] = 24;
    o[2] = 64;
    bad |= attn_npy_write(path, &cu->t) != ATTN_OK;
    attn_npy_free(cu);
    return bad;
}

static int fixture_shape(const char *file, const char *shape)
{
    attn_npy *n;
    if (attn_npy_read(file, &n) != ATTN_OK) {
        fprintf(stderr, "%s\n", attn_last_error());
        return 1;
    }
    char got[256] = "";
    for (int i = 0; i < n->t.ndim; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "", (long long)n->shape[i]);
    bool ok = n->t.dtype.code == kDLFloat && n->t.dtype.bits == 32 && strcmp(got, shape) == 0;
    printf("%s: f%d [%s]%s\n", file, n->t.dtype.bits, got, ok ? "" : " (MISMATCH)");
    attn_npy_free(n);
    return !ok;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "make"))
        return fixture_make(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "shape"))
        return fixture_shape(argv[2], argv[3]);
    fprintf(stderr, "usage: run_fixture make DIR | shape FILE D0,D1,...\n");
    return 2;
}
