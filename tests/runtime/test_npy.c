/* test_npy.c - .npy round trips for every supported dtype and layout, and
 * malformed files (each message asserted), plus mutated headers that must
 * fail cleanly. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define EXPECT_ERR(call, want, msg)                                                          \
    do {                                                                                     \
        attn_status s_ = (call);                                                             \
        TT_CHECK(s_ == (want) && strcmp(attn_last_error(), (msg)) == 0,                      \
                 "got %s \"%s\", expected \"%s\"", attn_status_name(s_), attn_last_error(), (msg)); \
    } while (0)

static char tn_path[64];

/* Writes x, reads it back, and compares shape, dtype and every element. */
static void tn_roundtrip(tt_tensor *x, DLDataType read_type) {
    TT_CHECK(attn_npy_write(tn_path, &x->t) == ATTN_OK, "%s", attn_last_error());
    attn_npy *n = NULL;
    TT_CHECK(attn_npy_read(tn_path, &n) == ATTN_OK, "%s", attn_last_error());
    if (!n)
        return;
    TT_CHECK(n->t.ndim == x->t.ndim && n->t.dtype.code == read_type.code &&
                 n->t.dtype.bits == read_type.bits, "header");
    int64_t count = 1;
    for (int32_t i = 0; i < x->t.ndim; i++) {
        TT_CHECK(n->t.shape[i] == x->shape[i], "shape[%d]", (int)i);
        count *= x->shape[i];
    }
    tt_tensor view = {.t = n->t, .mem = n->t.data};
    memcpy(view.shape, n->shape, sizeof view.shape);
    for (int32_t i = x->t.ndim - 1, s = 1; i >= 0; s *= (int32_t)x->shape[i], i--)
        view.strides[i] = s;
    view.t.dtype = x->t.dtype; /* bf16 comes back as raw u16 bits: read it as bf16 */
    int64_t idx[ATTN_MAX_RANK] = {0};
    for (int64_t e = 0; e < count; e++) {
        TT_CHECK(tt_get(&view, idx) == tt_get(x, idx), "element %lld", (long long)e);
        for (int32_t i = x->t.ndim - 1; i >= 0; i--) {
            if (++idx[i] < x->shape[i])
                break;
            idx[i] = 0;
        }
    }
    attn_npy_free(n);
}

static void tn_roundtrips(void) {
    static const int32_t dtypes[] = {ATTN_F32, ATTN_F16, ATTN_BF16, ATTN_I32, ATTN_BOOL};
    for (int i = 0; i < 5; i++)
        for (int layout = TT_COMPACT; layout <= TT_SWAP12; layout++) {
            tt_tensor x;
            tt_alloc(&x, dtypes[i], 4, (int64_t[]){2, 3, 4, 5}, (tt_layout)layout);
            tt_fill_random(&x, (uint64_t)i, 100);
            DLDataType rt = x.t.dtype;
            if (dtypes[i] == ATTN_BF16)
                rt = (DLDataType){kDLUInt, 16, 1};
            tn_roundtrip(&x, rt);
            tt_free(&x);
        }
    tt_tensor e; /* empty and 0-d */
    tt_alloc(&e, ATTN_F32, 2, (int64_t[]){0, 3}, TT_COMPACT);
    tn_roundtrip(&e, e.t.dtype);
    tt_free(&e);
    tt_alloc(&e, ATTN_F32, 0, NULL, TT_COMPACT);
    *(float *)e.mem = 2.5f;
    tn_roundtrip(&e, e.t.dtype);
    tt_free(&e);
}

/* Builds an in-memory v1 .npy with the given header dict and data size. */
static size_t tn_image(unsigned char *buf, const char *dict, size_t data_bytes) {
    size_t dl = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(dl & 0xff);
    buf[9] = (unsigned char)(dl >> 8);
    memcpy(buf + 10, dict, dl);
    memset(buf + 10 + dl, 0, data_bytes);
    return 10 + dl + data_bytes;
}

static void tn_malformed(void) {
    static unsigned char buf[4096];
    attn_npy *n = NULL;
    size_t len = tn_image(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
    TT_CHECK(attn_npy_parse(buf, len, &n) == ATTN_OK, "%s", attn_last_error());
    attn_npy_free(n);
    EXPECT_ERR(attn_npy_parse(buf, len - 1, &n), ATTN_ERR_FORMAT,
               "npy: data is truncated: 23 bytes, expected 24");
    EXPECT_ERR(attn_npy_parse(buf, 40, &n), ATTN_ERR_FORMAT,
               "npy: header length 59 runs past the end of the file");
    EXPECT_ERR(attn_npy_parse("GARBAGE!!!!!", 12, &n), ATTN_ERR_FORMAT, "npy: not a .npy file (bad magic)");
    len = tn_image(buf, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24);
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_FORMAT,
               "npy: Fortran-order arrays are not supported (save a C-order copy)");
    len = tn_image(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16);
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_DTYPE,
               "npy: unsupported dtype '<f8' (expected <f4, <f2, <i4, |b1, |u1 or <u2)");
    len = tn_image(buf, "{'descr': '<f4', 'shape': (2,), }", 8);
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_FORMAT, "npy: malformed header: missing fortran_order");
    len = tn_image(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 5, 6, 7, 8), }", 0);
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_FORMAT, "npy: more than 6 dimensions");
    len = tn_image(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", 0);
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_SHAPE, "npy: shape too large");
    len = tn_image(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", 0);
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_FORMAT, "npy: malformed header: bad shape tuple");
    buf[6] = 9;
    EXPECT_ERR(attn_npy_parse(buf, len, &n), ATTN_ERR_FORMAT, "npy: unsupported format version 9.0");
    EXPECT_ERR(attn_npy_read("/nonexistent/x.npy", &n), ATTN_ERR_IO, "/nonexistent/x.npy: cannot open");
    TT_CHECK(n == NULL, "no result on failure");

    /* every truncation and many single-byte corruptions fail cleanly */
    len = tn_image(buf, "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 1), }", 12);
    for (size_t cut = 0; cut < len; cut++) {
        TT_CHECK(attn_npy_parse(buf, cut, &n) != ATTN_OK, "prefix %zu accepted", cut);
    }
    unsigned char copy[256];
    uint64_t st = 7;
    for (int i = 0; i < 20000; i++) {
        memcpy(copy, buf, len);
        for (int k = 0; k < 3; k++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            copy[(st >> 33) % len] = (unsigned char)(st >> 20);
        }
        if (attn_npy_parse(copy, len, &n) == ATTN_OK)
            attn_npy_free(n);
    }
}

int main(void) {
    snprintf(tn_path, sizeof tn_path, "test_npy_%ld.npy", (long)getpid());
    tn_roundtrips();
    tn_malformed();
    unlink(tn_path);
    if (tt_failures)
        fprintf(stderr, "%d check(s) failed\n", tt_failures);
    return tt_failures != 0;
}
