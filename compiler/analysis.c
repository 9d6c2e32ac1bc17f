/* analysis.c - the mask as And / Or / Not over atoms (analysis.h), and what
 * follows from it: dependence on b and h, whether a BlockMask is needed. */
#include <string.h>

#include "analysis_internal.h"

typedef struct AnaBuild {
    AnaCtx x;
    MaskAnalysis *m;
    PtrVec atoms;
} AnaBuild;

static AnaNode *ana_node(AnaBuild *B, AnaNodeKind k, AnaNode *a, AnaNode *b)
{
    AnaNode *n = arena_alloc(B->x.a, sizeof *n);
    *n = (AnaNode){.kind = k, .a = a, .b = b};
    return n;
}

static AnaNode *ana_atom_node(AnaBuild *B, AnaAtom *at)
{
    ptrvec_push(B->x.a, &B->atoms, at);
    AnaNode *n = ana_node(B, AN_ATOM, NULL, NULL);
    n->atom = at;
    return n;
}

static AnaAtom *ana_new_atom(AnaBuild *B, AnaAtomKind k, const Expr *src)
{
    AnaAtom *at = arena_alloc(B->x.a, sizeof *at);
    at->kind = k;
    at->src = src;
    return at;
}

/* The name of the first tensor e reads (following lets, arguments and mask
 * calls), or NULL. */
static const char *ana_tensor(AnaCtx *x, const Expr *e, const AnaFrame *f)
{
    if (!e || !ana_step(x))
        return NULL;
    if (e->kind == EX_INDEX) {
        const Expr *base = e->a;
        while (base->kind == EX_NAME && base->ref == REF_PARAM && f->parent) {
            base = analysis_frame_arg(f, base->index);
            f = f->parent;
            if (!base)
                return NULL;
        }
        return base->name;
    }
    if ((e->kind == EX_NAME || e->kind == EX_MEMBER) && e->ref == REF_LET && e->let)
        return ana_tensor(x, e->let->value, f);
    if ((e->kind == EX_NAME || e->kind == EX_MEMBER) && e->ref == REF_DECL && e->decl &&
        e->decl->kind == DECL_MASK)
        return ana_tensor(x, e->decl->body, ana_frame(x, e->decl, NULL, 0, f));
    if (e->kind == EX_CALL && e->a->ref == REF_DECL && e->a->decl && e->a->decl->body) {
        const char *t = ana_tensor(x, e->a->decl->body, ana_frame(x, e->a->decl, e->args, e->nargs, f));
        if (t)
            return t;
    }
    const Expr *kids[3] = {e->a, e->b, e->c};
    for (int i = 0; i < 3; i++)
        if (kids[i] && e->kind != EX_CALL) {
            const char *t = ana_tensor(x, kids[i], f);
            if (t)
                return t;
        }
    for (int i = 0; i < e->nargs; i++) {
        const char *t = ana_tensor(x, e->args[i], f);
        if (t)
            return t;
    }
    return NULL;
}

static AnaNode *ana_opaque(AnaBuild *B, const Expr *e, const AnaFrame *f)
{
    AnaAtom *at = ana_new_atom(B, AA_OPAQUE, e);
    at->tensor = ana_tensor(&B->x, e, f);
    return ana_atom_node(B, at);
}

/* The atom for l == 0 (eq) or l <= 0; NULL when it is not analysable. */
static AnaAtom *ana_cmp_atom(AnaBuild *B, const AnaLin *l, bool eq, const Expr *src)
{
    AnaLin zero = {0}, rest = *l;
    if (!l->ckv) {
        if (!ana_lin_monotone(l, 1) && !ana_lin_monotone(l, -1))
            return NULL;
        AnaAtom *at = ana_new_atom(B, AA_QONLY, src);
        at->e = *l;
        at->eq = eq;
        return at;
    }
    if (l->ckv != 1 && l->ckv != -1)
        return NULL;
    /* s * K + rest <= 0 (or == 0), rest free of kv. */
    int s = (int)l->ckv;
    rest.ckv = 0;
    rest.key = (AnaKey){0};
    if (!ana_lin_monotone(&rest, 1) && !ana_lin_monotone(&rest, -1))
        return NULL;
    AnaLin bound; /* K <= bound (s = 1) or K >= bound (s = -1); K == bound */
    AnaLin one = {.c = 1};
    if (!ana_lin_add(&bound, &zero, &rest, -s))
        return NULL;
    AnaAtom *at = ana_new_atom(B, AA_RANGE, src);
    at->key = l->key;
    if (eq || s == -1) {
        at->has_lo = true;
        at->lo = bound;
    }
    if (eq || s == 1) {
        at->has_hi = true;
        if (!ana_lin_add(&at->hi, &bound, &one, 1))
            return NULL;
    }
    return at;
}

