/* analysis_report.c - `attnc FILE --emit analysis`: what the mask analysis
 * concluded for each attention variant, one line each:
 *
 *   NAME: no mask (every key fully visible)
 *   NAME: analytic: FORMULA; independent of b, h
 *   NAME: analytic, evaluated per element inside the ranges: FORMULA; ...
 *   NAME: runtime BlockMask (depends on tensor 'doc'); bound: FORMULA; ...
 *
 * FORMULA is the mask as the analysis sees it: RANGE atoms as key
 * intervals of the query (`kv in [docs.start(q), docs.end(q))`, `kv <= q`),
 * other atoms in their source spelling, per-element ones marked `[opaque]`. */
#include "analysis_internal.h"

typedef struct Rep {
    FILE *out;
    const SourceSet *src;
} Rep;

static void rep_span(Rep *r, Span s)
{
    if (s.file < 0 || s.file >= r->src->nfiles) {
        fputs("?", r->out);
        return;
    }
    const SourceFile *f = r->src->files[s.file];
    if (s.off + s.len <= f->len)
        fprintf(r->out, "%.*s", (int)s.len, f->text + s.off);
}

/* A term: pack calls built by the analysis are spelled from their parts. */
static void rep_term(Rep *r, const Expr *e)
{
    if (e->kind == EX_CALL && e->a->ref == REF_PACK_MEMBER && e->a->kind == EX_MEMBER && e->nargs == 1) {
        rep_span(r, e->a->a->span);
        fprintf(r->out, ".%s(", e->a->name);
        rep_span(r, e->args[0]->span);
        fputc(')', r->out);
    } else if (e->kind == EX_NAME || e->kind == EX_CALL || e->kind == EX_INT) {
        rep_span(r, e->span);
    } else {
        fputc('(', r->out);
        rep_span(r, e->span);
        fputc(')', r->out);
    }
}

/* l + delta, kv-free, as a sum (continuing one when `first` is false). */
static void rep_sum(Rep *r, const AnaLin *l, int64_t delta, bool first)
{
    if (l->cq) {
        fprintf(r->out, "%sq", l->cq == 1 ? "" : l->cq == -1 ? "-" : "");
        if (l->cq != 1 && l->cq != -1)
            fprintf(r->out, "*%lld", (long long)l->cq);
        first = false;
    }
    for (int i = 0; i < l->n; i++) {
        int64_t c = l->t[i].coef;
        if (!first || c < 0)
            fputs(c < 0 ? (first ? "-" : " - ") : " + ", r->out);
        if (c != 1 && c != -1)
            fprintf(r->out, "%lld * ", (long long)(c < 0 ? -c : c));
        rep_term(r, l->t[i].e);
        first = false;
    }
    int64_t c = l->c + delta;
    if (first)
        fprintf(r->out, "%lld", (long long)c);
    else if (c)
        fprintf(r->out, " %c %lld", c < 0 ? '-' : '+', (long long)(c < 0 ? -c : c));
}

static void rep_lin(Rep *r, const AnaLin *l, int64_t delta) { rep_sum(r, l, delta, true); }

static void rep_key(Rep *r, const AnaAtom *at)
{
    if (at->key.off) {
        fputs("(kv", r->out);
        rep_sum(r, at->key.off, 0, false);
        fputc(')', r->out);
    } else {
        fputs("kv", r->out);
    }
    if (at->key.div) {
        fputs(" / ", r->out);
        rep_term(r, at->key.div);
    }
}

static void rep_atom(Rep *r, const AnaAtom *at)
{
    if (at->kind != AA_RANGE) {
        rep_span(r, at->src->span);
        if (at->kind == AA_OPAQUE)
            fputs(" [opaque]", r->out);
        return;
    }
    AnaLin d;
    if (at->has_lo && at->has_hi && ana_lin_add(&d, &at->hi, &at->lo, -1) && !d.n && !d.cq && d.c == 1) {
        rep_key(r, at);
        fputs(" == ", r->out);
        rep_lin(r, &at->lo, 0);
    } else if (at->has_lo && at->has_hi) {
        rep_key(r, at);
        fputs(" in [", r->out);
        rep_lin(r, &at->lo, 0);
        fputs(", ", r->out);
        rep_lin(r, &at->hi, 0);
        fputc(')', r->out);
    } else {
        rep_key(r, at);
        fputs(at->has_lo ? " >= " : " <= ", r->out);
        rep_lin(r, at->has_lo ? &at->lo : &at->hi, at->has_lo ? 0 : -1);
    }
}

static void rep_node(Rep *r, const AnaNode *n, AnaNodeKind parent)
{
    switch (n->kind) {
    case AN_TRUE: fputs("true", r->out); return;
    case AN_FALSE: fputs("false", r->out); return;
    case AN_ATOM: rep_atom(r, n->atom); return;
    case AN_NOT:
        fputs("!(", r->out);
        rep_node(r, n->a, AN_NOT);
        fputc(')', r->out);
        return;
    default: {
        bool paren = parent == AN_AND && n->kind == AN_OR;
        fputs(paren ? "(" : "", r->out);
        rep_node(r, n->a, n->kind);
        fputs(n->kind == AN_AND ? " && " : " || ", r->out);
        rep_node(r, n->b, n->kind);
        fputs(paren ? ")" : "", r->out);
        return;
    }
    }
}

static void rep_variant(Rep *r, Arena *a, const Decl *d)
{
    MaskAnalysis *m = analysis_mask(a, d);
    fprintf(r->out, "%s: ", d->name);
    if (!m->root) {
        fputs("no mask (every key fully visible)\n", r->out);
        return;
    }
    if (analysis_mask_needs_block_mask(m)) {
        fputs("runtime BlockMask (", r->out);
        if (m->tensor)
            fprintf(r->out, "depends on tensor '%s'", m->tensor);
        else
            fputs(m->too_complex ? "too complex to analyse" : "not analysable", r->out);
        fputs(m->bounded ? "); bound: " : "): ", r->out);
    } else {
        fputs(m->has_opaque ? "analytic, evaluated per element inside the ranges: " : "analytic: ", r->out);
    }
    rep_node(r, m->root, AN_ATOM);
    if (m->uses_b || m->uses_h)
        fprintf(r->out, "; depends on %s", m->uses_b && m->uses_h ? "b, h" : m->uses_b ? "b" : "h");
    else
        fputs("; independent of b, h", r->out);
    fputs(m->uses_launch_dims ? "; reads HKV, D or DV (no BlockMask from B, H, Q, KV alone)\n" : "\n",
          r->out);
}

void analysis_report(FILE *out, Arena *a, const SourceSet *src, const Module *m)
{
    Rep r = {out, src};
    for (int i = 0; i < m->ndecls; i++)
        if (m->decls[i]->kind == DECL_ATTENTION && !m->decls[i]->has_error)
            rep_variant(&r, a, m->decls[i]);
}
