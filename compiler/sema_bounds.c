/* sema_bounds.c - bounds facts for tensor reads (LANGUAGE.md 3.1 "Bounds").
 *
 * Every index position gets a symbolic range [lo, hi] of affine forms over
 * the declaration's dimensions (every dimension is >= 1): b h q kv range over
 * [0, B-1] ... [0, KV-1], a scan index variable over [0, DIM-1], a dimension
 * name is itself, constants are constants; + - and multiplication by a
 * constant are exact and clamp(x, lo, hi) gives [lo.lo, hi.hi]. Anything else
 * (parameters, tensor reads, / %, calls) is unknown. A range is "tight" when
 * each variable occurs once, so both ends are reached.
 *
 * Against the axis size S: PROVED when 0 <= lo and hi <= S - 1 are provable;
 * in a scan, an index whose coefficient of the over variable is 1 reads 0
 * out of range (ZERO_FILL); a provably reachable value outside [0, S) is an
 * error; lo >= 0 with hi unprovable is a launch precondition S >= hi + 1
 * (PRECOND); anything else is clamped at run time (DATA, with a warning). */
#include <string.h>

#include "sema.h"

typedef struct Range {
    bool known;    /* lo and hi are valid */
    bool tight;    /* both ends are reached */
    bool linear_t; /* tcoef is meaningful */
    bool poison;   /* unknown because of an error reported elsewhere */
    Affine lo, hi;
    uint64_t vars; /* variables occurring (for tightness) */
    int64_t tcoef; /* coefficient of the scan's over variable */
    bool loose;    /* hi is an upper bound that may not be reached: good for
                      proofs, never for a launch-time precondition */
    bool has_alt;  /* hi_alt is a second valid upper bound (x % c) */
    Affine hi_alt;
} Range;

static Affine aff_const(int64_t c) { return (Affine){.c = c}; }

static Affine aff_dim(int dim) { return (Affine){.nterms = 1, .dim = {dim}, .coef = {1}}; }

/* out = a + sign * b; false when the form overflows or has too many terms. */
static bool aff_add(Affine *out, const Affine *a, const Affine *b, int sign)
{
    Affine r = *a;
    if (__builtin_add_overflow(r.c, sign * b->c, &r.c))
        return false;
    for (int i = 0; i < b->nterms; i++) {
        int k = 0;
        while (k < r.nterms && r.dim[k] != b->dim[i])
            k++;
        if (k == r.nterms) {
            if (r.nterms == AFFINE_MAX_TERMS)
                return false;
            r.dim[k] = b->dim[i];
            r.coef[k] = 0;
            r.nterms++;
        }
        if (__builtin_add_overflow(r.coef[k], sign * b->coef[i], &r.coef[k]))
            return false;
    }
    int n = 0; /* drop zero terms */
    for (int i = 0; i < r.nterms; i++)
        if (r.coef[i] != 0) {
            r.dim[n] = r.dim[i];
            r.coef[n++] = r.coef[i];
        }
    r.nterms = n;
    *out = r;
    return true;
}

static bool aff_scale(Affine *a, int64_t k)
{
    if (__builtin_mul_overflow(a->c, k, &a->c))
        return false;
    for (int i = 0; i < a->nterms; i++)
        if (__builtin_mul_overflow(a->coef[i], k, &a->coef[i]))
            return false;
    if (k == 0)
        a->nterms = 0;
    return true;
}

/* Provably a >= v for all dimension values >= 1. */
static bool aff_min_ge(const Affine *a, int64_t v)
{
    int64_t m = a->c;
    for (int i = 0; i < a->nterms; i++) {
        if (a->coef[i] < 0)
            return false;
        m += a->coef[i];
    }
    return m >= v;
}

/* Provably a <= v for all dimension values >= 1. */
static bool aff_max_le(const Affine *a, int64_t v)
{
    int64_t m = a->c;
    for (int i = 0; i < a->nterms; i++) {
        if (a->coef[i] > 0)
            return false;
        m += a->coef[i];
    }
    return m <= v;
}

static const char *aff_print(Sema *s, const Decl *d, const Affine *a)
{
    const char *out = "";
    for (int i = 0; i < a->nterms; i++) {
        int64_t k = a->coef[i];
        const char *sign = k < 0 ? (i ? " - " : "-") : (i ? " + " : "");
        int64_t mag = k < 0 ? -k : k;
        out = mag == 1 ? arena_printf(s->a, "%s%s%s", out, sign, d->dims[a->dim[i]])
                       : arena_printf(s->a, "%s%s%lld*%s", out, sign, (long long)mag,
                                      d->dims[a->dim[i]]);
    }
    if (a->nterms == 0)
        return arena_printf(s->a, "%lld", (long long)a->c);
    if (a->c)
        out = arena_printf(s->a, "%s %c %lld", out, a->c < 0 ? '-' : '+',
                           (long long)(a->c < 0 ? -a->c : a->c));
    return out;
}

static Range range_unknown(void) { return (Range){0}; }

