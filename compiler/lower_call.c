/* lower_call.c - calls: builtins, pack members, and masks / scores / fns.
 *
 * A called mask, score or fn becomes one internal function per module,
 * taking the implicit names its kind sees (mask: b h q kv; score: b h q kv
 * score; fn: none), the attn_ctx pointer (for dimensions) and its
 * parameters (scalars by value, tensors and packs as attn_param pointers).
 * The optimizer inlines them into the hooks. */
#include <stdio.h>

#include "lower_internal.h"

static int lower_implicit_count(const Decl *d)
{
    return d->kind == DECL_MASK ? IV_KV + 1 : d->kind == DECL_SCORE ? IV_SCORE + 1 : 0;
}

static ScalarKind lower_result_kind(const Decl *d)
{
    if (d->kind == DECL_MASK)
        return SK_BOOL;
    if (d->kind == DECL_SCORE)
        return SK_F32;
    return d->ret && d->ret->kind == TY_SCALAR ? d->ret->scalar : SK_NONE;
}

static LLVMTypeRef lower_param_type(Lower *L, const Param *p)
{
    return p->type->kind == TY_SCALAR ? lower_type(L, p->type->scalar) : L->t.ptr;
}

/* Emits the body of d into fn; the builder is restored by the caller. */
static void lower_decl_body(Lower *L, const Decl *d, LLVMValueRef fn)
{
    int nimpl = lower_implicit_count(d);
    LowerEnv env;
    lower_env_init(&env, L, d, LLVMGetParam(fn, (unsigned)nimpl));
    for (int i = 0; i < nimpl; i++)
        env.implicit[i] = LLVMGetParam(fn, (unsigned)i);
    for (int i = 0; i < d->nparams; i++)
        env.params[i] = LLVMGetParam(fn, (unsigned)(nimpl + 1 + i));
    LLVMValueRef v = lower_expr(&env, d->body, lower_result_kind(d));
    if (v)
        LLVMBuildRet(L->bld, v);
}

/* The internal function of d, emitted on first use. */
static LLVMValueRef lower_decl_function(Lower *L, const Decl *d, Span at)
{
    for (int i = 0; i < L->fn_decls.len; i++)
        if (L->fn_decls.items[i] == d)
            return L->fn_values.items[i];
    ScalarKind rk = lower_result_kind(d);
    if (rk == SK_NONE || !d->body) {
        lower_fail(L, at, "a call of this declaration");
        return NULL;
    }
    int nimpl = lower_implicit_count(d), n = nimpl + 1 + d->nparams;
    LLVMTypeRef *types = arena_alloc(L->arena, (size_t)n * sizeof *types);
    for (int i = 0; i < nimpl; i++)
        types[i] = i == IV_SCORE ? L->t.f32 : L->t.i32;
    types[nimpl] = L->t.ptr;
    for (int i = 0; i < d->nparams; i++) {
        if (!d->params[i]->type) {
            lower_fail(L, d->params[i]->span, "an untyped parameter");
            return NULL;
        }
        types[nimpl + 1 + i] = lower_param_type(L, d->params[i]);
    }
    const char *alias = d->module && d->module->alias ? d->module->alias : "main";
    const char *name = arena_printf(L->arena, "%s.%s.%s", decl_kind_name(d->kind), alias, d->name);
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(L->bld);
    LLVMValueRef fn = lower_add_function(L, name, lower_type(L, rk), types, n, true);
    ptrvec_push(L->arena, &L->fn_decls, (void *)d);
    ptrvec_push(L->arena, &L->fn_values, fn);
    lower_decl_body(L, d, fn);
    LLVMPositionBuilderAtEnd(L->bld, saved);
    return fn;
}

