/* attn_fwd_cpu.c - the CPU flash-attention forward kernel template.
 *
 * One call computes one work item: ATTN_CPU_BLOCK_Q query rows of one
 * (batch, query head). The algorithm is FlashAttention's forward pass:
 *
 *   load the query rows as f32 (Qs)
 *   for each key range from attn_hook_kv_ranges, for each tile of
 *   ATTN_CPU_BLOCK_KV keys in it:
 *       load K transposed (Kt[d][j]) and V (Vs[j][c]) as f32
 *       S = Qs . Kt                     (register-blocked, 64-wide FMAs)
 *       per row: s = score(S * scale), masked -> -inf (partial ranges only),
 *                online softmax in base 2: m = running max, l = running sum,
 *                P = 2^(s - m), alpha = 2^(m_old - m)
 *       O = alpha * O + P . Vs          (rank-1 updates over DV lanes)
 *   out = O / l, lse = ln(l) + m * ln 2
 *
 * With a BlockMask (args->block_mask) the key ranges are replaced by the
 * mask's full and partial key blocks of this query block, walked in
 * ascending order (cpu_blocks).
 *
 * Memory is O(tile): the f32 buffers are stack arrays sized by D and DV
 * (the runtime bounds both by ATTN_CPU_MAX_HEAD_DIM). Keys outside every
 * range are never read; hooks are only called on real (b, h, q, kv) (the
 * score hook also on masked-out pairs of partial tiles, its value then
 * discarded), so generated hooks may index tensors sized by Q and KV. Masked
 * keys never contribute, not even a NaN of V.
 *
 * Plain C for clang-19 (bitcode, linked with the generated hooks and
 * optimized at O3) and gcc; SIMD through cpu_vec.h, no intrinsics. Host
 * targets only (the tiles are variable-length arrays, which nvptx lacks);
 * cpu_vec.h itself also compiles for nvptx64. */
#include "attn_abi.h"
#include "cpu_vec.h"

#define CPU_ROWS 4                               /* query rows per micro-kernel pass */
#define CPU_KV_VECS (ATTN_CPU_BLOCK_KV / CPU_VEC) /* vectors per score row */
#define CPU_PV_VECS 4                            /* DV vectors per P.V pass */
#define CPU_Q_ROWS ((ATTN_CPU_BLOCK_Q + CPU_ROWS - 1) / CPU_ROWS * CPU_ROWS)
/* The same for every variant: calls no hook and is never inlined, so attnc
 * keeps the build's optimisation of it instead of running O3 on it again
 * (CG_FIXED_SECTION, compiler/cg.h). */
#define CPU_FIXED __attribute__((noinline, section(".text.attn_fixed")))
#define CPU_LOG2E 1.4426950408889634f
#define CPU_LN2 0.6931471805599453f

_Static_assert(ATTN_CPU_BLOCK_KV % CPU_VEC == 0, "key tile must be whole vectors");

/* Converts n contiguous elements of dtype at src[off..] to f32. */
static inline void cpu_row_to_f32(float *dst, const void *src, int64_t off, int64_t n, int32_t dtype) {
    if (dtype == ATTN_F32) {
        const float *s = (const float *)src + off;
        for (int64_t i = 0; i < n; i++)
            dst[i] = s[i];
    } else if (dtype == ATTN_BF16) {
        const uint16_t *s = (const uint16_t *)src + off;
        for (int64_t i = 0; i < n; i++)
            dst[i] = cpu_bf16_to_f32(s[i]);
    } else {
        const uint16_t *s = (const uint16_t *)src + off;
        for (int64_t i = 0; i < n; i++)
            dst[i] = cpu_f16_to_f32(s[i]);
    }
}

/* Converts `rows` rows of n elements of dtype, src_stride elements apart
 * from src[off..], to f32 rows dst_stride floats apart: one loop over all
 * of them when both sides are dense. */
static CPU_FIXED void cpu_rows_to_f32(float *dst, int64_t dst_stride, const void *src, int64_t off,
                                      int64_t src_stride, int32_t rows, int32_t n, int32_t dtype) {
    int64_t len = n;
    if (src_stride == n && dst_stride == n) {
        len *= rows;
        rows = 1;
    }
    for (int32_t r = 0; r < rows; r++)
        cpu_row_to_f32(dst + r * dst_stride, src, off + r * src_stride, len, dtype);
}

