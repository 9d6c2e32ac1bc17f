/* lower_ranges.c - the kv_ranges hook: which keys a query block must visit.
 *
 * i32 attn_hook_kv_ranges(i32 b, i32 h, i32 q0, i32 q1, const attn_ctx *,
 *                         attn_kv_range *out)
 * Generic version: one range [0, KV), `full` when the variant has no mask
 * (the kernel then never evaluates the mask), partial otherwise. Mask
 * analysis refines this into exact ranges. */
#include "attn_abi.h"
#include "lower_internal.h"

void lower_kv_ranges_hook(Lower *L)
{
    LLVMTypeRef args[] = {L->t.i32, L->t.i32, L->t.i32, L->t.i32, L->t.ptr, L->t.ptr};
    LLVMValueRef fn = lower_add_function(L, "attn_hook_kv_ranges", L->t.i32, args, 6, false);
    LLVMValueRef out = LLVMGetParam(fn, 5);
    LLVMValueRef fields[3] = {
        LLVMConstInt(L->t.i32, 0, 0),
        lower_ctx_dim(L, LLVMGetParam(fn, 4), ATTN_DIM_KV),
        LLVMConstInt(L->t.i32, L->root->attn.mask ? 0 : 1, 0),
    };
    for (unsigned i = 0; i < 3; i++) {
        LLVMValueRef idx[2] = {LLVMConstInt(L->t.i32, 0, 0), LLVMConstInt(L->t.i32, i, 0)};
        LLVMBuildStore(L->bld, fields[i], LLVMBuildInBoundsGEP2(L->bld, L->t.range, out, idx, 2, ""));
    }
    LLVMBuildRet(L->bld, LLVMConstInt(L->t.i32, 1, 0));
}
