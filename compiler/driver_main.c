/* driver_main.c - attnc's entry point: --help, --version, and dispatch to
 * the subcommands listed in cmd.h. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#ifndef ATTN_VERSION
#define ATTN_VERSION "0.0.0"
#endif

static const Command driver_commands[] = {ATTN_COMMANDS};
enum { DRIVER_NCOMMANDS = sizeof driver_commands / sizeof driver_commands[0] };

static void driver_usage(FILE *out)
{
    fprintf(out, "usage:\n");
    for (int i = 0; i < DRIVER_NCOMMANDS; i++)
        fprintf(out, "  %s\n      %s\n", driver_commands[i].usage, driver_commands[i].summary);
    fprintf(out, "  attnc --help | -h\n      print this help\n"
                 "  attnc --version\n      print the version\n"
                 "environment: ATTN_STDLIB overrides the standard library directory\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        driver_usage(stderr);
        return 2;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        driver_usage(stdout);
        return 0;
    }
    if (strcmp(first, "--version") == 0) {
        printf("attnc %s (LLVM 19)\n", ATTN_VERSION);
        return 0;
    }
    const Command *fallback = NULL;
    for (int i = 0; i < DRIVER_NCOMMANDS; i++) {
        const Command *cmd = &driver_commands[i];
        if (!cmd->name)
            fallback = cmd;
        else if (strcmp(first, cmd->name) == 0)
            return cmd->run(argc - 1, argv + 1);
    }
    return fallback->run(argc, argv);
}