/* Stores n f32 values, each times `mul`, as dtype at dst[off..]. */
static CPU_FIXED void cpu_row_from_f32(void *dst, int64_t off, const float *src, float mul,
                                       int32_t n, int32_t dtype) {
    if (dtype == ATTN_F32) {
        float *d = (float *)dst + off;
        for (int32_t i = 0; i < n; i++)
            d[i] = src[i] * mul;
    } else if (dtype == ATTN_BF16) {
        uint16_t *d = (uint16_t *)dst + off;
        for (int32_t i = 0; i < n; i++)
            d[i] = cpu_f32_to_bf16(src[i] * mul);
    } else {
        uint16_t *d = (uint16_t *)dst + off;
        for (int32_t i = 0; i < n; i++)
            d[i] = cpu_f32_to_f16(src[i] * mul);
    }
}

/* Kt[d * BLOCK_KV + j] = K[k0 + j][d] for j < n and d < D (other entries
 * keep older values: columns j >= n give scores the softmax discards). Rows
 * are converted into Kr (BLOCK_KV x DP floats, DP = D rounded up to whole
 * vectors) and transposed in 16x16 blocks with vector shuffles. */
static CPU_FIXED void cpu_load_kt(float *Kt, float *Kr, const attn_fwd_args *a, int64_t base,
                                  int32_t k0, int32_t n, int32_t D, int32_t DP) {
    cpu_rows_to_f32(Kr, DP, a->k, base + k0 * a->k_stride[2], a->k_stride[2], n, D, a->dtype);
    for (int32_t j0 = 0; j0 < n; j0 += CPU_VEC)
        for (int32_t d0 = 0; d0 < DP; d0 += CPU_VEC)
            cpu_transpose16(Kt + (int64_t)d0 * ATTN_CPU_BLOCK_KV + j0, ATTN_CPU_BLOCK_KV,
                            Kr + (int64_t)j0 * DP + d0, DP);
}

/* S[r][j] = sum_d Qs[r][d] * Kt[d][j] for CPU_ROWS rows and a whole key
 * tile: CPU_ROWS x CPU_KV_VECS accumulators stay in registers over d. */
static inline void cpu_qk_rows(float *S, const float *Qs, const float *Kt, int32_t D) {
    cpu_v16 acc[CPU_ROWS][CPU_KV_VECS];
    CPU_UNROLL_FULL
    for (int r = 0; r < CPU_ROWS; r++)
        CPU_UNROLL_FULL
        for (int c = 0; c < CPU_KV_VECS; c++)
            acc[r][c] = CPU_SPLAT(0.0f);
    for (int32_t d = 0; d < D; d++) {
        cpu_v16 k[CPU_KV_VECS];
        CPU_UNROLL_FULL
        for (int c = 0; c < CPU_KV_VECS; c++)
            k[c] = CPU_LOAD(Kt + (int64_t)d * ATTN_CPU_BLOCK_KV + c * CPU_VEC);
        CPU_UNROLL_FULL
        for (int r = 0; r < CPU_ROWS; r++) {
            cpu_v16 q = CPU_SPLAT(Qs[(int64_t)r * D + d]);
            CPU_UNROLL_FULL
            for (int c = 0; c < CPU_KV_VECS; c++)
                acc[r][c] += q * k[c];
        }
    }
    CPU_UNROLL_FULL
    for (int r = 0; r < CPU_ROWS; r++)
        CPU_UNROLL_FULL
        for (int c = 0; c < CPU_KV_VECS; c++)
            CPU_STORE(S + r * ATTN_CPU_BLOCK_KV + c * CPU_VEC, acc[r][c]);
}

/* O[r][c0 .. c0 + 16 * nvec) = alpha[r] * O[r][...] + sum_{j<n} P[r][j] * Vs[j][...]
 * for CPU_ROWS rows (O and Vs rows are DVP floats apart). With skip_zero a
 * zero probability is skipped rather than multiplied, so masked keys add
 * nothing even when V holds NaN or Inf there. */
