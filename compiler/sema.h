/* sema.h - internal interface between the semantic analysis files.
 *
 * sema.c        entry point, per-module declaration pass, declaration checks
 * sema_dims.c   parameter types and dimension tables
 * sema_names.c  scopes, name lookup, imports, suggestions
 * sema_types.c  expression typing (operators, lets, indexing)
 * sema_calls.c  calls: masks, scores, fns, builtins, pack members
 * sema_const.c  constant folding
 * sema_attn.c   attention statements
 * sema_scan.c   scan statements, index binding, reductions
 * sema_affine.c the affine check of scan updates (h = a * h + c)
 * sema_bounds.c symbolic index ranges and bounds facts
 * sema_order.c  the order declarations are checked in (callees first)
 *
 * One Sema exists per sema_run. Each declaration body is checked with its own
 * Body (the scope and context of that body); a declaration that is called
 * before it was checked is checked on demand with a fresh Body, and the stack
 * of declarations in progress detects recursion. */
#ifndef ATTN_SEMA_H
#define ATTN_SEMA_H

#include <stdint.h>

#include "compiler.h"

typedef struct Sema {
    Compilation *c;
    Diags *d;
    Arena *a;
    PtrVec stack; /* Decl *: declarations being checked, outermost first */
} Sema;

/* What an expression may see (LANGUAGE.md 3, 4, 5). */
typedef enum SemaCtx {
    CX_CONST, /* const value or parameter default: literals, consts, builtins */
    CX_FN,    /* fn body: its parameters */
    CX_MASK,  /* mask body, attention let / mask: b h q kv */
    CX_SCORE, /* score body, attention score: b h q kv score */
    CX_SCALE, /* attention scale: parameters and dimensions */
    CX_SCAN,  /* scan statements */
} SemaCtx;

/* A visible let and (in scans) the index variables its value reads. */
typedef struct LetInfo {
    LetBinding *let;
    uint64_t ivars;
} LetInfo;

typedef struct Body {
    Sema *s;
    Decl *decl; /* declaration whose body is checked (NULL for a const) */
    Module *mod;
    SemaCtx ctx;
    const char *where; /* "a mask body", "'scale'", ... for messages */
    const char *why;   /* optional explanation appended to "not available" */
    PtrVec lets;       /* LetInfo *: visible lets, innermost last */
    PtrVec hidden;     /* LetInfo *: lets that exist but are not visible here */
    PtrVec facts;      /* BoundsFact *: facts of the declaration */
    /* scans */
    uint64_t visible; /* index variables visible by name */
    uint64_t bound;   /* index variables bound where the expression is evaluated */
    uint64_t used;    /* index variables read by the current let value */
    int state_rule;   /* SR_*: what is evaluated (state reads, bound checks) */
    int update_state; /* SR_UPDATE: the state being updated */
    const char *init_state; /* SR_INIT: the state whose initial value is checked */
} Body;

/* SR_LET: a scan let (records the index variables it reads);
 * SR_INIT: a state's initial value; SR_UPDATE: a state update;
 * SR_OUTPUT: an output value. Outside SR_LET every index variable read must
 * be bound. */
enum { SR_LET, SR_INIT, SR_UPDATE, SR_OUTPUT };
enum { SEMA_MAX_IVARS = 64 };
/* Longest chain of declarations checked on demand (callee of a callee ...). */
enum { SEMA_MAX_CHAIN = 200 };

/* sema.c */
/* Checks d (once). Returns false when d is in progress (recursion). */
bool sema_check_decl(Sema *s, Decl *d);
/* The recursion path "f -> g -> f" ending at d, which is in progress. */
const char *sema_cycle_path(Sema *s, const Decl *d);
void sema_body_init(Body *b, Sema *s, Decl *d, Module *m, SemaCtx ctx, const char *where);
/* Warns about unused lets of b from index `from` on, then drops them. */
void sema_pop_lets(Body *b, int from);
/* Adds a let (its value already checked) to b's scope with a fresh slot. */
LetInfo *sema_push_let(Body *b, LetBinding *let, uint64_t ivars);
/* Copies b's collected facts into d. */
void sema_store_facts(Body *b, Decl *d);

/* sema_order.c: every declaration of mods, callees before callers. */
PtrVec sema_order(Sema *s, Module **mods, int nmods);

