/* abi_layout.c - the LLVM types lower_abi.c builds for attn_abi.h have the
 * C compiler's sizes and field offsets, with the x86-64 and the nvptx64 data
 * layouts (both LP64 with natural alignment, so the host C layout is the
 * reference for both). */
#include <stddef.h>
#include <stdio.h>

#include <llvm-c/Target.h>

#include "attn_abi.h"
#include "cg.h"
#include "lower_internal.h"

static int failures;

static void expect(LLVMTargetDataRef td, const char *what, LLVMTypeRef ty, int field, size_t want)
{
    unsigned long long got = field < 0 ? LLVMABISizeOfType(td, ty) : LLVMOffsetOfElement(td, ty, (unsigned)field);
    if (got != want) {
        printf("FAIL: %s: %llu, C says %zu\n", what, got, want);
        failures++;
    }
}

int main(void)
{
    char err[CG_ERR_LEN];
    for (int t = 0; t < 2; t++) {
        LLVMTargetMachineRef tm = cg_target_machine(t ? CG_TARGET_SM80 : CG_TARGET_X86, false, err);
        if (!tm) {
            printf("FAIL: %s\n", err);
            return 1;
        }
        LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
        Lower L = {.ctx = LLVMContextCreate()};
        lower_types_init(&L);
        expect(td, "sizeof(attn_ctx)", L.t.ctx, -1, sizeof(attn_ctx));
        expect(td, "attn_ctx.params", L.t.ctx, 1, offsetof(attn_ctx, params));
        expect(td, "sizeof(attn_param)", L.t.param, -1, sizeof(attn_param));
        expect(td, "sizeof(attn_tensor_arg)", L.t.tensor, -1, sizeof(attn_tensor_arg));
        expect(td, "attn_tensor_arg.shape", L.t.tensor, 1, offsetof(attn_tensor_arg, shape));
        expect(td, "attn_tensor_arg.stride", L.t.tensor, 2, offsetof(attn_tensor_arg, stride));
        expect(td, "attn_tensor_arg.ndim", L.t.tensor, 3, offsetof(attn_tensor_arg, ndim));
        expect(td, "sizeof(attn_pack_arg)", L.t.pack, -1, sizeof(attn_pack_arg));
        expect(td, "attn_pack_arg.seg_of", L.t.pack, 1, offsetof(attn_pack_arg, seg_of));
        expect(td, "attn_pack_arg.nseg", L.t.pack, 2, offsetof(attn_pack_arg, nseg));
        expect(td, "attn_pack_arg.length", L.t.pack, 3, offsetof(attn_pack_arg, length));
        expect(td, "sizeof(attn_kv_range)", L.t.range, -1, sizeof(attn_kv_range));
        expect(td, "attn_kv_range.full", L.t.range, 2, offsetof(attn_kv_range, full));
        LLVMContextDispose(L.ctx);
        LLVMDisposeTargetData(td);
        LLVMDisposeTargetMachine(tm);
    }
    printf("abi layout: %d failures\n", failures);
    return failures != 0;
}