LLVMValueRef lower_call_decl(LowerEnv *env, const Expr *site, const Decl *d, Expr **args, int nargs)
{
    Lower *L = env->L;
    LLVMValueRef fn = lower_decl_function(L, d, site->span);
    if (!fn || L->failed)
        return NULL;
    int nimpl = lower_implicit_count(d), n = nimpl + 1 + d->nparams;
    LLVMValueRef *vals = arena_alloc(L->arena, (size_t)n * sizeof *vals);
    for (int i = 0; i < nimpl; i++) {
        vals[i] = env->implicit[i];
        if (!vals[i]) {
            lower_fail(L, site->span, "a call that needs implicit names not available here");
            return NULL;
        }
    }
    vals[nimpl] = env->ctx;
    for (int i = 0; i < d->nparams; i++) {
        const Param *p = d->params[i];
        const Expr *a = i < nargs ? args[i] : p->init;
        if (!a) {
            lower_fail(L, site->span, "a call with a missing argument");
            return NULL;
        }
        vals[nimpl + 1 + i] = p->type->kind == TY_SCALAR ? lower_expr(env, a, p->type->scalar)
                                                         : lower_slot(env, a);
        if (!vals[nimpl + 1 + i])
            return NULL;
    }
    return LLVMBuildCall2(L->bld, LLVMGlobalGetValueType(fn), fn, vals, (unsigned)n, "");
}