static inline __attribute__((always_inline)) void
cpu_pv_chunk(float *O, const float *alpha, const float *P, const float *Vs, int32_t n, int32_t DVP,
             int32_t c0, const int nvec, const int skip_zero) {
    cpu_v16 acc[CPU_ROWS][CPU_PV_VECS];
    CPU_UNROLL_FULL
    for (int r = 0; r < CPU_ROWS; r++)
        CPU_UNROLL_FULL
        for (int c = 0; c < nvec; c++)
            acc[r][c] = CPU_LOAD(O + (int64_t)r * DVP + c0 + c * CPU_VEC) * alpha[r];
    for (int32_t j = 0; j < n; j++) {
        cpu_v16 v[CPU_PV_VECS];
        CPU_UNROLL_FULL
        for (int c = 0; c < nvec; c++)
            v[c] = CPU_LOAD(Vs + (int64_t)j * DVP + c0 + c * CPU_VEC);
        CPU_UNROLL_FULL
        for (int r = 0; r < CPU_ROWS; r++) {
            float p = P[r * ATTN_CPU_BLOCK_KV + j];
            if (skip_zero && p == 0.0f)
                continue;
            cpu_v16 ps = CPU_SPLAT(p);
            CPU_UNROLL_FULL
            for (int c = 0; c < nvec; c++)
                acc[r][c] += ps * v[c];
        }
    }
    CPU_UNROLL_FULL
    for (int r = 0; r < CPU_ROWS; r++)
        CPU_UNROLL_FULL
        for (int c = 0; c < nvec; c++)
            CPU_STORE(O + (int64_t)r * DVP + c0 + c * CPU_VEC, acc[r][c]);
}

/* P.V for CPU_ROWS rows over all DVP lanes, in chunks of CPU_PV_VECS vectors. */
static inline __attribute__((always_inline)) void
cpu_pv_rows(float *O, const float *alpha, const float *P, const float *Vs, int32_t n, int32_t DVP,
            const int skip_zero) {
    int32_t c0 = 0;
    for (; c0 + CPU_PV_VECS * CPU_VEC <= DVP; c0 += CPU_PV_VECS * CPU_VEC)
        cpu_pv_chunk(O, alpha, P, Vs, n, DVP, c0, CPU_PV_VECS, skip_zero);
    for (; c0 < DVP; c0 += CPU_VEC)
        cpu_pv_chunk(O, alpha, P, Vs, n, DVP, c0, 1, skip_zero);
}

/* Query rows q0 .. q0 + nq as f32 into Qs (rows D floats apart), and zeros
 * in the rows after them up to CPU_Q_ROWS. */
static CPU_FIXED void cpu_load_q(float *Qs, const attn_fwd_args *a, int64_t base, int32_t q0,
                                 int32_t nq, int32_t D) {
    cpu_rows_to_f32(Qs, D, a->q, base + q0 * a->q_stride[2], a->q_stride[2], nq, D, a->dtype);
    for (int64_t i = (int64_t)nq * D; i < (int64_t)CPU_Q_ROWS * D; i++)
        Qs[i] = 0.0f;
}

/* V rows k0 .. k0 + n as f32 into Vs (rows DVP floats apart). */
static CPU_FIXED void cpu_load_v(float *Vs, const attn_fwd_args *a, int64_t base, int32_t k0,
                                 int32_t n, int32_t DV, int32_t DVP) {
    cpu_rows_to_f32(Vs, DVP, a->v, base + k0 * a->v_stride[2], a->v_stride[2], n, DV, a->dtype);
}

/* Scores P = Qs . Kt for the nq rows of an item, CPU_ROWS at a time. */
static CPU_FIXED void cpu_qk_tile(float *P, const float *Qs, const float *Kt, int32_t nq,
                                  int32_t D) {
    for (int32_t r0 = 0; r0 < nq; r0 += CPU_ROWS)
        cpu_qk_rows(P + r0 * ATTN_CPU_BLOCK_KV, Qs + (int64_t)r0 * D, Kt, D);
}

