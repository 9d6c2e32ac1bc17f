/* ast.h - the abstract syntax tree of .attn programs, and the annotations
 * semantic analysis adds to it.
 *
 * Ownership: every node, string and array lives in the Compilation's arena
 * (arena.h); nothing here is freed individually.
 *
 * The parser builds the tree with the constructors in ast.c and fills only the
 * syntactic fields. Sema (sema*.c) fills the fields marked "sema:". Later
 * passes (reference interpreter, lowering, analysis) read both and must not
 * change the tree. */
#ifndef ATTN_AST_H
#define ATTN_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

typedef struct Expr Expr;
typedef struct Decl Decl;
typedef struct Module Module;

/* ---------------------------------------------------------------- types */

typedef enum ScalarKind {
    SK_NONE = 0, /* not yet known / error */
    SK_BOOL,
    SK_I32,
    SK_F32,
    SK_F16,  /* storage only: tensor elements */
    SK_BF16, /* storage only: tensor elements */
} ScalarKind;

typedef enum TypeKind {
    TY_ERROR = 0, /* poisoned: suppresses follow-on diagnostics */
    TY_SCALAR,
    TY_TENSOR,
    TY_PACK,
} TypeKind;

/* One dimension of a tensor type: a name (`KV`, `N`) or a constant. */
typedef struct DimRef {
    const char *name; /* NULL for a constant */
    int64_t value;    /* the constant (also filled by sema for named consts) */
    Span span;
    /* sema: */
    int dim_id;       /* index into the variant's dimension table, -1 if constant */
} DimRef;

typedef struct TypeRef {
    TypeKind kind;
    ScalarKind scalar; /* scalar type, or element type of a tensor */
    DimRef *dims;      /* tensor only */
    int ndims;
    Span span;
} TypeRef;

/* ---------------------------------------------------------- expressions */

typedef enum ExprKind {
    EX_INT,     /* ival */
    EX_FLOAT,   /* fval; text keeps the spelling */
    EX_BOOL,    /* ival 0/1 */
    EX_INF,     /* +inf */
    EX_NAME,    /* name */
    EX_MEMBER,  /* base.name: module-qualified name (`masks.causal`) or pack member (`docs.same`) */
    EX_CALL,    /* callee(args): callee is EX_NAME or EX_MEMBER */
    EX_INDEX,   /* base[args] */
    EX_UNARY,   /* op a */
    EX_BINARY,  /* a op b */
    EX_COND,    /* a ? b : c */
    EX_REDUCE,  /* sum/max/min(var [in dim], a): reduction over an index name */
    EX_BLOCK,   /* { let ...; value }: lets + value (bodies of masks, scores, fns) */
} ExprKind;

typedef enum Op {
    OP_NONE = 0,
    /* unary */
    OP_NEG, OP_NOT, OP_BITNOT,
    /* binary, in precedence groups */
    OP_MUL, OP_DIV, OP_MOD,
    OP_ADD, OP_SUB,
    OP_SHL, OP_SHR,
    OP_BITAND, OP_BITXOR, OP_BITOR,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_AND, OP_OR,
    /* reductions */
    OP_SUM, OP_MAX, OP_MIN,
} Op;

/* What a name or callee resolves to (sema). */
typedef enum RefKind {
    REF_NONE = 0,
    REF_IMPLICIT,  /* implicit variable: index = ImplicitVar */
    REF_PARAM,     /* parameter of the enclosing declaration: index */
    REF_LET,       /* a let binding: let (the LetBinding) */
    REF_INDEXVAR,  /* scan index name (state/output/sum/over binding): index into Decl.scan.ivars */
    REF_DIM,       /* a dimension name used as a value: index = dim id */
    REF_CONST,     /* const declaration: decl */
    REF_DECL,      /* a mask / score / fn callee: decl */
    REF_BUILTIN,   /* builtin function: index = Builtin */
    REF_PACK_MEMBER, /* pack method callee: index = PackMember, pack object = EX_MEMBER base */
    REF_STATE,     /* a scan state read (bare `h`): index into Decl.scan.states */
    REF_MODULE,    /* the base of a qualified name (`masks` in masks.causal) */
} RefKind;

typedef enum ImplicitVar { IV_B, IV_H, IV_Q, IV_KV, IV_SCORE, IV_T } ImplicitVar;

typedef enum Builtin {
    BI_EXP, BI_EXP2, BI_LOG, BI_LOG2, BI_SQRT, BI_RSQRT, BI_TANH, BI_SIGMOID,
    BI_SOFTPLUS, BI_SILU, BI_SIN, BI_COS, BI_POW, BI_ABS, BI_MIN, BI_MAX,
    BI_CLAMP, BI_FLOOR, BI_CEIL, BI_F32, BI_I32,
    BI_COUNT
} Builtin;

