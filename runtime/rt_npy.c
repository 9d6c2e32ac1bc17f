/* rt_npy.c - reading and writing NumPy .npy files (format 1.0 and 2.0).
 *
 * The header is a Python dict literal; this parser accepts exactly what
 * numpy writes ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), })
 * in any key order, and checks every length and count against the file
 * before trusting it. Data must be C order and little-endian. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

static const char rt_npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* descr strings <-> DLPack dtypes (bf16 is stored as raw '<u2'). */
typedef struct rt_npy_type {
    const char *descr;
    DLDataType dl;
} rt_npy_type;

static const rt_npy_type rt_npy_types[] = {
    {"<f4", {kDLFloat, 32, 1}}, {"<f2", {kDLFloat, 16, 1}}, {"<i4", {kDLInt, 32, 1}},
    {"|b1", {kDLBool, 8, 1}},   {"|u1", {kDLUInt, 8, 1}},   {"<u2", {kDLUInt, 16, 1}},
};
#define RT_NPY_NTYPES (sizeof rt_npy_types / sizeof rt_npy_types[0])

/* A cursor over the header text [p, end). */
typedef struct rt_cursor {
    const char *p, *end;
} rt_cursor;

static void rt_skip_space(rt_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'))
        c->p++;
}

/* Consumes `lit` (after spaces) or returns 0. */
static int rt_accept(rt_cursor *c, const char *lit) {
    rt_skip_space(c);
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* A quoted string into buf (at most cap - 1 characters). */
static int rt_string(rt_cursor *c, char *buf, size_t cap) {
    rt_skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (n + 1 >= cap)
            return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

/* A non-negative decimal integer below 2^62. */
static int rt_integer(rt_cursor *c, int64_t *out) {
    rt_skip_space(c);
    int64_t v = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (v > ((int64_t)1 << 62) / 10)
            return 0;
        v = v * 10 + (*c->p++ - '0');
    }
    *out = v;
    return c->p > start;
}

/* Parses the shape tuple "(a, b, )" into shape[*ndim]. */
static attn_status rt_shape(rt_cursor *c, int64_t *shape, int32_t *ndim) {
    *ndim = 0;
    if (!rt_accept(c, "("))
        return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: shape is not a tuple");
    while (!rt_accept(c, ")")) {
        if (*ndim == ATTN_MAX_RANK)
            return rt_fail(ATTN_ERR_FORMAT, "npy: more than %d dimensions", ATTN_MAX_RANK);
        if (!rt_integer(c, &shape[*ndim]))
            return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: bad shape entry");
        (*ndim)++;
        if (!rt_accept(c, ",") && !(rt_skip_space(c), c->p < c->end && *c->p == ')'))
            return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: bad shape tuple");
    }
    return ATTN_OK;
}

/* Parses the header dict into dtype, fortran flag and shape. */
static attn_status rt_header(rt_cursor *c, DLDataType *dtype, int64_t *shape, int32_t *ndim) {
    int seen_descr = 0, seen_order = 0, seen_shape = 0;
    if (!rt_accept(c, "{"))
        return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: expected a dict");
    while (!rt_accept(c, "}")) {
        char key[32], descr[16];
        if (!rt_string(c, key, sizeof key) || !rt_accept(c, ":"))
            return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: expected 'key':");
        if (strcmp(key, "descr") == 0) {
            if (!rt_string(c, descr, sizeof descr))
                return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: bad descr");
            size_t i = 0;
            while (i < RT_NPY_NTYPES && strcmp(rt_npy_types[i].descr, descr) != 0)
                i++;
            if (i == RT_NPY_NTYPES)
                return rt_fail(ATTN_ERR_DTYPE,
                               "npy: unsupported dtype '%s' (expected <f4, <f2, <i4, |b1, |u1 or <u2)",
                               descr);
            *dtype = rt_npy_types[i].dl;
            seen_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (rt_accept(c, "True"))
                return rt_fail(ATTN_ERR_FORMAT,
                               "npy: Fortran-order arrays are not supported (save a C-order copy)");
            if (!rt_accept(c, "False"))
                return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: bad fortran_order");
            seen_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            attn_status s = rt_shape(c, shape, ndim);
            if (s != ATTN_OK)
                return s;
            seen_shape = 1;
        } else {
            return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: unknown key '%s'", key);
        }
        if (!rt_accept(c, ",") && !(rt_skip_space(c), c->p < c->end && *c->p == '}'))
            return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: expected ',' or '}'");
    }
    if (!seen_descr || !seen_order || !seen_shape)
        return rt_fail(ATTN_ERR_FORMAT, "npy: malformed header: missing %s",
                       !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
    return ATTN_OK;
}

attn_status attn_npy_alloc(DLDataType dtype, int32_t ndim, const int64_t *shape, attn_npy **out) {
    if (!out || ndim < 0 || ndim > ATTN_MAX_RANK || (ndim > 0 && !shape))
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_npy_alloc: bad arguments");
    *out = NULL;
    int64_t elem = rt_dl_elem_size(dtype), n = 1;
    for (int32_t i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > ((int64_t)1 << 40) / shape[i]))
            return rt_fail(ATTN_ERR_SHAPE, "npy: shape too large");
        n *= shape[i];
    }
    attn_npy *a = calloc(1, sizeof *a);
    void *data = calloc((size_t)(n > 0 ? n : 1), (size_t)(elem > 0 ? elem : 1));
    if (!a || !data) {
        free(a);
        free(data);
        return rt_fail(ATTN_ERR_NO_MEMORY, "npy: out of memory for %lld elements", (long long)n);
    }
    for (int32_t i = 0; i < ndim; i++)
        a->shape[i] = shape[i];
    a->t.data = data;
    a->t.device.device_type = kDLCPU;
    a->t.ndim = ndim;
    a->t.dtype = dtype;
    a->t.shape = a->shape;
    *out = a;
    return ATTN_OK;
}

