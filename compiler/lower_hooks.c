/* lower_hooks.c - lower_attention: the hook module of one attention variant
 * (lower.h), with the scale, score and mask hooks; kv_ranges is in
 * lower_ranges.c. */
#include <stdio.h>

#include "analysis.h"
#include "attn_abi.h"
#include "lower_internal.h"

void lower_fail(Lower *L, Span at, const char *what)
{
    if (!L->failed)
        snprintf(L->err, LOWER_ERR_LEN, "%d:%d: internal error: cannot lower %s", at.line, at.col,
                 what);
    L->failed = true;
}

void lower_env_init(LowerEnv *env, Lower *L, const Decl *decl, LLVMValueRef ctx)
{
    *env = (LowerEnv){.L = L, .decl = decl, .ctx = ctx};
    env->params = arena_alloc(L->arena, (size_t)(decl->nparams + 1) * sizeof *env->params);
    env->dims = arena_alloc(L->arena, ATTN_MAX_VARIANT_DIMS * sizeof *env->dims);
}

LLVMValueRef lower_add_function(Lower *L, const char *name, LLVMTypeRef ret, LLVMTypeRef *args,
                                int nargs, bool internal)
{
    LLVMValueRef fn = LLVMAddFunction(L->mod, name, LLVMFunctionType(ret, args, (unsigned)nargs, 0));
    if (internal)
        LLVMSetLinkage(fn, LLVMInternalLinkage);
    unsigned kind = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(L->ctx, kind, 0));
    LLVMPositionBuilderAtEnd(L->bld, LLVMAppendBasicBlockInContext(L->ctx, fn, "entry"));
    return fn;
}

/* The attention's `let` statements, in order (they see b h q kv). */
static void lower_attention_lets(LowerEnv *env)
{
    const Decl *d = env->L->root;
    for (int i = 0; i < d->nstmts; i++)
        if (d->stmts[i]->kind == ST_LET && d->stmts[i]->let)
            lower_let(env, d->stmts[i]->let);
}

/* float attn_hook_scale(const attn_ctx *): the `scale` statement or 1/sqrt(D). */
static void lower_scale_hook(Lower *L)
{
    LLVMValueRef fn = lower_add_function(L, "attn_hook_scale", L->t.f32, &L->t.ptr, 1, false);
    LowerEnv env;
    lower_env_init(&env, L, L->root, LLVMGetParam(fn, 0));
    LLVMValueRef v;
    if (L->root->attn.scale) {
        v = lower_expr(&env, L->root->attn.scale, SK_F32);
    } else {
        LLVMValueRef d = LLVMBuildSIToFP(L->bld, lower_ctx_dim(L, env.ctx, ATTN_DIM_D), L->t.f32, "");
        LLVMValueRef s = lower_intrinsic(L, "llvm.sqrt", &d, 1);
        v = LLVMBuildFDiv(L->bld, LLVMConstReal(L->t.f32, 1.0), s, "");
    }
    if (v)
        LLVMBuildRet(L->bld, v);
}

/* float attn_hook_score(float s, i32 b, i32 h, i32 q, i32 kv, const attn_ctx *):
 * the score statements in order, each seeing the previous score. */
static void lower_score_hook(Lower *L)
{
    LLVMTypeRef args[] = {L->t.f32, L->t.i32, L->t.i32, L->t.i32, L->t.i32, L->t.ptr};
    LLVMValueRef fn = lower_add_function(L, "attn_hook_score", L->t.f32, args, 6, false);
    LowerEnv env;
    lower_env_init(&env, L, L->root, LLVMGetParam(fn, 5));
    for (int i = IV_B; i <= IV_KV; i++)
        env.implicit[i] = LLVMGetParam(fn, (unsigned)(i + 1));
    env.implicit[IV_SCORE] = LLVMGetParam(fn, 0);
    lower_attention_lets(&env);
    for (int i = 0; i < L->root->attn.nscores && !L->failed; i++)
        env.implicit[IV_SCORE] = lower_expr(&env, L->root->attn.scores[i], SK_F32);
    if (!L->failed)
        LLVMBuildRet(L->bld, env.implicit[IV_SCORE]);
}