typedef enum PackMember { PM_ID, PM_START, PM_END, PM_POS, PM_LEN, PM_SAME, PM_COUNT } PackMember;

/* Result of the bounds analysis for one index position (LANGUAGE.md 3.1). */
typedef enum BoundsKind {
    BOUNDS_UNKNOWN = 0,
    BOUNDS_PROVED,      /* always in range */
    BOUNDS_PRECOND,     /* in range iff the launch-time precondition holds */
    BOUNDS_DATA,        /* data/parameter dependent: clamped (or checked with --checked) */
    BOUNDS_ZERO_FILL,   /* scan: an out-of-range/out-of-segment read reads 0 (no-leakage rule) */
} BoundsKind;

/* An affine form c + sum(coef[i] * dim_i) over the variant's dimensions. */
enum { AFFINE_MAX_TERMS = 4 };
typedef struct Affine {
    int64_t c;
    int nterms;
    int dim[AFFINE_MAX_TERMS];
    int64_t coef[AFFINE_MAX_TERMS];
} Affine;

/* Launch-time precondition: size(tensor param `param`, dimension `axis`) >= need. */
typedef struct BoundsFact {
    BoundsKind kind;
    int param;        /* tensor parameter index */
    int axis;         /* which dimension of the tensor */
    Affine need;      /* PRECOND: the minimum size required */
    Span span;        /* the index expression */
} BoundsFact;

typedef struct LetBinding {
    const char *name;
    Span span;
    Expr *value;
    /* sema: */
    int slot;         /* dense index of this let within its declaration */
    bool used;
} LetBinding;

struct Expr {
    ExprKind kind;
    Op op;
    Span span;        /* the whole expression */
    int depth;        /* nesting depth (1 for leaves); the parser rejects deep trees */

    int64_t ival;
    double fval;
    const char *name; /* EX_NAME, EX_MEMBER (the member), EX_REDUCE (the index var) */
    const char *dim;  /* EX_REDUCE: `in DIM` name or NULL */
    Span dim_span;

    Expr *a, *b, *c;  /* operands; EX_MEMBER: a = base; EX_CALL/EX_INDEX: a = callee/base;
                         EX_REDUCE: a = body; EX_BLOCK: a = value */
    Expr **args;      /* EX_CALL, EX_INDEX */
    int nargs;
    LetBinding **lets; /* EX_BLOCK */
    int nlets;

    /* sema: */
    TypeRef *ty;      /* result type; scalars use shared singletons */
    RefKind ref;
    int index;        /* meaning depends on ref */
    Decl *decl;       /* REF_DECL / REF_CONST */
    LetBinding *let;  /* REF_LET */
    BoundsFact *bounds; /* EX_INDEX: one per index position (nargs entries) */
    bool const_valid; /* expression folded to a constant */
    double const_value;
};

/* ---------------------------------------------------------- declarations */

typedef enum DeclKind {
    DECL_IMPORT,
    DECL_CONST,
    DECL_FN,
    DECL_MASK,
    DECL_SCORE,
    DECL_ATTENTION,
    DECL_SCAN,
} DeclKind;

typedef struct Param {
    const char *name;
    Span span;        /* the name */
    TypeRef *type;
    Expr *init;       /* default value or NULL */
    /* sema: */
    bool used;
} Param;

/* Statements of attention and scan bodies. */
typedef enum StmtKind {
    ST_LET,     /* let name = value */
    ST_ASSIGN,  /* name = value: `scale` in attention; a state update in a scan */
    ST_MASK,    /* mask = value */
    ST_SCORE,   /* score = value */
    ST_OVER,    /* over name in dim */
    ST_STATE,   /* state name[i in I, ...] (= value)? */
    ST_OUTPUT,  /* name[idx, i in I, ...] = value */
    ST_RESET,   /* reset name at pack */
} StmtKind;

/* One index position on the left of a state or output: `i in I` or `t`. */
typedef struct IndexBinding {
    const char *name;
    const char *dim;  /* NULL when not bound here (`t`, or an index bound elsewhere) */
    Span span, dim_span;
    /* sema: */
    int ivar;         /* index into Decl.scan.ivars */
} IndexBinding;

typedef struct Stmt {
    StmtKind kind;
    Span span;        /* the whole statement */
    const char *name; /* LET/ASSIGN/STATE/OUTPUT/RESET target; OVER variable */
    Span name_span;
    Expr *value;      /* LET/ASSIGN/MASK/SCORE/OUTPUT value; STATE init (or NULL) */
    const char *dim;  /* OVER: the scanned dimension name */
    Span dim_span;
    IndexBinding *idx; /* STATE/OUTPUT */
    int nidx;
    const char *pack; /* RESET: the pack parameter */
    Span pack_span;
    /* sema: */
    LetBinding *let;  /* ST_LET: the binding names refer to */
    int target;       /* ASSIGN in scan / RESET: state index; OUTPUT: output index */
    Expr *update_a, *update_c; /* scan update split as h = a * h + c (sema builds these) */
} Stmt;

