/* cg_link.c - instantiating templates with variant hooks, internalizing,
 * target attributes and default<O3> (cg.h). */
#include <stdio.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Linker.h>

#include "cg.h"
#include "lower.h"

bool cg_verify(LLVMModuleRef m, char *err)
{
    char *msg = NULL;
    bool broken = LLVMVerifyModule(m, LLVMReturnStatusAction, &msg);
    if (broken)
        snprintf(err, CG_ERR_LEN, "internal error: invalid LLVM IR: %.*s",
                 (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "");
    LLVMDisposeMessage(msg);
    return !broken;
}

/* Links src into dst (src is consumed). */
static bool cg_link(LLVMModuleRef dst, LLVMModuleRef src, const char *what, char *err)
{
    if (LLVMLinkModules2(dst, src)) {
        snprintf(err, CG_ERR_LEN, "internal error: cannot link %.200s", what);
        return false;
    }
    return true;
}

static bool cg_is_entry(const char *name, const PtrVec *entries)
{
    for (int i = 0; i < entries->len; i++)
        if (strcmp(entries->items[i], name) == 0)
            return true;
    return false;
}

/* Renames the template's entries to <variant>_<entry>, exports the scale,
 * key-range and mask hooks as <variant>_attn_hook_scale / _kv_ranges / _mask
 * on the host (`host`; GPU kernels call the scale hook themselves when the
 * launch passes ATTN_GPU_SCALE_ON_DEVICE; the runtime orders CPU work by the
 * key ranges and builds BlockMasks with the mask) and makes every other
 * definition internal. */
static void cg_internalize(LLVMModuleRef m, Arena *arena, const char *variant, const PtrVec *entries,
                           bool host)
{
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f))
            continue;
        size_t len;
        const char *name = LLVMGetValueName2(f, &len);
        if (cg_is_entry(name, entries) || (host && (strcmp(name, "attn_hook_scale") == 0 ||
                                                      strcmp(name, "attn_hook_kv_ranges") == 0 ||
                                                      strcmp(name, "attn_hook_mask") == 0))) {
            const char *full = arena_printf(arena, "%s_%s", variant, name);
            LLVMSetValueName2(f, full, strlen(full));
        } else {
            LLVMSetLinkage(f, LLVMInternalLinkage);
        }
    }
    for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
        if (!LLVMIsDeclaration(g))
            LLVMSetLinkage(g, LLVMInternalLinkage);
}

/* One variant: template copy + attn_math + hooks, internalized. Scans come
 * from the scan template of the target and `tmpl` (cg_scan_template), with
 * lower_scan's hooks for the CPU one and lower_scan_gpu's for the GPU ones. */
static LLVMModuleRef cg_instance(LLVMContextRef ctx, CgTarget t, Arena *arena, const Decl *d,
                                 const char *tmpl, const char *triple, const char *dl, char *err)
{
    bool scan = d->kind == DECL_SCAN;
    const char *scan_tmpl = scan ? cg_scan_template(t, tmpl) : NULL;
    bool scan_cpu = scan && strcmp(scan_tmpl, CG_TEMPLATE_SCAN_CPU) == 0;
    LLVMModuleRef m = cg_template_load(ctx, scan ? scan_tmpl : tmpl, t, err);
    if (!m)
        return NULL;
    PtrVec entries = {0};
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f) && LLVMGetLinkage(f) == LLVMExternalLinkage) {
            size_t len;
            ptrvec_push(arena, &entries, arena_strdup(arena, LLVMGetValueName2(f, &len)));
        }
    LLVMModuleRef math = cg_template_load(ctx, "attn_math", t, err);
    char lerr[LOWER_ERR_LEN];
    LLVMModuleRef hooks = !math ? NULL
                          : scan_cpu ? lower_scan(ctx, arena, d, triple, dl, lerr)
                          : scan   ? lower_scan_gpu(ctx, arena, d, triple, dl, lerr)
                                 : lower_attention(ctx, arena, d, triple, dl, lerr);
    if (math && !hooks)
        snprintf(err, CG_ERR_LEN, "%s", lerr);
    bool ok = hooks && cg_verify(hooks, err);
    if (!ok) {
        if (hooks)
            LLVMDisposeModule(hooks);
        if (math)
            LLVMDisposeModule(math);
        LLVMDisposeModule(m);
        return NULL;
    }
    /* cg_link consumes its source whatever happens. */
    ok = cg_link(m, math, "attn_math", err);
    ok = cg_link(m, hooks, d->name, err) && ok;
    if (!ok) {
        LLVMDisposeModule(m);
        return NULL;
    }
    cg_internalize(m, arena, d->name, &entries, !cg_target_is_gpu(t));
    return m;
}

/* Gives every function definition tm's CPU and features: templates are
 * compiled for a generic CPU, and the target machine decides (e.g. AVX-512 on
 * the host). Also drops "no-builtins" of freestanding NVPTX templates so the
 * optimizer may treat memcpy loops as such. */
static void cg_set_function_attrs(LLVMModuleRef m, LLVMTargetMachineRef tm)
{
    LLVMContextRef ctx = LLVMGetModuleContext(m);
    char *cpu = LLVMGetTargetMachineCPU(tm), *features = LLVMGetTargetMachineFeatureString(tm);
    static const char *const drop[] = {"target-cpu", "target-features", "tune-cpu", "no-builtins"};
    LLVMAttributeRef a_cpu = LLVMCreateStringAttribute(ctx, "target-cpu", 10, cpu, (unsigned)strlen(cpu));
    LLVMAttributeRef a_feat = LLVMCreateStringAttribute(ctx, "target-features", 15, features,
                                                        (unsigned)strlen(features));
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f))
            continue;
        for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
            LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, drop[i],
                                             (unsigned)strlen(drop[i]));
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, a_cpu);
        if (*features)
            LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, a_feat);
    }
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
}

LLVMModuleRef cg_build(LLVMContextRef ctx, LLVMTargetMachineRef tm, CgTarget t, Arena *arena,
                       Decl *const *decls, int n, const char *tmpl, bool optimize, char *err)
{
    char *triple = LLVMGetTargetMachineTriple(tm);
    char *dl = cg_data_layout(tm);
    LLVMModuleRef out = LLVMModuleCreateWithNameInContext("attn", ctx);
    LLVMSetTarget(out, triple);
    LLVMSetDataLayout(out, dl);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        LLVMModuleRef inst = cg_instance(ctx, t, arena, decls[i], tmpl, triple, dl, err);
        ok = inst && cg_link(out, inst, decls[i]->name, err);
    }
    if (ok) {
        /* Templates come with clang's data layout; the target machine's rules. */
        LLVMSetTarget(out, triple);
        LLVMSetDataLayout(out, dl);
        cg_set_function_attrs(out, tm);
        ok = cg_verify(out, err) && (!optimize || cg_optimize(out, tm, err));
    }
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(dl);
    if (!ok) {
        LLVMDisposeModule(out);
        return NULL;
    }
    return out;
}
