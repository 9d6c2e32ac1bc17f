/* fake_cuda_client.h - what a program testing the runtime against the fake
 * driver (fake_cuda.c, named by $ATTN_CUDA_DRIVER) needs: the driver's
 * recorded state, a CHECK macro counting failures and the final check. Include once, in the
 * test's one source file (it defines `failures`). */
#ifndef FAKE_CUDA_CLIENT_H
#define FAKE_CUDA_CLIENT_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "attn_cuda.h"
#include "fake_cuda.h"

static int failures;

#define CHECK(cond, what)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "FAIL line %d: %s [%s]\n", __LINE__, what, attn_last_error());     \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

/* The fake driver's state (a test may set its switches), *lib its handle (dlclose it at the end); NULL
 * with a message on stderr when $ATTN_CUDA_DRIVER is not the fake driver. */
static inline fake_cuda_state *fake_cuda_attach(void **lib) {
    *lib = dlopen(getenv("ATTN_CUDA_DRIVER"), RTLD_NOW);
    fake_cuda_state *(*get)(void) =
        *lib ? (fake_cuda_state * (*)(void)) dlsym(*lib, "fake_cuda_get_state") : NULL;
    if (!get)
        fprintf(stderr, "set ATTN_CUDA_DRIVER to the fake driver\n");
    return get ? get() : NULL;
}

/* The end of a test: releases the runtime's CUDA state, checks that the
 * fake driver holds nothing, closes it; the exit status ("ok" printed when
 * no check failed). */
static inline int fake_cuda_finish(void *lib, const fake_cuda_state *st) {
    attn_cuda_release();
    CHECK(st->retained == 0 && st->loads == 0 && st->allocs == 0, "everything released");
    dlclose(lib);
    if (failures)
        return 1;
    printf("ok\n");
    return 0;
}

#endif