/* a op b for affine forms a, b. */
static AnaNode *ana_cmp_lin(AnaBuild *B, Op op, const AnaLin *a, const AnaLin *b, const Expr *src,
                            const AnaFrame *f)
{
    AnaLin d, one = {.c = 1};
    bool ok = true;
    switch (op) {
    case OP_LE: case OP_EQ: case OP_NE: ok = ana_lin_add(&d, a, b, -1); break;
    case OP_LT: ok = ana_lin_add(&d, a, b, -1) && ana_lin_add(&d, &d, &one, 1); break;
    case OP_GE: ok = ana_lin_add(&d, b, a, -1); break;
    case OP_GT: ok = ana_lin_add(&d, b, a, -1) && ana_lin_add(&d, &d, &one, 1); break;
    default: ok = false; break;
    }
    AnaAtom *at = ok ? ana_cmp_atom(B, &d, op == OP_EQ || op == OP_NE, src) : NULL;
    if (!at)
        return ana_opaque(B, src, f);
    AnaNode *n = ana_atom_node(B, at);
    return op == OP_NE ? ana_node(B, AN_NOT, n, NULL) : n;
}

static bool ana_is_abs(const Expr *e)
{
    return e->kind == EX_CALL && e->a->ref == REF_BUILTIN && e->a->index == BI_ABS && e->nargs == 1 &&
           ana_is_i32(e);
}

static Op ana_flip(Op op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    default: return op;
    }
}

/* An i32 comparison; abs(x) op y becomes x op y && -x op y (op < or <=) or
 * x op y || -x op y (op > or >=). */
static AnaNode *ana_cmp(AnaBuild *B, const Expr *e, const AnaFrame *f)
{
    const Expr *l = e->a, *r = e->b;
    Op op = e->op;
    if (ana_is_abs(r) && !ana_is_abs(l)) {
        const Expr *t = l;
        l = r;
        r = t;
        op = ana_flip(op);
    }
    AnaLin a, b, neg, zero = {0};
    if (ana_is_abs(l) && op != OP_EQ && op != OP_NE) {
        if (!ana_lin(&B->x, l->args[0], f, &a) || !ana_lin(&B->x, r, f, &b) ||
            !ana_lin_add(&neg, &zero, &a, -1))
            return ana_opaque(B, e, f);
        AnaNode *p = ana_cmp_lin(B, op, &a, &b, e, f), *n = ana_cmp_lin(B, op, &neg, &b, e, f);
        return ana_node(B, op == OP_LT || op == OP_LE ? AN_AND : AN_OR, p, n);
    }
    if (!ana_lin(&B->x, l, f, &a) || !ana_lin(&B->x, r, f, &b))
        return ana_opaque(B, e, f);
    return ana_cmp_lin(B, op, &a, &b, e, f);
}

/* Whether e is a call p.same(i, j) of a pack. */
static bool ana_is_same_call(const Expr *e)
{
    return e->kind == EX_CALL && e->a->ref == REF_PACK_MEMBER && e->a->index == PM_SAME;
}

/* p.same(q, kv) (either order): kv in [p.start(q), p.end(q)). */
static AnaNode *ana_same(AnaBuild *B, const Expr *e, const AnaFrame *f)
{
    AnaLin x, y;
    if (e->nargs != 2 || !ana_lin(&B->x, e->args[0], f, &x) || !ana_lin(&B->x, e->args[1], f, &y))
        return ana_opaque(B, e, f);
    AnaLin isq = {.cq = 1}, iskv = {.ckv = 1};
    Expr *qarg = NULL;
    if (!memcmp(&x, &isq, sizeof x) && !memcmp(&y, &iskv, sizeof y))
        qarg = e->args[0];
    else if (!memcmp(&x, &iskv, sizeof x) && !memcmp(&y, &isq, sizeof y))
        qarg = e->args[1];
    if (!qarg)
        return ana_opaque(B, e, f);
    AnaAtom *at = ana_new_atom(B, AA_RANGE, e);
    at->has_lo = at->has_hi = true;
    at->lo = (AnaLin){.n = 1};
    at->hi = (AnaLin){.n = 1};
    at->lo.t[0] = (AnaTerm){.coef = 1, .e = ana_pack_call(&B->x, e, PM_START, qarg), .f = f, .qdep = true};
    at->hi.t[0] = (AnaTerm){.coef = 1, .e = ana_pack_call(&B->x, e, PM_END, qarg), .f = f, .qdep = true};
    return ana_atom_node(B, at);
}

static AnaNode *ana_form(AnaBuild *B, const Expr *e, const AnaFrame *f);

