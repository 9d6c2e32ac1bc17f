/* test_run_scan.c - `attnc run` for scans through run_scan(): random
 * inputs with --set / --pack, --check against the reference, --out files
 * read back, --inputs from those files, and error exits.
 *
 *   test_run_scan SSM.attn TMPDIR */
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "run.h"
#include "run_scan.h"

static int failures;

static void expect(bool ok, const char *what)
{
    if (!ok) {
        failures++;
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[1]);
    Decl *ss = m ? module_find(m, "selective_scan") : NULL;
    Decl *conv = m ? module_find(m, "causal_conv1d") : NULL;
    expect(ss && conv && c.diags.errors == 0, "std.ssm compiles");
    if (ss && conv) {
        RunBinding sets[] = {{"D", "6"}, {"N", "4"}};
        RunBinding packs[] = {{"seqs", "5,1,30,4"}};
        RunOptions o = {.file = argv[1], .sets = sets, .nsets = 2, .packs = packs, .npacks = 1,
                        .out_dir = argv[2], .seed = 3, .check = true, .bench_iters = 3};
        expect(run_scan(&c, ss, &o) == 0, "selective_scan --check --out");
        RunOptions again = {.file = argv[1], .inputs_dir = argv[2], .check = true};
        /* u.npy etc. are not written by --out; y.npy is, and is no parameter */
        RunBinding k[] = {{"K", "4"}};
        again.sets = k;
        again.nsets = 1;
        expect(run_scan(&c, conv, &again) == 0, "causal_conv1d defaults --check");
        RunBinding bad_pack[] = {{"seqs", "5,x"}};
        RunOptions bad = {.file = argv[1], .packs = bad_pack, .npacks = 1};
        expect(run_scan(&c, ss, &bad) == 1, "bad --pack fails");
        RunBinding short_pack[] = {{"seqs", "5,6"}};
        RunBinding lset[] = {{"L", "12"}};
        RunOptions mism = {.file = argv[1], .packs = short_pack, .npacks = 1, .sets = lset, .nsets = 1};
        expect(run_scan(&c, ss, &mism) == 1, "pack not ending at L fails");
        RunOptions gpu = {.file = argv[1], .device = RUN_DEVICE_CUDA};
        expect(run_scan(&c, ss, &gpu) == 1, "--device cuda fails for scans");
    }
    diag_finish(&c.diags);
    compilation_free(&c);
    return failures != 0;
}