/* O = alpha * O + P . Vs for the nq rows of an item, CPU_ROWS at a time. */
static CPU_FIXED void cpu_pv_tile(float *O, const float *alpha, const float *P, const float *Vs,
                                  int32_t nq, int32_t n, int32_t DVP, int32_t skip_zero) {
    for (int32_t r0 = 0; r0 < nq; r0 += CPU_ROWS) {
        float *Or = O + (int64_t)r0 * DVP;
        const float *Pr = P + r0 * ATTN_CPU_BLOCK_KV;
        if (skip_zero)
            cpu_pv_rows(Or, alpha + r0, Pr, Vs, n, DVP, 1);
        else
            cpu_pv_rows(Or, alpha + r0, Pr, Vs, n, DVP, 0);
    }
}

/* Running softmax state of one query row (m in log2 units). */
typedef struct cpu_row_state {
    float m, l;
} cpu_row_state;

/* Turns one row of raw dot products s[0..n) (keys k0..k0+n) into
 * probabilities relative to the updated running max, fills s[n..BLOCK_KV)
 * with 0, updates st and returns the factor for the row's previous
 * accumulator. `full`: every key is visible (no mask call). */
static inline float cpu_softmax_row(float *s, int32_t n, int32_t full, float scale, int32_t b,
                                    int32_t h, int32_t q, int32_t k0, const attn_ctx *ctx,
                                    cpu_row_state *st) {
    const float ninf = -__builtin_inff();
    /* Branch-free, so that both loops vectorize once the hooks are inlined:
     * a masked-out score is computed too, then discarded. */
    if (full) {
        for (int32_t j = 0; j < n; j++)
            s[j] = attn_hook_score(s[j] * scale, b, h, q, k0 + j, ctx) * CPU_LOG2E;
    } else {
        for (int32_t j = 0; j < n; j++) {
            int32_t visible = attn_hook_mask(b, h, q, k0 + j, ctx);
            float score = attn_hook_score(s[j] * scale, b, h, q, k0 + j, ctx) * CPU_LOG2E;
            s[j] = visible ? score : ninf;
        }
    }
    for (int32_t j = n; j < ATTN_CPU_BLOCK_KV; j++)
        s[j] = ninf;
    /* lane-wise max and sum: element-wise loops over one vector of lanes */
    float lane[CPU_VEC];
    CPU_VECTORIZE
    for (int i = 0; i < CPU_VEC; i++)
        lane[i] = ninf;
    for (int j0 = 0; j0 < ATTN_CPU_BLOCK_KV; j0 += CPU_VEC) {
        CPU_VECTORIZE
        for (int i = 0; i < CPU_VEC; i++)
            lane[i] = s[j0 + i] > lane[i] ? s[j0 + i] : lane[i];
    }
    float mx = st->m;
    for (int i = 0; i < CPU_VEC; i++)
        mx = lane[i] > mx ? lane[i] : mx;
    float m_use = mx == ninf ? 0.0f : mx; /* all masked so far: 2^(-inf - 0) = 0 */
    CPU_VECTORIZE
    for (int i = 0; i < CPU_VEC; i++)
        lane[i] = 0.0f;
    for (int j0 = 0; j0 < ATTN_CPU_BLOCK_KV; j0 += CPU_VEC) {
        CPU_VECTORIZE
        for (int i = 0; i < CPU_VEC; i++) {
            float p = cpu_exp2(s[j0 + i] - m_use);
            s[j0 + i] = p;
            lane[i] += p;
        }
    }
    float sum = 0.0f;
    for (int i = 0; i < CPU_VEC; i++)
        sum += lane[i];
    float alpha = cpu_exp2(st->m - m_use);
    st->l = st->l * alpha + sum;
    st->m = mx;
    return alpha;
}

/* One work item: its rows, the K/V head it reads, and its f32 buffers. */
typedef struct cpu_item {
    const attn_fwd_args *a;
    const attn_ctx *ctx;
    int32_t b, h, q0, nq;
    int32_t D, DV, DP, DVP;
    int64_t kbase, vbase;
    float *Qs, *O, *Kt, *Kr, *Vs, *P, *alpha;
    cpu_row_state *st;
} cpu_item;