/* A scan index name and where it ranges (sema). */
typedef struct IndexVar {
    const char *name;
    int dim_id;       /* the dimension it ranges over */
    Span span;
} IndexVar;

typedef struct ImportDecl {
    const char *module;  /* dotted module name (`std.masks`) or NULL */
    const char *path;    /* string path or NULL */
    const char *alias;   /* last path component, by which it is qualified */
    Module *target;      /* sema/driver: the loaded module */
} ImportDecl;

struct Decl {
    DeclKind kind;
    const char *name;    /* NULL for imports */
    Span span;           /* the whole declaration */
    Span name_span;
    Module *module;      /* the module that declares it */

    Param **params;      /* FN/MASK/SCORE/ATTENTION/SCAN */
    int nparams;
    bool has_parens;     /* `mask causal = ...` (false) vs `mask w(...)` (true) */
    TypeRef *ret;        /* FN: return type */
    Expr *body;          /* CONST/FN/MASK/SCORE: value (EX_BLOCK or plain expression) */

    ImportDecl import;   /* DECL_IMPORT */

    Stmt **stmts;        /* ATTENTION/SCAN */
    int nstmts;
    Param **outputs;     /* SCAN: `-> (y: f32[...], ...)` */
    int noutputs;

    /* sema: */
    bool checked;        /* sema visited it */
    bool in_progress;    /* recursion detection */
    bool has_error;
    int nlets;           /* let slots used by this declaration */
    struct {
        Expr *scale;         /* ATTENTION: scale expression or NULL (1/sqrt(D)) */
        Expr *mask;          /* ATTENTION: mask expression or NULL (all visible) */
        Expr **scores;       /* ATTENTION: score statements in order */
        int nscores;
    } attn;
    struct {
        const char *axis_var;  /* the `over` variable */
        const char *axis_dim;  /* the scanned dimension */
        int axis_dim_id;
        Stmt **states; int nstates;     /* ST_STATE statements */
        Stmt **updates; int nupdates;   /* ST_ASSIGN statements (state updates) */
        Stmt **outs; int nouts;         /* ST_OUTPUT statements */
        Stmt **resets; int nresets;     /* ST_RESET statements */
        IndexVar *ivars; int nivars;
    } scan;
    /* Dimensions visible in this declaration (ATTENTION/SCAN/...): the
     * launch-bound names first, then free names (R, N, ...) in order of first
     * appearance. */
    const char **dims;
    int ndims;
    BoundsFact **facts;  /* every bounds fact in the declaration, in source order */
    int nfacts;
};

struct Module {
    const char *path;    /* file path */
    const char *alias;   /* the name it is qualified by when imported */
    int file;            /* SourceSet index */
    Decl **decls;
    int ndecls;
    int ndropped;        /* parser: declarations abandoned after a syntax error */
    /* sema: */
    Module **imports;    /* modules it imports directly */
    int nimports;
    bool loading;        /* import cycle detection */
};

/* ------------------------------------------------------- compilation */

typedef struct Compilation {
    Arena arena;
    SourceSet sources;
    Diags diags;
    const char **include_dirs;  /* -I directories, searched after the importing file's dir */
    int ninclude;
    const char *stdlib_dir;     /* directory that contains std/ */
    Module **modules;           /* every loaded module; modules[0] is the main file */
    int nmodules;
} Compilation;

/* Standard launch-bound dimension names of an attention declaration, in dim-id order. */
enum { DIM_B, DIM_H, DIM_HKV, DIM_Q, DIM_KV, DIM_D, DIM_DV, DIM_STANDARD_COUNT };
extern const char *const attn_standard_dims[DIM_STANDARD_COUNT];

/* Shared scalar type singletons (sema). */
extern TypeRef ty_error, ty_bool, ty_i32, ty_f32, ty_pack;

const char *op_spelling(Op op);
const char *builtin_name(Builtin b);
const char *pack_member_name(PackMember m);
const char *decl_kind_name(DeclKind k);   /* "mask", "score", ... */

/* Constructors used by the parser (ast.c). Each allocates in `a`. */
Expr *ast_expr(Arena *a, ExprKind kind, Span span);
Expr *ast_binary(Arena *a, Op op, Expr *l, Expr *r);
Expr *ast_unary(Arena *a, Op op, Span op_span, Expr *e);

/* Readable dump for `attnc --emit=ast`. */
void ast_dump_module(FILE *out, const Module *m);

#endif
