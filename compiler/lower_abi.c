/* lower_abi.c - the attn_abi.h structs as LLVM types, and reads of attn_ctx.
 *
 * The types mirror the C declarations field by field; with the target's data
 * layout they get clang's layout (tests/codegen/abi_layout.c checks the
 * sizes and offsets against the C compiler for x86-64 and nvptx64). */
#include "lower_internal.h"

#include "attn_abi.h"

void lower_types_init(Lower *L)
{
    LowerTypes *t = &L->t;
    LLVMContextRef c = L->ctx;
    t->i1 = LLVMInt1TypeInContext(c);
    t->i8 = LLVMInt8TypeInContext(c);
    t->i16 = LLVMInt16TypeInContext(c);
    t->i32 = LLVMInt32TypeInContext(c);
    t->i64 = LLVMInt64TypeInContext(c);
    t->f16 = LLVMHalfTypeInContext(c);
    t->f32 = LLVMFloatTypeInContext(c);
    t->ptr = LLVMPointerTypeInContext(c, 0);
    t->vd = LLVMVoidTypeInContext(c);

    LLVMTypeRef ctx_fields[] = {LLVMArrayType2(t->i32, ATTN_MAX_VARIANT_DIMS), t->ptr};
    t->ctx = LLVMStructCreateNamed(c, "attn_ctx");
    LLVMStructSetBody(t->ctx, ctx_fields, 2, 0);

    LLVMTypeRef shape = LLVMArrayType2(t->i64, ATTN_MAX_RANK);
    LLVMTypeRef tensor_fields[] = {t->ptr, shape, shape, t->i32, t->i32};
    t->tensor = LLVMStructCreateNamed(c, "attn_tensor_arg");
    LLVMStructSetBody(t->tensor, tensor_fields, 5, 0);

    LLVMTypeRef pack_fields[] = {t->ptr, t->ptr, t->i32, t->i32};
    t->pack = LLVMStructCreateNamed(c, "attn_pack_arg");
    LLVMStructSetBody(t->pack, pack_fields, 4, 0);

    t->param = LLVMStructCreateNamed(c, "attn_param");
    LLVMStructSetBody(t->param, &t->tensor, 1, 0);

    LLVMTypeRef range_fields[] = {t->i32, t->i32, t->i32};
    t->range = LLVMStructCreateNamed(c, "attn_kv_range");
    LLVMStructSetBody(t->range, range_fields, 3, 0);
}

/* Address of field `field` (element `elem` of it when elem >= 0) of `ty` at p. */
static LLVMValueRef lower_field_ptr(Lower *L, LLVMTypeRef ty, LLVMValueRef p, int field, int elem)
{
    LLVMValueRef idx[3] = {LLVMConstInt(L->t.i32, 0, 0), LLVMConstInt(L->t.i32, (unsigned)field, 0),
                           LLVMConstInt(L->t.i32, (unsigned)(elem < 0 ? 0 : elem), 0)};
    return LLVMBuildInBoundsGEP2(L->bld, ty, p, idx, elem < 0 ? 2 : 3, "");
}

LLVMValueRef lower_load_field(Lower *L, LLVMTypeRef ty, LLVMValueRef p, int field, int elem,
                              LLVMTypeRef as)
{
    return LLVMBuildLoad2(L->bld, as, lower_field_ptr(L, ty, p, field, elem), "");
}

LLVMValueRef lower_ctx_dim(Lower *L, LLVMValueRef ctx, int dim)
{
    return lower_load_field(L, L->t.ctx, ctx, 0, dim, L->t.i32);
}

LLVMValueRef lower_ctx_param(Lower *L, LLVMValueRef ctx, int i)
{
    LLVMValueRef params = lower_load_field(L, L->t.ctx, ctx, 1, -1, L->t.ptr);
    LLVMValueRef idx = LLVMConstInt(L->t.i64, (unsigned long long)i, 0);
    return LLVMBuildInBoundsGEP2(L->bld, L->t.param, params, &idx, 1, "");
}

LLVMValueRef lower_param_scalar(Lower *L, LLVMValueRef slot, ScalarKind sk)
{
    /* The union's scalar members sit at offset 0. */
    if (sk == SK_F32)
        return LLVMBuildLoad2(L->bld, L->t.f32, slot, "");
    LLVMValueRef v = LLVMBuildLoad2(L->bld, L->t.i32, slot, "");
    if (sk == SK_BOOL)
        return LLVMBuildICmp(L->bld, LLVMIntNE, v, LLVMConstInt(L->t.i32, 0, 0), "");
    return v;
}

void lower_mark_invariant(Lower *L, LLVMValueRef fn)
{
    unsigned kind = LLVMGetMDKindIDInContext(L->ctx, "invariant.load", 14);
    LLVMValueRef empty = LLVMMetadataAsValue(L->ctx, LLVMMDNodeInContext2(L->ctx, NULL, 0));
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (LLVMGetInstructionOpcode(i) != LLVMLoad)
                continue;
            LLVMValueRef p = LLVMGetOperand(i, 0);
            if (!LLVMIsAGetElementPtrInst(p))
                continue;
            LLVMTypeRef ty = LLVMGetGEPSourceElementType(p);
            if (ty == L->t.ctx || ty == L->t.tensor || ty == L->t.pack)
                LLVMSetMetadata(i, kind, empty);
        }
}

void lower_module_begin(Lower *L, const char *name, const char *triple, const char *data_layout)
{
    L->mod = LLVMModuleCreateWithNameInContext(name, L->ctx);
    LLVMSetTarget(L->mod, triple);
    LLVMSetDataLayout(L->mod, data_layout);
    L->bld = LLVMCreateBuilderInContext(L->ctx);
    lower_types_init(L);
}