/* Keys [k0, k0 + n) against all rows of the item; `full`: no mask needed. */
static void cpu_tile(const cpu_item *it, int32_t k0, int32_t n, int32_t full) {
    const attn_fwd_args *a = it->a;
    cpu_load_kt(it->Kt, it->Kr, a, it->kbase, k0, n, it->D, it->DP);
    cpu_load_v(it->Vs, a, it->vbase, k0, n, it->DV, it->DVP);
    cpu_qk_tile(it->P, it->Qs, it->Kt, it->nq, it->D);
    for (int32_t r = 0; r < it->nq; r++)
        it->alpha[r] = cpu_softmax_row(it->P + r * ATTN_CPU_BLOCK_KV, n, full, a->scale, it->b,
                                       it->h, it->q0 + r, k0, it->ctx, &it->st[r]);
    cpu_pv_tile(it->O, it->alpha, it->P, it->Vs, it->nq, n, it->DVP, !full);
}

/* Walks the key ranges (clipped to [0, KV)) in tiles. Touching ranges are
 * tiled as one run, so tiles stay BLOCK_KV wide across a full/partial
 * boundary; a tile skips the mask when one full range covers it. */
static void cpu_ranges(const cpu_item *it, const attn_kv_range *r, int32_t nr, int32_t nkv) {
    for (int32_t i = 0; i < nr;) {
        int32_t lo = r[i].lo < 0 ? 0 : r[i].lo, hi = r[i].hi, j = i + 1;
        while (j < nr && r[j].lo <= hi) {
            hi = r[j].hi > hi ? r[j].hi : hi;
            j++;
        }
        hi = hi > nkv ? nkv : hi;
        for (int32_t k0 = lo; k0 < hi; k0 += ATTN_CPU_BLOCK_KV) {
            int32_t n = hi - k0 < ATTN_CPU_BLOCK_KV ? hi - k0 : ATTN_CPU_BLOCK_KV;
            int32_t full = 0;
            for (int32_t x = i; x < j; x++)
                full |= r[x].full && r[x].lo <= k0 && k0 + n <= r[x].hi;
            cpu_tile(it, k0, n, full);
        }
        i = j;
    }
}

/* Walks the full and partial key blocks of BlockMask row `row` in ascending
 * order (merging the two sorted lists). Adjacent blocks form one run tiled
 * BLOCK_KV keys at a time; a tile skips the mask when every block it
 * touches is full. */
static void cpu_blocks(const cpu_item *it, const attn_block_mask_view *m, int64_t row,
                       int32_t nkv) {
    const int32_t *part = m->kv_indices + row * m->nkvb, *full = m->full_kv_indices + row * m->nkvb;
    const int32_t np = m->kv_num_blocks[row], nf = m->full_kv_num_blocks[row];
    int32_t k0 = 0, n = 0, tile_full = 1; /* the pending tile [k0, k0 + n) */
    for (int32_t i = 0, j = 0; i < np || j < nf;) {
        int32_t is_full = i == np || (j < nf && full[j] < part[i]);
        int32_t blk = is_full ? full[j++] : part[i++];
        int32_t lo = blk * m->block_kv;
        int32_t hi = nkv - lo < m->block_kv ? nkv : lo + m->block_kv;
        if (n > 0 && lo != k0 + n) {
            cpu_tile(it, k0, n, tile_full);
            n = 0;
        }
        while (lo < hi) {
            if (n == 0) {
                k0 = lo;
                tile_full = 1;
            }
            int32_t take = hi - lo < ATTN_CPU_BLOCK_KV - n ? hi - lo : ATTN_CPU_BLOCK_KV - n;
            n += take;
            lo += take;
            tile_full &= is_full;
            if (n == ATTN_CPU_BLOCK_KV) {
                cpu_tile(it, k0, n, tile_full);
                n = 0;
            }
        }
    }
    if (n > 0)
        cpu_tile(it, k0, n, tile_full);
}