/* sema_dims.c */
/* Resolves parameter (and scan output) types of d and builds d->dims:
 * `standard` puts B H HKV Q KV D DV first (attention, mask, score). */
void sema_dims_build(Sema *s, Decl *d, bool standard);
/* Dimension id of `name` in d, or -1. */
int sema_dim_find(const Decl *d, const char *name);
/* Checks parameter defaults of d (constants of the parameter's type). */
void sema_check_defaults(Sema *s, Decl *d);

/* sema_names.c */
typedef struct Resolved {
    RefKind ref; /* REF_NONE: not found */
    int index;
    Decl *decl;
    LetInfo *li;
    Module *module;     /* REF_MODULE */
    Decl *ambiguous[2]; /* both set: the name is ambiguous */
} Resolved;
Resolved sema_lookup(Body *b, const char *name);
/* Module-level lookup: own declarations, then direct imports. */
Resolved sema_lookup_global(Module *m, const char *name);
/* Looks `name` up among the declarations of module m only. */
Decl *sema_module_decl(Module *m, const char *name);
/* Module imported by m under `alias`, or NULL. */
Module *sema_import_alias(Module *m, const char *alias);
/* Resolves an EX_MEMBER: module-qualified declaration or pack member
 * (REF_PACK_MEMBER). Sets the base's ref. *reported is set when an error was
 * already diagnosed. */
Resolved sema_member(Body *b, Expr *e, bool *reported);
/* Reports an unresolved name (not available here / ambiguous / unknown). */
void sema_name_error(Body *b, const char *name, Span at, const Resolved *r);
/* Types an EX_NAME or a non-call EX_MEMBER. */
TypeRef *sema_name(Body *b, Expr *e);
/* "; did you mean 'x'?" or "" for name among the names visible in b
 * (b NULL: among the declarations of m). */
const char *sema_suggest(Sema *s, Body *b, Module *m, const char *name);
bool sema_is_builtin(const char *name, Builtin *out);

/* sema_types.c */
TypeRef *sema_expr(Body *b, Expr *e);
TypeRef *sema_scalar_type(ScalarKind k);
const char *sema_type_name(Sema *s, const TypeRef *t);
bool sema_is_numeric(const TypeRef *t);
bool sema_is_error(const TypeRef *t);
/* Element type of a tensor read: bool, i32 or f32. */
TypeRef *sema_elem_type(const TypeRef *t);
/* Checks that e (already typed) can be used where `want` is required
 * (i32 promotes to f32). `what` names the place: "the mask body". */
bool sema_expect(Body *b, Expr *e, ScalarKind want, const char *what);
/* The source text of a span (shortened), for messages. */
const char *sema_span_text(Sema *s, Span sp);

/* sema_calls.c */
TypeRef *sema_call(Body *b, Expr *e);
/* Types a bare reference to a mask/score declaration (no parentheses). */
TypeRef *sema_decl_ref(Body *b, Expr *e, Decl *d, Span at);

/* sema_const.c: sets e->const_valid/const_value from typed operands. */
void sema_fold(Body *b, Expr *e);

/* sema_attn.c / sema_scan.c */
void sema_check_attention(Sema *s, Decl *d);
void sema_check_scan(Sema *s, Decl *d);
TypeRef *sema_reduce(Body *b, Expr *e);
/* Checks that the index variables in `ivars` are bound where b evaluates. */
void sema_require_bound(Body *b, uint64_t ivars, const char *let_name, Span at);
/* Checks a state read (bare `h`) against b's rules. */
void sema_state_read(Body *b, int state, Span at);

/* sema_affine.c: splits an update into update_a/update_c; false if not affine. */
bool sema_affine_split(Sema *s, Stmt *st, int state);

/* sema_bounds.c */
/* Computes the bounds facts of an EX_INDEX whose base is tensor param `param`. */
void sema_bounds_index(Body *b, Expr *e, int param, const TypeRef *ty);
/* Copies callee facts into b, remapping parameters (argmap[callee param] =
 * caller param or -1) and dimensions (dimmap[callee dim] = caller dim, or
 * -1 - constant value when bound to a constant size). */
void sema_bounds_import(Body *b, const Decl *callee, const int *argmap, const int64_t *dimmap);

/* Whether `name` is an implicit name (b, h, q, kv, score) of the bodies of a
 * declaration of this kind, which a parameter may therefore not take. */
bool sema_names_implicit(DeclKind kind, const char *name);

#endif
