/* fuzz_front.c - libFuzzer entry point for the front end.
 *
 * Each input is compiled as an in-memory file `fuzz.attn` (lexer, parser,
 * imports, sema) with every diagnostic discarded. The front end must never
 * crash, hang, leak or trip a sanitizer on any bytes; libFuzzer (ATTN_FUZZ=ON)
 * and the replay driver (fuzz_replay.c) both call this function. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;   /* /dev/null, opened once for the whole run */
    if (!sink && !(sink = fopen("/dev/null", "w")))
        return 0;

    Compilation c;
    compilation_init(&c, sink);
    compile_buffer(&c, "fuzz.attn", (const char *)data, size);
    diag_finish(&c.diags);
    compilation_free(&c);
    return 0;
}