/* attn_math_<name>(float...) -> float, declared on first use. */
static LLVMValueRef lower_math_call(Lower *L, const char *name, LLVMValueRef *args, int nargs)
{
    char full[64];
    snprintf(full, sizeof full, "attn_math_%s", name);
    LLVMTypeRef argt[2] = {L->t.f32, L->t.f32};
    LLVMTypeRef fty = LLVMFunctionType(L->t.f32, argt, (unsigned)nargs, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(L->mod, full);
    if (!fn)
        fn = LLVMAddFunction(L->mod, full, fty);
    return LLVMBuildCall2(L->bld, fty, fn, args, (unsigned)nargs, "");
}

static LLVMValueRef lower_builtin(LowerEnv *env, const Expr *e, Builtin bi)
{
    Lower *L = env->L;
    ScalarKind sk = lower_scalar_kind(e);
    LLVMValueRef a[3] = {0};
    bool f = sk == SK_F32;
    int arity = bi == BI_CLAMP ? 3 : bi == BI_MIN || bi == BI_MAX || bi == BI_POW ? 2 : 1;
    if (e->nargs != arity) {
        lower_fail(L, e->span, "a builtin call with this many arguments");
        return NULL;
    }
    /* Arguments in the result kind, except the conversions which take theirs. */
    for (int i = 0; i < arity; i++) {
        ScalarKind k = bi == BI_F32 || bi == BI_I32 ? SK_NONE : sk;
        if (!(a[i] = lower_expr(env, e->args[i], k)))
            return NULL;
    }
    switch (bi) {
    case BI_ABS:
        if (f)
            return lower_intrinsic(L, "llvm.fabs", a, 1);
        a[1] = LLVMConstInt(L->t.i1, 0, 0); /* abs(INT_MIN) = INT_MIN, not poison */
        return lower_intrinsic(L, "llvm.abs", a, 2);
    case BI_MIN: return lower_intrinsic(L, f ? "llvm.minimum" : "llvm.smin", a, 2);
    case BI_MAX: return lower_intrinsic(L, f ? "llvm.maximum" : "llvm.smax", a, 2);
    case BI_CLAMP: {
        LLVMValueRef lo[2] = {a[0], a[1]};
        LLVMValueRef hi[2] = {lower_intrinsic(L, f ? "llvm.maximum" : "llvm.smax", lo, 2), a[2]};
        return lower_intrinsic(L, f ? "llvm.minimum" : "llvm.smin", hi, 2);
    }
    case BI_F32:
    case BI_I32: return lower_convert(L, a[0], lower_scalar_kind(e->args[0]), sk);
    case BI_POW: return lower_math_call(L, "pow", a, 2);
    default: return lower_math_call(L, builtin_name(bi), a, 1);
    }
}

LLVMValueRef lower_pack_id(Lower *L, LLVMValueRef slot, LLVMValueRef i)
{
    LLVMValueRef len = lower_load_field(L, L->t.pack, slot, 3, -1, L->t.i32);
    LLVMValueRef hi[2] = {i, LLVMBuildSub(L->bld, len, LLVMConstInt(L->t.i32, 1, 0), "")};
    LLVMValueRef lo[2] = {lower_intrinsic(L, "llvm.smin", hi, 2), LLVMConstInt(L->t.i32, 0, 0)};
    LLVMValueRef idx = LLVMBuildSExt(L->bld, lower_intrinsic(L, "llvm.smax", lo, 2), L->t.i64, "");
    LLVMValueRef seg_of = lower_load_field(L, L->t.pack, slot, 1, -1, L->t.ptr);
    return LLVMBuildLoad2(L->bld, L->t.i32, LLVMBuildGEP2(L->bld, L->t.i32, seg_of, &idx, 1, ""), "");
}

/* offsets[seg + delta] of the pack at `slot`. */
static LLVMValueRef lower_pack_offset(Lower *L, LLVMValueRef slot, LLVMValueRef seg, int delta)
{
    LLVMValueRef idx = LLVMBuildAdd(L->bld, LLVMBuildSExt(L->bld, seg, L->t.i64, ""),
                                    LLVMConstInt(L->t.i64, (unsigned long long)delta, 0), "");
    LLVMValueRef offs = lower_load_field(L, L->t.pack, slot, 0, -1, L->t.ptr);
    return LLVMBuildLoad2(L->bld, L->t.i32, LLVMBuildGEP2(L->bld, L->t.i32, offs, &idx, 1, ""), "");
}

static LLVMValueRef lower_pack_member(LowerEnv *env, const Expr *e, PackMember m)
{
    Lower *L = env->L;
    LLVMValueRef slot = lower_slot(env, e->a->a);
    int need = m == PM_SAME ? 2 : 1;
    if (!slot || e->nargs != need) {
        lower_fail(L, e->span, "this pack member call");
        return NULL;
    }
    LLVMValueRef i = lower_expr(env, e->args[0], SK_I32);
    LLVMValueRef j = need == 2 ? lower_expr(env, e->args[1], SK_I32) : NULL;
    if (!i || (need == 2 && !j))
        return NULL;
    LLVMValueRef id = lower_pack_id(L, slot, i);
    switch (m) {
    case PM_ID: return id;
    case PM_START: return lower_pack_offset(L, slot, id, 0);
    case PM_END: return lower_pack_offset(L, slot, id, 1);
    case PM_POS: return LLVMBuildSub(L->bld, i, lower_pack_offset(L, slot, id, 0), "");
    case PM_LEN:
        return LLVMBuildSub(L->bld, lower_pack_offset(L, slot, id, 1),
                            lower_pack_offset(L, slot, id, 0), "");
    case PM_SAME: return LLVMBuildICmp(L->bld, LLVMIntEQ, id, lower_pack_id(L, slot, j), "");
    default: break;
    }
    lower_fail(L, e->span, "this pack member");
    return NULL;
}

LLVMValueRef lower_call(LowerEnv *env, const Expr *e)
{
    const Expr *callee = e->a;
    switch (callee->ref) {
    case REF_DECL:
        if (callee->decl)
            return lower_call_decl(env, e, callee->decl, e->args, e->nargs);
        break;
    case REF_BUILTIN:
        if (callee->index >= 0 && callee->index < BI_COUNT)
            return lower_builtin(env, e, (Builtin)callee->index);
        break;
    case REF_PACK_MEMBER:
        if (callee->kind == EX_MEMBER && callee->index >= 0 && callee->index < PM_COUNT)
            return lower_pack_member(env, e, (PackMember)callee->index);
        break;
    default: break;
    }
    lower_fail(env->L, e->span, "this call");
    return NULL;
}