void attn_npy_free(attn_npy *n) {
    if (n) {
        free(n->t.data);
        free(n);
    }
}

attn_status attn_npy_parse(const void *data, size_t size, attn_npy **out) {
    if (!out || (!data && size > 0))
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_npy_parse: bad arguments");
    *out = NULL;
    const unsigned char *b = data;
    if (size < 10 || memcmp(b, rt_npy_magic, 6) != 0)
        return rt_fail(ATTN_ERR_FORMAT, "npy: not a .npy file (bad magic)");
    size_t hlen, hstart;
    if (b[6] == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hstart = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (size < 12)
            return rt_fail(ATTN_ERR_FORMAT, "npy: truncated header");
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hstart = 12;
    } else {
        return rt_fail(ATTN_ERR_FORMAT, "npy: unsupported format version %d.%d", b[6], b[7]);
    }
    if (hlen > size - hstart)
        return rt_fail(ATTN_ERR_FORMAT, "npy: header length %zu runs past the end of the file", hlen);
    rt_cursor c = {(const char *)b + hstart, (const char *)b + hstart + hlen};
    DLDataType dtype = {0, 0, 0};
    int64_t shape[ATTN_MAX_RANK];
    int32_t ndim = 0;
    attn_status s = rt_header(&c, &dtype, shape, &ndim);
    if (s != ATTN_OK)
        return s;
    attn_npy *a;
    if ((s = attn_npy_alloc(dtype, ndim, shape, &a)) != ATTN_OK)
        return s;
    size_t bytes = (size_t)(rt_numel(&a->t) * rt_dl_elem_size(dtype));
    size_t have = size - hstart - hlen;
    if (have < bytes) {
        attn_npy_free(a);
        return rt_fail(ATTN_ERR_FORMAT, "npy: data is truncated: %zu bytes, expected %zu", have, bytes);
    }
    memcpy(a->t.data, b + hstart + hlen, bytes);
    *out = a;
    return ATTN_OK;
}

attn_status attn_npy_read(const char *path, attn_npy **out) {
    if (!path || !out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_npy_read: bad arguments");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rt_fail(ATTN_ERR_IO, "%s: cannot open", path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    attn_status s = ATTN_OK;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                s = rt_fail(ATTN_ERR_NO_MEMORY, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                s = rt_fail(ATTN_ERR_IO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (s == ATTN_OK) {
        s = attn_npy_parse(buf, len, out);
        if (s != ATTN_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", attn_last_error());
            rt_fail(s, "%s: %s", path, msg);
        }
    }
    free(buf);
    return s;
}

/* The npy descr of a DLPack dtype, or NULL. bf16 is written as '<u2'. */
static const char *rt_npy_descr(DLDataType t) {
    if (t.code == kDLBfloat && t.bits == 16 && t.lanes == 1)
        return "<u2";
    for (size_t i = 0; i < RT_NPY_NTYPES; i++)
        if (rt_npy_types[i].dl.code == t.code && rt_npy_types[i].dl.bits == t.bits && t.lanes == 1)
            return rt_npy_types[i].descr;
    return NULL;
}

/* Writes the elements of t in C order (recursing over axes). */
static int rt_write_elems(FILE *f, const DLTensor *t, const char *base, int32_t axis, int64_t esz) {
    if (axis == t->ndim)
        return fwrite(base, (size_t)esz, 1, f) == 1;
    int64_t st = rt_stride(t, axis) * esz;
    if (axis == t->ndim - 1 && st == esz)
        return t->shape[axis] == 0 ||
               fwrite(base, (size_t)esz, (size_t)t->shape[axis], f) == (size_t)t->shape[axis];
    for (int64_t i = 0; i < t->shape[axis]; i++)
        if (!rt_write_elems(f, t, base + i * st, axis + 1, esz))
            return 0;
    return 1;
}

attn_status attn_npy_write(const char *path, const DLTensor *t) {
    if (!path)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_npy_write: path is NULL");
    attn_status s = rt_check_cpu_tensor(t, path);
    if (s != ATTN_OK)
        return s;
    const char *descr = rt_npy_descr(t->dtype);
    char buf[32];
    if (!descr)
        return rt_fail(ATTN_ERR_DTYPE, "%s: cannot store dtype %s in .npy", path,
                       rt_dl_dtype_name(t->dtype, buf));
    char dict[256], shape[160] = "";
    size_t used = 0;
    for (int32_t i = 0; i < t->ndim; i++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s",
                                 (long long)t->shape[i], i + 1 < t->ndim ? " " : "");
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, shape);
    /* header (magic + version + length + dict + padding + '\n') is a multiple of 64 */
    size_t total = ((size_t)10 + (size_t)dl + 1 + 63) / 64 * 64;
    size_t hlen = total - 10;
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                              (unsigned char)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f)
        return rt_fail(ATTN_ERR_IO, "%s: cannot open for writing", path);
    int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)dl, f) == (size_t)dl;
    for (size_t i = 10 + (size_t)dl; ok && i + 1 < total; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (rt_numel(t) == 0 || rt_write_elems(f, t, rt_data(t), 0, rt_dl_elem_size(t->dtype)));
    ok = fclose(f) == 0 && ok;
    return ok ? ATTN_OK : rt_fail(ATTN_ERR_IO, "%s: write error", path);
}