/* A call of a mask (or of a bool fn): its body in a new frame. */
static AnaNode *ana_inline(AnaBuild *B, const Expr *site, const Decl *d, Expr *const *args,
                           int nargs, const AnaFrame *f)
{
    if (!d->body || (d->kind != DECL_MASK && d->kind != DECL_FN))
        return ana_opaque(B, site, f);
    return ana_form(B, d->body, ana_frame(&B->x, d, args, nargs, f));
}

static AnaNode *ana_form_name(AnaBuild *B, const Expr *e, const AnaFrame *f)
{
    if (e->ref == REF_LET && e->let)
        return ana_form(B, e->let->value, f);
    if (e->ref == REF_PARAM && f->parent) {
        const Expr *arg = analysis_frame_arg(f, e->index);
        return arg ? ana_form(B, arg, f->parent) : ana_opaque(B, e, f);
    }
    if (e->ref == REF_DECL && e->decl)
        return ana_inline(B, e, e->decl, NULL, 0, f);
    return ana_opaque(B, e, f);
}

static AnaNode *ana_form_binary(AnaBuild *B, const Expr *e, const AnaFrame *f)
{
    if (e->op == OP_AND || e->op == OP_OR)
        return ana_node(B, e->op == OP_AND ? AN_AND : AN_OR, ana_form(B, e->a, f), ana_form(B, e->b, f));
    if (e->op < OP_EQ || e->op > OP_GE)
        return ana_opaque(B, e, f);
    if (ana_is_i32(e->a) && ana_is_i32(e->b))
        return ana_cmp(B, e, f);
    bool bools = e->a->ty && e->a->ty->scalar == SK_BOOL && e->b->ty && e->b->ty->scalar == SK_BOOL;
    if (!bools || (e->op != OP_EQ && e->op != OP_NE))
        return ana_opaque(B, e, f);
    /* a == b as (a && b) || (!a && !b). */
    AnaNode *a = ana_form(B, e->a, f), *b = ana_form(B, e->b, f);
    AnaNode *both = ana_node(B, AN_AND, a, b);
    AnaNode *neither = ana_node(B, AN_AND, ana_node(B, AN_NOT, a, NULL), ana_node(B, AN_NOT, b, NULL));
    AnaNode *eq = ana_node(B, AN_OR, both, neither);
    return e->op == OP_EQ ? eq : ana_node(B, AN_NOT, eq, NULL);
}

static AnaNode *ana_form(AnaBuild *B, const Expr *e, const AnaFrame *f)
{
    if (!ana_step(&B->x))
        return ana_opaque(B, e, f);
    if (e->const_valid)
        return ana_node(B, e->const_value != 0 ? AN_TRUE : AN_FALSE, NULL, NULL);
    if (analysis_free_of(e, f, true)) {
        AnaAtom *at = ana_new_atom(B, AA_BOOL, e);
        at->value = e;
        at->f = f;
        return ana_atom_node(B, at);
    }
    switch (e->kind) {
    case EX_NAME:
    case EX_MEMBER: return ana_form_name(B, e, f);
    case EX_BLOCK: return ana_form(B, e->a, f);
    case EX_UNARY:
        return e->op == OP_NOT ? ana_node(B, AN_NOT, ana_form(B, e->a, f), NULL) : ana_opaque(B, e, f);
    case EX_BINARY: return ana_form_binary(B, e, f);
    case EX_COND: {
        AnaNode *c = ana_form(B, e->a, f);
        AnaNode *t = ana_node(B, AN_AND, c, ana_form(B, e->b, f));
        AnaNode *u = ana_node(B, AN_AND, ana_node(B, AN_NOT, c, NULL), ana_form(B, e->c, f));
        return ana_node(B, AN_OR, t, u);
    }
    case EX_CALL:
        if (e->a->ref == REF_DECL && e->a->decl)
            return ana_inline(B, e, e->a->decl, e->args, e->nargs, f);
        if (ana_is_same_call(e))
            return ana_same(B, e, f);
        return ana_opaque(B, e, f);
    default: return ana_opaque(B, e, f);
    }
}

/* A name that ana_uses looks for: an implicit variable (REF_IMPLICIT,
 * index an ImplicitVar) or a dimension (REF_DIM, index its id). */
typedef struct AnaName {
    RefKind ref;
    int index;
} AnaName;