static Range range_var(int dim, uint64_t var, int64_t tcoef)
{
    Range r = {.known = true,
               .tight = true,
               .linear_t = true,
               .lo = aff_const(0),
               .hi = aff_dim(dim),
               .vars = var,
               .tcoef = tcoef};
    r.hi.c = -1;
    return r;
}

static bool is_int_const(const Expr *e)
{
    return e && e->const_valid && e->ty && e->ty->kind == TY_SCALAR && e->ty->scalar == SK_I32;
}

static Range range_of(Body *b, const Expr *e);

static Range range_add(Body *b, const Expr *e, int sign)
{
    Range x = range_of(b, e->a), y = range_of(b, e->b), r = {.poison = x.poison || y.poison};
    if (!x.known || !y.known)
        return r;
    r.known = aff_add(&r.lo, &x.lo, sign > 0 ? &y.lo : &y.hi, sign) &&
              aff_add(&r.hi, &x.hi, sign > 0 ? &y.hi : &y.lo, sign);
    r.tight = x.tight && y.tight && !(x.vars & y.vars);
    r.vars = x.vars | y.vars;
    r.linear_t = x.linear_t && y.linear_t;
    r.tcoef = x.tcoef + sign * y.tcoef;
    r.loose = x.loose || y.loose;
    return r;
}

/* x / c and x % c for a constant c >= 1 and x >= 0: x / c lies in
 * [lo / c, x.hi] and x % c in [0, min(c - 1, x.hi)]; both are loose (the
 * upper ends need not be reached), so they serve proofs only. */
static Range range_divmod(Body *b, const Expr *e)
{
    Range x = range_of(b, e->a), r = {.poison = x.poison};
    if (!x.known || !is_int_const(e->b) || e->b->const_value < 1 || !aff_min_ge(&x.lo, 0))
        return r;
    int64_t c = (int64_t)e->b->const_value;
    r.known = r.loose = true;
    r.vars = x.vars;
    if (e->op == OP_DIV) {
        r.lo = aff_const(x.lo.nterms == 0 ? x.lo.c / c : 0);
        r.hi = x.hi;
    } else {
        r.lo = aff_const(0);
        r.hi = aff_const(c - 1);
        if (x.hi.nterms == 0 && x.hi.c < c - 1)
            r.hi = x.hi;
        r.has_alt = true;
        r.hi_alt = x.hi;
    }
    return r;
}

static Range range_scale(Range x, int64_t k)
{
    if (!x.known)
        return x;
    Affine lo = x.lo, hi = x.hi;
    x.known = aff_scale(&lo, k) && aff_scale(&hi, k);
    x.lo = k < 0 ? hi : lo;
    x.hi = k < 0 ? lo : hi;
    x.tcoef *= k;
    return x;
}


static Range range_name(Body *b, const Expr *e)
{
    static const int implicit_dim[] = {
        [IV_B] = DIM_B, [IV_H] = DIM_H, [IV_Q] = DIM_Q, [IV_KV] = DIM_KV};
    const Decl *d = b->decl;
    switch (e->ref) {
    case REF_IMPLICIT:
        return e->index <= IV_KV ? range_var(implicit_dim[e->index], (uint64_t)1 << e->index, 0)
                                 : range_unknown();
    case REF_INDEXVAR: {
        const IndexVar *v = &d->scan.ivars[e->index];
        if (v->dim_id < 0)
            return (Range){.poison = true};
        bool over = d->scan.axis_var && strcmp(v->name, d->scan.axis_var) == 0;
        uint64_t var = e->index < 60 ? (uint64_t)1 << (4 + e->index) : 0;
        Range r = range_var(v->dim_id, var, over);
        r.tight = var != 0;
        return r;
    }
    case REF_DIM: {
        Range r = {.known = true,
                   .tight = true,
                   .linear_t = true,
                   .lo = aff_dim(e->index),
                   .hi = aff_dim(e->index)};
        return r;
    }
    case REF_LET: return e->let ? range_of(b, e->let->value) : range_unknown();
    default: return range_unknown();
    }
}

static Range range_of(Body *b, const Expr *e)
{
    if (!e)
        return range_unknown();
    if (is_int_const(e)) {
        int64_t v = (int64_t)e->const_value;
        return (Range){
            .known = true, .tight = true, .linear_t = true, .lo = aff_const(v), .hi = aff_const(v)};
    }
    switch (e->kind) {
    case EX_NAME: return range_name(b, e);
    case EX_UNARY: return e->op == OP_NEG ? range_scale(range_of(b, e->a), -1) : range_unknown();
    case EX_BINARY:
        if (e->op == OP_ADD || e->op == OP_SUB)
            return range_add(b, e, e->op == OP_ADD ? 1 : -1);
        if (e->op == OP_MUL && is_int_const(e->a))
            return range_scale(range_of(b, e->b), (int64_t)e->a->const_value);
        if (e->op == OP_MUL && is_int_const(e->b))
            return range_scale(range_of(b, e->a), (int64_t)e->b->const_value);
        if (e->op == OP_DIV || e->op == OP_MOD)
            return range_divmod(b, e);
        return range_unknown();
    case EX_CALL:
        if (e->ref == REF_BUILTIN && e->index == BI_CLAMP && e->nargs == 3) {
            Range lo = range_of(b, e->args[1]), hi = range_of(b, e->args[2]);
            Range r = {.known = lo.known && hi.known,
                       .lo = lo.lo,
                       .hi = hi.hi,
                       .poison = lo.poison || hi.poison};
            return r;
        }
        return range_unknown();
    default: return range_unknown();
    }
}

