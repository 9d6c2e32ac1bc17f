/* cmd_check.c - `attnc check [-I DIR]... [--werror] FILE...`: parse and
 * analyse each file, print diagnostics, exit 1 if any file had an error. */
#include <stdio.h>

#include "cmd.h"

int cmd_check(int argc, char **argv)
{
    CmdFront f;
    cmd_front_init(&f, argc);
    int status = 0;
    for (int i = 1; i < argc && status == 0;)
        if (!cmd_front_arg(&f, argc, argv, &i))
            status = i < argc ? cmd_usage_error("unknown option '%s'", argv[i]) : 2;
    if (status == 0 && f.nfiles == 0)
        status = cmd_usage_error("no input file");
    for (int k = 0; status != 2 && k < f.nfiles; k++) {
        Compilation c;
        compilation_init(&c, stderr);
        cmd_front_apply(&f, &c);
        compile_file(&c, f.files[k]);
        diag_finish(&c.diags);
        if (c.diags.errors)
            status = 1;
        compilation_free(&c);
    }
    cmd_front_free(&f);
    return status;
}