void attn_fwd_cpu(const attn_fwd_args *a, const attn_ctx *ctx, int32_t b, int32_t h,
                  int32_t qblock) {
    const int32_t H = ctx->dims[ATTN_DIM_H], HKV = ctx->dims[ATTN_DIM_HKV];
    const int32_t NQ = ctx->dims[ATTN_DIM_Q];
    const int32_t D = ctx->dims[ATTN_DIM_D], DV = ctx->dims[ATTN_DIM_DV];
    const int32_t q0 = qblock * ATTN_CPU_BLOCK_Q;
    if (q0 >= NQ)
        return;
    const int32_t nq = NQ - q0 < ATTN_CPU_BLOCK_Q ? NQ - q0 : ATTN_CPU_BLOCK_Q;
    const int32_t hk = h / (H / HKV);
    const int32_t DP = (D + CPU_VEC - 1) / CPU_VEC * CPU_VEC;
    const int32_t DVP = (DV + CPU_VEC - 1) / CPU_VEC * CPU_VEC;
    /* (D or DV = 0 still gets one-vector buffers: no zero-length arrays) */
    const int32_t DPA = DP > 0 ? DP : CPU_VEC, DVPA = DVP > 0 ? DVP : CPU_VEC;

    float Qs[CPU_Q_ROWS * DPA] __attribute__((aligned(64)));
    float O[CPU_Q_ROWS * DVPA] __attribute__((aligned(64)));
    float Kt[DPA * ATTN_CPU_BLOCK_KV] __attribute__((aligned(64)));
    float Kr[ATTN_CPU_BLOCK_KV * DPA] __attribute__((aligned(64)));
    float Vs[ATTN_CPU_BLOCK_KV * DVPA] __attribute__((aligned(64)));
    float P[CPU_Q_ROWS * ATTN_CPU_BLOCK_KV] __attribute__((aligned(64)));
    float alpha[CPU_Q_ROWS];
    cpu_row_state st[CPU_Q_ROWS];

    const int64_t qbase = b * a->q_stride[0] + h * a->q_stride[1];
    cpu_load_q(Qs, a, qbase, q0, nq, D);
    for (int32_t r = 0; r < CPU_Q_ROWS; r++) {
        st[r].m = -__builtin_inff();
        st[r].l = 0.0f;
        alpha[r] = 0.0f;
    }
    for (int64_t i = 0; i < (int64_t)CPU_Q_ROWS * DVP; i++)
        O[i] = 0.0f;
    for (int32_t i = 0; i < CPU_Q_ROWS * ATTN_CPU_BLOCK_KV; i++)
        P[i] = 0.0f;
    for (int64_t i = 0; i < (int64_t)ATTN_CPU_BLOCK_KV * DVPA; i++)
        Vs[i] = 0.0f;
    for (int64_t i = 0; i < (int64_t)ATTN_CPU_BLOCK_KV * DPA; i++)
        Kr[i] = Kt[i] = 0.0f;

    const cpu_item it = {a, ctx, b, h, q0, nq, D, DV, DP, DVP,
                         b * a->k_stride[0] + hk * a->k_stride[1],
                         b * a->v_stride[0] + hk * a->v_stride[1],
                         Qs, O, Kt, Kr, Vs, P, alpha, st};
    const attn_block_mask_view *bm = a->block_mask;
    if (bm) {
        cpu_blocks(&it, bm, b * bm->row_stride_b + h * bm->row_stride_h + qblock,
                   ctx->dims[ATTN_DIM_KV]);
    } else {
        attn_kv_range ranges[ATTN_MAX_KV_RANGES];
        int32_t nr = attn_hook_kv_ranges(b, h, q0, q0 + nq, ctx, ranges);
        cpu_ranges(&it, ranges, nr < ATTN_MAX_KV_RANGES ? nr : ATTN_MAX_KV_RANGES,
                   ctx->dims[ATTN_DIM_KV]);
    }

    const int64_t obase = b * a->o_stride[0] + h * a->o_stride[1];
    for (int32_t r = 0; r < nq; r++) {
        float inv = st[r].l == 0.0f ? 0.0f : 1.0f / st[r].l;
        cpu_row_from_f32(a->out, obase + (int64_t)(q0 + r) * a->o_stride[2], O + (int64_t)r * DVP,
                         inv, DV, a->dtype);
        if (a->lse)
            a->lse[b * a->lse_stride[0] + h * a->lse_stride[1] + q0 + r] =
                st[r].l == 0.0f ? -__builtin_inff()
                                : st[r].m * CPU_LN2 + __builtin_logf(st[r].l);
    }
}
