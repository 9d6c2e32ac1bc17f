/* emu_check.h - CHECK(cond, fmt, ...) of the emulator's unit tests: on a
 * false cond, prints file:line and the message and counts the failure in
 * check_failures (main returns non-zero when it is). One test file each. */
#ifndef EMU_CHECK_H
#define EMU_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
            check_failures++;                                    \
        }                                                        \
    } while (0)

#endif
