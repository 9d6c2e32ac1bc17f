/* ast.c - AST constructors, shared type singletons and names (ast.h). */
#include "ast.h"

const char *const attn_standard_dims[DIM_STANDARD_COUNT] = {
    [DIM_B] = "B", [DIM_H] = "H", [DIM_HKV] = "HKV", [DIM_Q] = "Q",
    [DIM_KV] = "KV", [DIM_D] = "D", [DIM_DV] = "DV",
};

TypeRef ty_error = {.kind = TY_ERROR};
TypeRef ty_bool = {.kind = TY_SCALAR, .scalar = SK_BOOL};
TypeRef ty_i32 = {.kind = TY_SCALAR, .scalar = SK_I32};
TypeRef ty_f32 = {.kind = TY_SCALAR, .scalar = SK_F32};
TypeRef ty_pack = {.kind = TY_PACK};

const char *op_spelling(Op op)
{
    static const char *const names[] = {
        [OP_NONE] = "?", [OP_NEG] = "-", [OP_NOT] = "!", [OP_BITNOT] = "~",
        [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%", [OP_ADD] = "+", [OP_SUB] = "-",
        [OP_SHL] = "<<", [OP_SHR] = ">>", [OP_BITAND] = "&", [OP_BITXOR] = "^",
        [OP_BITOR] = "|", [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
        [OP_GT] = ">", [OP_GE] = ">=", [OP_AND] = "&&", [OP_OR] = "||",
        [OP_SUM] = "sum", [OP_MAX] = "max", [OP_MIN] = "min",
    };
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

const char *builtin_name(Builtin b)
{
    static const char *const names[BI_COUNT] = {
        [BI_EXP] = "exp", [BI_EXP2] = "exp2", [BI_LOG] = "log", [BI_LOG2] = "log2",
        [BI_SQRT] = "sqrt", [BI_RSQRT] = "rsqrt", [BI_TANH] = "tanh",
        [BI_SIGMOID] = "sigmoid", [BI_SOFTPLUS] = "softplus", [BI_SILU] = "silu",
        [BI_SIN] = "sin", [BI_COS] = "cos", [BI_POW] = "pow", [BI_ABS] = "abs",
        [BI_MIN] = "min", [BI_MAX] = "max", [BI_CLAMP] = "clamp", [BI_FLOOR] = "floor",
        [BI_CEIL] = "ceil", [BI_F32] = "f32", [BI_I32] = "i32",
    };
    return (unsigned)b < BI_COUNT ? names[b] : "?";
}

const char *pack_member_name(PackMember m)
{
    static const char *const names[PM_COUNT] = {
        [PM_ID] = "id", [PM_START] = "start", [PM_END] = "end",
        [PM_POS] = "pos", [PM_LEN] = "len", [PM_SAME] = "same",
    };
    return (unsigned)m < PM_COUNT ? names[m] : "?";
}

const char *decl_kind_name(DeclKind k)
{
    static const char *const names[] = {
        [DECL_IMPORT] = "import", [DECL_CONST] = "const", [DECL_FN] = "fn",
        [DECL_MASK] = "mask", [DECL_SCORE] = "score", [DECL_ATTENTION] = "attention",
        [DECL_SCAN] = "scan",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

Expr *ast_expr(Arena *a, ExprKind kind, Span span)
{
    Expr *e = arena_alloc(a, sizeof *e);
    e->kind = kind;
    e->span = span;
    e->depth = 1;
    e->index = -1;
    return e;
}

Expr *ast_binary(Arena *a, Op op, Expr *l, Expr *r)
{
    Expr *e = ast_expr(a, EX_BINARY, span_join(l->span, r->span));
    e->op = op;
    e->a = l;
    e->b = r;
    e->depth = 1 + (l->depth > r->depth ? l->depth : r->depth);
    return e;
}

Expr *ast_unary(Arena *a, Op op, Span op_span, Expr *operand)
{
    Expr *e = ast_expr(a, EX_UNARY, span_join(op_span, operand->span));
    e->op = op;
    e->a = operand;
    e->depth = 1 + operand->depth;
    return e;
}
