/* bm_compare.c - see bm_compare.h. */
#include <stdio.h>
#include <string.h>

#include "bm_compare.h"

/* The first index where a and b (n entries) differ, or -1. */
static int64_t bm_first_diff(const int32_t *a, const int32_t *b, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return i;
    return -1;
}

bool bm_compare(const attn_block_mask *want, const attn_block_mask *got, const char *what) {
    const int32_t ws[] = {want->B, want->H, want->q_len, want->kv_len, want->block_q,
                          want->block_kv, want->nqb, want->nkvb};
    const int32_t gs[] = {got->B, got->H, got->q_len, got->kv_len, got->block_q,
                          got->block_kv, got->nqb, got->nkvb};
    if (memcmp(ws, gs, sizeof ws) != 0) {
        printf("FAIL %s: shape B,H,Q,KV,bq,bkv,nqb,nkvb %d,%d,%d,%d,%d,%d,%d,%d, want "
               "%d,%d,%d,%d,%d,%d,%d,%d\n", what, gs[0], gs[1], gs[2], gs[3], gs[4], gs[5], gs[6],
               gs[7], ws[0], ws[1], ws[2], ws[3], ws[4], ws[5], ws[6], ws[7]);
        return false;
    }
    const int64_t rows = (int64_t)want->B * want->H * want->nqb;
    const int64_t cols = (int64_t)want->B * want->H * want->nkvb, cells = rows * want->nkvb;
    const struct {
        const char *name;
        const int32_t *w, *g;
        int64_t n;
    } t[] = {
        {"kv_num_blocks", want->kv_num_blocks, got->kv_num_blocks, rows},
        {"full_kv_num_blocks", want->full_kv_num_blocks, got->full_kv_num_blocks, rows},
        {"kv_indices", want->kv_indices, got->kv_indices, cells},
        {"full_kv_indices", want->full_kv_indices, got->full_kv_indices, cells},
        {"q_num_blocks", want->q_num_blocks, got->q_num_blocks, cols},
        {"full_q_num_blocks", want->full_q_num_blocks, got->full_q_num_blocks, cols},
        {"q_indices", want->q_indices, got->q_indices, cells},
        {"full_q_indices", want->full_q_indices, got->full_q_indices, cells},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t at = bm_first_diff(t[i].w, t[i].g, t[i].n);
        if (at >= 0) {
            printf("FAIL %s: %s[%lld] = %d, want %d\n", what, t[i].name, (long long)at,
                   t[i].g[at], t[i].w[at]);
            return false;
        }
    }
    attn_block_mask_stats st = attn_block_mask_sparsity(got);
    printf("ok   %s: %lld full, %lld partial, %lld empty blocks\n", what, (long long)st.full,
           (long long)st.partial, (long long)st.empty);
    return true;
}