/* Whether the expansion of e reads the name `want`. */
static bool ana_uses(AnaCtx *x, const Expr *e, const AnaFrame *f, AnaName want)
{
    if (!e)
        return false;
    if (!ana_step(x))
        return true; /* out of budget: assume it does */
    switch (e->kind) {
    case EX_NAME:
    case EX_MEMBER:
        switch (e->ref) {
        case REF_IMPLICIT:
        case REF_DIM: return e->ref == want.ref && e->index == want.index;
        case REF_LET: return e->let && ana_uses(x, e->let->value, f, want);
        case REF_PARAM:
            return f->parent && ana_uses(x, analysis_frame_arg(f, e->index), f->parent, want);
        case REF_DECL:
            return e->decl && e->decl->kind == DECL_MASK &&
                   ana_uses(x, e->decl->body, ana_frame(x, e->decl, NULL, 0, f), want);
        default: return e->kind == EX_MEMBER && ana_uses(x, e->a, f, want);
        }
    case EX_CALL:
        if (e->a->ref == REF_DECL && e->a->decl &&
            ana_uses(x, e->a->decl->body, ana_frame(x, e->a->decl, e->args, e->nargs, f), want))
            return true;
        break;
    default: break;
    }
    if ((e->kind != EX_CALL && e->a && ana_uses(x, e->a, f, want)) || (e->b && ana_uses(x, e->b, f, want)) ||
        (e->c && ana_uses(x, e->c, f, want)))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (ana_uses(x, e->args[i], f, want))
            return true;
    return false;
}

/* bounded: the visible set can be smaller than everything; full: the fully
 * visible set can be non-empty (so a negation stays bounded). */
static void ana_props(const AnaNode *n, bool *bounded, bool *full)
{
    bool ba, fa, bb, fb;
    switch (n->kind) {
    case AN_TRUE: *bounded = false; *full = true; return;
    case AN_FALSE: *bounded = true; *full = false; return;
    case AN_ATOM: *bounded = *full = n->atom->kind != AA_OPAQUE; return;
    case AN_NOT: ana_props(n->a, &ba, &fa); *bounded = fa; *full = ba; return;
    default:
        ana_props(n->a, &ba, &fa);
        ana_props(n->b, &bb, &fb);
        *bounded = n->kind == AN_AND ? ba || bb : ba && bb;
        *full = n->kind == AN_AND ? fa && fb : fa || fb;
        return;
    }
}

MaskAnalysis *analysis_mask(Arena *a, const Decl *attn)
{
    MaskAnalysis *m = arena_alloc(a, sizeof *m);
    m->attn = attn;
    m->bounded = true;
    if (!attn->attn.mask)
        return m;
    AnaBuild B = {.x = {.a = a}, .m = m};
    const AnaFrame *root = ana_frame(&B.x, attn, NULL, 0, NULL);
    m->root = ana_form(&B, attn->attn.mask, root);
    if (B.x.work > ANA_MAX_WORK || B.atoms.len > ANA_MAX_ATOMS) {
        m->too_complex = true;
        B.atoms.len = 0;
        B.x.work = 0;
        AnaAtom *at = ana_new_atom(&B, AA_OPAQUE, attn->attn.mask);
        at->tensor = ana_tensor(&B.x, attn->attn.mask, root);
        m->root = ana_atom_node(&B, at);
    }
    m->atoms = (AnaAtom **)B.atoms.items;
    m->natoms = B.atoms.len;
    for (int i = 0; i < m->natoms; i++) {
        const AnaAtom *at = m->atoms[i];
        if (at->kind == AA_OPAQUE) {
            m->has_opaque = true;
            if (!m->tensor)
                m->tensor = at->tensor;
        }
        const AnaCost cost = at->kind == AA_OPAQUE || (at->kind == AA_RANGE && at->key.div)
                                 ? ANA_COST_HEAVY
                             : ana_is_same_call(at->src) ? ANA_COST_PACK
                                                         : ANA_COST_COMPARE;
        m->cost_per_key = cost > m->cost_per_key ? cost : m->cost_per_key;
    }
    bool full;
    ana_props(m->root, &m->bounded, &full);
    AnaCtx x = {.a = a};
    m->uses_b = ana_uses(&x, attn->attn.mask, root, (AnaName){REF_IMPLICIT, IV_B});
    x.work = 0;
    m->uses_h = ana_uses(&x, attn->attn.mask, root, (AnaName){REF_IMPLICIT, IV_H});
    static const int launch_dims[] = {DIM_HKV, DIM_D, DIM_DV};
    for (int i = 0; i < 3 && !m->uses_launch_dims; i++) {
        x.work = 0;
        m->uses_launch_dims = ana_uses(&x, attn->attn.mask, root, (AnaName){REF_DIM, launch_dims[i]});
    }
    return m;
}

bool analysis_mask_needs_block_mask(const MaskAnalysis *m)
{
    return m->has_opaque && (m->tensor || !m->bounded);
}

bool analysis_needs_block_mask(const Decl *attn)
{
    Arena a;
    arena_init(&a);
    bool r = analysis_mask_needs_block_mask(analysis_mask(&a, attn));
    arena_free(&a);
    return r;
}
