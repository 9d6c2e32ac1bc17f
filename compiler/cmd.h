/* cmd.h - attnc's subcommands and their shared option handling.
 *
 * Each subcommand lives in its own cmd_NAME.c and is listed once in
 * ATTN_COMMANDS; driver_main.c dispatches on argv[1] and prints the usage
 * from this table. The entry whose name is NULL handles the form without a
 * subcommand (`attnc FILE ...`). */
#ifndef ATTN_CMD_H
#define ATTN_CMD_H

#include <stdbool.h>

#include "compiler.h"
#include "run.h"

typedef struct Command {
    const char *name;    /* argv[1] that selects it; NULL for `attnc FILE ...` */
    const char *usage;   /* synopsis line */
    const char *summary; /* what it does, one line */
    /* argv[0] is the subcommand name (or the program); returns the exit status. */
    int (*run)(int argc, char **argv);
} Command;

int cmd_check(int argc, char **argv);
int cmd_emit(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_run(int argc, char **argv);

#define ATTN_COMMANDS                                                                   \
    {"check", "attnc check [-I DIR]... [--werror] FILE...",                             \
     "report diagnostics only (exit 1 on any error)", cmd_check},                       \
    {NULL, "attnc FILE -o OUT [--target cpu|sm_80|sm_90a[,...]] [--emit obj|asm|ptx|llvm|header|stubs|ast|analysis] "  \
           "[--portable] [-I DIR]...",                                                   \
     "compile FILE's attention variants (--emit=ast: print the syntax tree; --emit header: "   \
     "OUT.o + OUT.h for C; --emit stubs with sm targets: also OUT.c embedding the PTX, with "  \
     "GPU launch stubs, docs/gpu.md)", cmd_emit},                                              \
    {"show", "attnc show FILE --variant NAME --shape B,H,Q,KV,D [--set NAME=VALUE]... "         \
             "[--tensor NAME=FILE.npy]... [--pack NAME=FILE.npy|L1,L2,...]... -o mask.png",     \
     "draw the block mask (and element mask of small shapes) as a PNG", cmd_show},          \
    {"run", "attnc run FILE [--variant NAME] [--device cpu|cuda|emu] [--dtype f32|f16|bf16] "  \
            "[--shape B,H,Q,KV,D[,DV]] [--kv-heads N] [--set NAME=VALUE]... "                    \
            "[--tensor NAME=FILE.npy]... [--pack NAME=FILE.npy|L1,L2,...]... [--inputs DIR] "    \
            "[--out DIR] [--seed N] [--check] [--bench N] [--checked] [-I DIR]...",              \
     "run an attention or scan variant on the CPU (attention also on the SIMT emulator or "    \
     "CUDA: --device emu|cuda, f16/bf16; random or .npy inputs), optionally "                 \
     "checked against the reference interpreter and timed", cmd_run},

/* ------------------------------------------- shared options (cmd_util.c) */

/* Options every front-end command accepts. */
typedef struct CmdFront {
    const char **files;    /* input files, in order (strings of argv) */
    int nfiles;
    const char **includes; /* -I directories, in order */
    int ninclude;
    bool werror;
} CmdFront;

void cmd_front_init(CmdFront *f, int argc);
void cmd_front_free(CmdFront *f);
/* Consumes argv[*i] (and its operand) when it is `-I DIR`, `-IDIR`,
 * `--werror` or an input file; returns false for anything else. A missing
 * operand is reported and returns false with *i past the end. */
bool cmd_front_arg(CmdFront *f, int argc, char **argv, int *i);
/* Applies the options to a fresh compilation. */
void cmd_front_apply(const CmdFront *f, Compilation *c);
/* Prints "attnc: error: MESSAGE" and a hint to use --help; returns 2. */
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Splits s, the value of option `opt` (--set/--tensor/--pack), at its '='
 * and appends NAME=VALUE to list[*n]; 0, or a usage status. */
int cmd_parse_binding(const char *opt, char *s, RunBinding *list, int *n);

#endif
