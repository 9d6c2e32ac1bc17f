/* sema_attn.c - attention declarations (LANGUAGE.md 4).
 *
 * Statements are checked in order. `let`s see b h q kv and earlier lets;
 * `mask =` (once) is bool and sees b h q kv; each `score =` is f32 and sees
 * b h q kv score; `scale =` (once) is f32 and sees only parameters and
 * dimensions. Fills Decl.attn. Decl.facts holds the attention's own bounds
 * facts followed, per call, by copies of the callee's facts remapped to the
 * attention's parameters and dimensions (their spans stay in the callee). */
#include <string.h>

#include "sema.h"

static const char *const scan_only[] = {[ST_OVER] = "'over'",
                                        [ST_STATE] = "'state'",
                                        [ST_OUTPUT] = "an output",
                                        [ST_RESET] = "'reset'"};

/* Checks `stmt->value` in the context (ctx, where) sharing b's lets/facts. */
static void sema_attn_value(Body *b, Stmt *st, SemaCtx ctx, const char *where, ScalarKind want,
                            const char *what)
{
    b->ctx = ctx;
    b->where = where;
    sema_expr(b, st->value);
    if (st->value && what)
        sema_expect(b, st->value, want, what);
}

/* A second `mask =` / `scale =`: error + note at the first. */
static bool sema_attn_once(Sema *s, Stmt *st, Stmt *prev, const char *what)
{
    if (!prev)
        return true;
    diag_error(s->d, st->span, "'%s' is already set", what);
    diag_note(s->d, prev->span, "previous '%s' is here", what);
    return false;
}

static void sema_attn_scale(Body *b, Stmt *st, Stmt **scale)
{
    if (!sema_attn_once(b->s, st, *scale, "scale"))
        return;
    *scale = st;
    PtrVec visible = b->lets;
    b->hidden = b->lets;
    b->lets = (PtrVec){0};
    b->why = "scale sees only parameters and dimensions";
    sema_attn_value(b, st, CX_SCALE, "'scale'", SK_F32, "'scale'");
    b->lets = visible;
    b->hidden = (PtrVec){0};
    b->why = NULL;
    b->decl->attn.scale = st->value;
}

void sema_check_attention(Sema *s, Decl *d)
{
    sema_dims_build(s, d, true);
    sema_check_defaults(s, d);
    Body b;
    sema_body_init(&b, s, d, d->module, CX_MASK, "an attention");
    Stmt *mask = NULL, *scale = NULL;
    PtrVec scores = {0};
    for (int i = 0; i < d->nstmts; i++) {
        Stmt *st = d->stmts[i];
        if (!st)
            continue;
        switch (st->kind) {
        case ST_LET: {
            if (!st->name)
                break;
            st->let = arena_alloc(s->a, sizeof *st->let);
            st->let->name = st->name;
            st->let->span = st->name_span;
            st->let->value = st->value;
            sema_attn_value(&b, st, CX_MASK, "an attention 'let'", SK_NONE, NULL);
            sema_push_let(&b, st->let, 0);
            break;
        }
        case ST_MASK:
            if (!sema_attn_once(s, st, mask, "mask"))
                break;
            mask = st;
            sema_attn_value(&b, st, CX_MASK, "an attention 'mask'", SK_BOOL, "'mask'");
            d->attn.mask = st->value;
            break;
        case ST_SCORE:
            sema_attn_value(&b, st, CX_SCORE, "an attention 'score'", SK_F32, "'score'");
            if (st->value)
                ptrvec_push(s->a, &scores, st->value);
            break;
        case ST_ASSIGN:
            if (st->name && strcmp(st->name, "scale") == 0)
                sema_attn_scale(&b, st, &scale);
            else
                diag_error(s->d, st->name_span,
                           "unknown attention property '%s'; expected 'scale', 'mask' or 'score'",
                           st->name ? st->name : "?");
            break;
        default:
            diag_error(s->d, st->span, "%s is only allowed in a scan", scan_only[st->kind]);
            break;
        }
    }
    sema_pop_lets(&b, 0);
    d->attn.scores = (Expr **)scores.items;
    d->attn.nscores = scores.len;
    sema_store_facts(&b, d);
}