/* i32 attn_hook_score_identity(const attn_ctx *): 1 when the variant has no
 * score statement (attn_hook_score returns s). */
static void lower_score_identity_hook(Lower *L)
{
    LLVMTypeRef args[] = {L->t.ptr};
    lower_add_function(L, "attn_hook_score_identity", L->t.i32, args, 1, false);
    LLVMBuildRet(L->bld, LLVMConstInt(L->t.i32, L->root->attn.nscores == 0, 0));
}

_Static_assert((int)ANA_COST_COMPARE == ATTN_MASK_COST_COMPARE &&
                   (int)ANA_COST_PACK == ATTN_MASK_COST_PACK &&
                   (int)ANA_COST_HEAVY == ATTN_MASK_COST_HEAVY,
               "AnaCost and ATTN_MASK_COST_* agree");

/* i32 attn_hook_mask_cost(const attn_ctx *): the ATTN_MASK_COST_* of the
 * mask analysed as m (MaskAnalysis.cost_per_key; attn_abi.h). */
static void lower_mask_cost_hook(Lower *L, const MaskAnalysis *m)
{
    LLVMTypeRef args[] = {L->t.ptr};
    lower_add_function(L, "attn_hook_mask_cost", L->t.i32, args, 1, false);
    LLVMBuildRet(L->bld, LLVMConstInt(L->t.i32, (unsigned long long)m->cost_per_key, 0));
}

/* i32 attn_hook_mask(i32 b, i32 h, i32 q, i32 kv, const attn_ctx *): 1 when visible. */
static void lower_mask_hook(Lower *L)
{
    LLVMTypeRef args[] = {L->t.i32, L->t.i32, L->t.i32, L->t.i32, L->t.ptr};
    LLVMValueRef fn = lower_add_function(L, "attn_hook_mask", L->t.i32, args, 5, false);
    LowerEnv env;
    lower_env_init(&env, L, L->root, LLVMGetParam(fn, 4));
    for (int i = IV_B; i <= IV_KV; i++)
        env.implicit[i] = LLVMGetParam(fn, (unsigned)i);
    lower_attention_lets(&env);
    LLVMValueRef v = LLVMConstInt(L->t.i32, 1, 0);
    if (L->root->attn.mask) {
        LLVMValueRef m = lower_expr(&env, L->root->attn.mask, SK_BOOL);
        v = m ? LLVMBuildZExt(L->bld, m, L->t.i32, "") : NULL;
    }
    if (v)
        LLVMBuildRet(L->bld, v);
}

LLVMModuleRef lower_attention(LLVMContextRef ctx, Arena *arena, const Decl *d,
                              const char *triple, const char *data_layout, char *err)
{
    Lower L = {.ctx = ctx, .arena = arena, .root = d, .err = err};
    if (d->kind != DECL_ATTENTION || d->has_error) {
        snprintf(err, LOWER_ERR_LEN, "'%.200s' is not a checked attention declaration",
                 d->name ? d->name : "?");
        return NULL;
    }
    lower_module_begin(&L, d->name, triple, data_layout);
    lower_scale_hook(&L);
    lower_score_hook(&L);
    lower_score_identity_hook(&L);
    lower_mask_hook(&L);
    const MaskAnalysis *mask = analysis_mask(arena, d);
    lower_mask_cost_hook(&L, mask);
    lower_kv_ranges_hook(&L, mask);
    for (LLVMValueRef f = LLVMGetFirstFunction(L.mod); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f))
            lower_mark_invariant(&L, f);
    LLVMDisposeBuilder(L.bld);
    if (L.failed) {
        LLVMDisposeModule(L.mod);
        return NULL;
    }
    return L.mod;
}
