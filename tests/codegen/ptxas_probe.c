/* ptxas_probe.c - PTX of the probe kernel with a variant's hooks inlined is
 * accepted by ptxas for sm_80 and sm_90a. Exits 77 (skipped) without ptxas.
 * usage: codegen_ptxas FILE.attn VARIANT OUTDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "compiler.h"

int main(int argc, char **argv)
{
    const char *ptxas = ATTN_PTXAS;
    if (!*ptxas) {
        printf("ptxas not found: skipped\n");
        return 77;
    }
    if (argc != 4)
        return 2;
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[1]);
    Decl *d = m && !c.diags.errors ? module_find(m, argv[2]) : NULL;
    int rc = d ? 0 : 1;
    for (int t = CG_TARGET_SM80; t <= CG_TARGET_SM90A && rc == 0; t++) {
        char err[CG_ERR_LEN] = "";
        const char *path = arena_printf(&c.arena, "%s/%s.%s.ptx", argv[3], argv[2], cg_target_name(t));
        LLVMTargetMachineRef tm = cg_target_machine((CgTarget)t, false, err);
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef mod = tm ? cg_build(ctx, tm, (CgTarget)t, &c.arena, &d, 1, "attn_probe", true, err) : NULL;
        if (!mod || !cg_emit_file(mod, tm, CG_EMIT_ASM, path, err)) {
            printf("FAIL: %s\n", err);
            rc = 1;
        }
        if (mod)
            LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
        if (tm)
            LLVMDisposeTargetMachine(tm);
        if (rc)
            break;
        /* The hooks must be inlined: no call instructions left in the kernel. */
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "grep -q 'call' '%s'", path);
        if (system(cmd) == 0) {
            printf("FAIL: %s still contains calls\n", path);
            rc = 1;
        }
        snprintf(cmd, sizeof cmd, "'%s' -arch=%s -o '%s.cubin' '%s'", ptxas, cg_target_name(t), path, path);
        printf("%s\n", cmd);
        if (system(cmd) != 0) {
            printf("FAIL: ptxas rejected %s\n", path);
            rc = 1;
        }
    }
    compilation_free(&c);
    return rc;
}