/* Classifies one index position; reports errors and warnings. */
static void bounds_classify(Body *b, BoundsFact *f, const Expr *idx, const DimRef *axis,
                            const char *tensor)
{
    Sema *s = b->s;
    const Decl *d = b->decl;
    Range r = range_of(b, idx);
    Affine size = axis->dim_id >= 0 ? aff_dim(axis->dim_id) : aff_const(axis->value);
    Affine lo_minus, hi_minus;
    if (!r.known && r.poison)
        return;
    if (!r.known || !aff_add(&lo_minus, &r.lo, &size, -1) ||
        !aff_add(&hi_minus, &r.hi, &size, -1)) {
        f->kind = BOUNDS_DATA;
        diag_warning(
            s->d, idx->span,
            "index of '%s' depends on run-time data; it is clamped (use --checked to trap)",
            tensor);
        return;
    }
    bool lo_ok = aff_min_ge(&r.lo, 0);
    const char *text = sema_span_text(s, idx->span);
    const char *sz = axis->dim_id >= 0 ? d->dims[axis->dim_id]
                                       : arena_printf(s->a, "%lld", (long long)axis->value);
    Affine alt_minus;
    bool alt_ok = r.has_alt && aff_add(&alt_minus, &r.hi_alt, &size, -1) &&
                  aff_max_le(&alt_minus, -1);
    if (lo_ok && (aff_max_le(&hi_minus, -1) || alt_ok)) {
        f->kind = BOUNDS_PROVED;
    } else if (b->ctx == CX_SCAN && r.linear_t && r.tcoef == 1) {
        f->kind = BOUNDS_ZERO_FILL;
    } else if (aff_max_le(&r.hi, -1) || (r.tight && aff_max_le(&r.lo, -1))) {
        diag_error(s->d, idx->span, "index '%s' of '%s' can be %s (out of range [0, %s))", text,
                   tensor, aff_print(s, d, &r.lo), sz);
    } else if (aff_min_ge(&lo_minus, 0) || (r.tight && aff_min_ge(&hi_minus, 0))) {
        diag_error(s->d, idx->span, "index '%s' of '%s' can be %s (out of range [0, %s))", text,
                   tensor, aff_print(s, d, &r.hi), sz);
    } else if (lo_ok && r.loose) {
        f->kind = BOUNDS_DATA;
        diag_warning(s->d, idx->span,
                     "index '%s' of '%s' could not be proved in range; it is clamped (use "
                     "--checked to trap)",
                     text, tensor);
    } else if (lo_ok) {
        f->kind = BOUNDS_PRECOND;
        f->need = r.hi;
        f->need.c += 1;
    } else {
        f->kind = BOUNDS_DATA;
        diag_warning(s->d, idx->span,
                     "index '%s' of '%s' can be negative for some shapes; it is clamped (use "
                     "--checked to trap)",
                     text, tensor);
    }
}

void sema_bounds_index(Body *b, Expr *e, int param, const TypeRef *ty)
{
    Sema *s = b->s;
    e->bounds = arena_alloc(s->a, (size_t)e->nargs * sizeof *e->bounds);
    const char *tensor = b->decl->params[param]->name;
    for (int i = 0; i < e->nargs; i++) {
        BoundsFact *f = &e->bounds[i];
        f->param = param;
        f->axis = i;
        f->span = e->args[i]->span;
        bounds_classify(b, f, e->args[i], &ty->dims[i], tensor);
        ptrvec_push(s->a, &b->facts, f);
    }
}

void sema_bounds_import(Body *b, const Decl *callee, const int *argmap, const int64_t *dimmap)
{
    for (int i = 0; i < callee->nfacts; i++) {
        const BoundsFact *f = callee->facts[i];
        if (argmap[f->param] < 0)
            continue;
        BoundsFact *copy = arena_alloc(b->s->a, sizeof *copy);
        *copy = *f;
        copy->param = argmap[f->param];
        copy->need = aff_const(f->need.c);
        bool ok = true;
        for (int k = 0; k < f->need.nterms && ok; k++) {
            int64_t m = dimmap[f->need.dim[k]];
            Affine term = m >= 0 ? aff_dim((int)m) : aff_const(-1 - m);
            ok = m != INT64_MIN && aff_scale(&term, f->need.coef[k]) &&
                 aff_add(&copy->need, &copy->need, &term, 1);
        }
        if (ok)
            ptrvec_push(b->s->a, &b->facts, copy);
    }
}
