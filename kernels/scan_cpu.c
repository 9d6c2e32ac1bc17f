/* scan_cpu.c - CPU scan template: a range of independent rows, each walked
 * over t by the generated attn_scan_hook_row (attn_abi.h, "scans"). The
 * runtime's thread pool hands each worker a range of rows. */
#include "attn_abi.h"

int64_t attn_scan_rows(const attn_ctx *ctx) { return attn_scan_hook_rows(ctx); }

int64_t attn_scan_scratch(const attn_ctx *ctx) { return attn_scan_hook_scratch(ctx); }

void attn_scan_cpu(const attn_ctx *ctx, const attn_scan_io *io, float *scratch, int64_t row_begin,
                   int64_t row_end)
{
    for (int64_t row = row_begin; row < row_end; row++)
        attn_scan_hook_row(ctx, io, scratch, row);
}
