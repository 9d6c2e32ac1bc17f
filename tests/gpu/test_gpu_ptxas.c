/* test_gpu_ptxas.c - the PTX attnc emits for every attention variant of
 * FILE.attn (every specialisation of the GPU template) and every scan (the
 * GPU scan template) assembles with ptxas for ARCH (sm_80 or sm_90a). Logs
 * registers, stack frame, spills and the dynamic shared memory of every
 * attention kernel (a scan's depends on its lanes); a spill in a scan kernel
 * or an attention kernel with D, DV <= 128 fails. Exits 77 (skipped) when PTXAS is empty.
 * usage: test_gpu_ptxas PTXAS WORKDIR ARCH FILE.attn */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_abi.h"
#include "cg.h"
#include "compiler.h"

/* Reads ptxas -v output from f: one line per kernel; counts spilling ones
 * with D and DV <= 128. */
static int ptxas_report(FILE *f, const char *arch)
{
    char line[1024], entry[512] = "";
    int bad = 0, frame = 0, stores = 0, loads = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p;
        int regs;
        if ((p = strstr(line, "Compiling entry function '")))
            sscanf(p + 26, "%511[^']", entry);
        else if (strstr(line, "bytes stack frame"))
            sscanf(strchr(line, ':') ? strchr(line, ':') + 1 : line,
                   " %d bytes stack frame, %d bytes spill stores, %d bytes spill loads", &frame,
                   &stores, &loads);
        else if ((p = strstr(line, "Used ")) && sscanf(p, "Used %d registers", &regs) == 1) {
            const char *dp = strstr(entry, "_attn_fwd_gpu_");
            int d = 0, dv = 0;
            if (dp && (dp = strstr(dp + 14, "_d")))
                sscanf(dp, "_d%d_dv%d", &d, &dv);
            dv = dv ? dv : d;
            bool fail = (stores || loads) && d <= 128 && dv <= 128;
            char smem[64] = ""; /* a scan's depends on its lanes */
            if (d)
                snprintf(smem, sizeof smem, ", %d bytes dynamic shared memory", ATTN_GPU_SMEM_BYTES(d, dv));
            printf("%s %s: %d registers, %d bytes stack, %d/%d bytes spill stores/loads%s%s\n", arch,
                   entry, regs, frame, stores, loads, smem, fail ? "  <-- FAIL: spills" : "");
            bad += fail;
            frame = stores = loads = 0;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    CgTarget t;
    if (argc != 5 || !cg_target_parse(argv[3], &t) || !cg_target_is_gpu(t))
        return 2;
    if (!*argv[1]) {
        printf("ptxas not found: skipped\n");
        return 77;
    }
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[4]);
    PtrVec decls = {0};
    for (int i = 0; m && !c.diags.errors && i < m->ndecls; i++)
        if (m->decls[i]->kind == DECL_ATTENTION || m->decls[i]->kind == DECL_SCAN)
            ptrvec_push(&c.arena, &decls, m->decls[i]);
    int failures = decls.len ? 0 : 1;
    if (!failures) {
        const char *arch = argv[3];
        char err[CG_ERR_LEN];
        const char *ptx = cg_gpu_ptx(&c.arena, (Decl *const *)decls.items, decls.len, t, err);
        const char *path = arena_printf(&c.arena, "%s/%s.ptx", argv[2], arch);
        FILE *f = ptx ? fopen(path, "w") : NULL;
        bool written = f && fputs(ptx, f) >= 0;
        written = f && fclose(f) == 0 && written;
        if (!written) {
            printf("FAIL %s: %s\n", arch, ptx ? "cannot write the PTX" : err);
            failures++;
        }
        const char *cmd = arena_printf(&c.arena, "'%s' -arch=%s -v -o '%s/%s.cubin' '%s' 2>&1",
                                       argv[1], arch, argv[2], arch, path);
        if (written)
            printf("%s\n", cmd);
        FILE *p = written ? popen(cmd, "r") : NULL;
        failures += p ? ptxas_report(p, arch) : 0;
        if (written && (!p || pclose(p) != 0)) {
            printf("FAIL: ptxas rejected %s\n", path);
            failures++;
        }
    }
    compilation_free(&c);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
