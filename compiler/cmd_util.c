/* cmd_util.c - option handling shared by the subcommands (cmd.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

void cmd_front_init(CmdFront *f, int argc)
{
    memset(f, 0, sizeof *f);
    size_t n = (size_t)(argc > 0 ? argc : 1);
    f->files = calloc(n, sizeof *f->files);
    f->includes = calloc(n, sizeof *f->includes);
    if (!f->files || !f->includes) {
        fprintf(stderr, "attnc: out of memory\n");
        exit(1);
    }
}

void cmd_front_free(CmdFront *f)
{
    free(f->files);
    free(f->includes);
}

bool cmd_front_arg(CmdFront *f, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--werror") == 0) {
        f->werror = true;
    } else if (strcmp(a, "-I") == 0) {
        if (*i + 1 >= argc) {
            cmd_usage_error("option '-I' needs a directory");
            *i = argc;
            return false;
        }
        f->includes[f->ninclude++] = argv[++*i];
    } else if (strncmp(a, "-I", 2) == 0) {
        f->includes[f->ninclude++] = a + 2;
    } else if (a[0] != '-' || strcmp(a, "-") == 0) {
        f->files[f->nfiles++] = a;
    } else {
        return false;
    }
    (*i)++;
    return true;
}

void cmd_front_apply(const CmdFront *f, Compilation *c)
{
    for (int i = 0; i < f->ninclude; i++)
        compilation_add_include(c, f->includes[i]);
    c->diags.werror = f->werror;
}

int cmd_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("attnc: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nattnc: note: run 'attnc --help' for usage\n", stderr);
    va_end(ap);
    return 2;
}

int cmd_parse_binding(const char *opt, char *s, RunBinding *list, int *n)
{
    char *eq = strchr(s, '=');
    if (!eq || eq == s || !eq[1])
        return cmd_usage_error("%s '%s': expected NAME=VALUE", opt, s);
    *eq = '\0';
    list[(*n)++] = (RunBinding){s, eq + 1};
    return 0;
}
