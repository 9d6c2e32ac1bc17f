/* attn_fwd_gpu.c - attention forward on the GPU: FlashAttention-2 on
 * mma.sync.m16n8k16 (sm_80+), written against gpu_dev.h, so the same code runs
 * on NVPTX and under the SIMT emulator.
 *
 * One CTA per (query tile of BQ = 16 * MT * NWARPS rows, h, b); NWARPS warps
 * (4, or 8 as a build option), warp w owns the MT m16 tiles of query rows
 * [16 MT w, 16 MT (w + 1)) of the tile (MT = 2 at D = DV = 32: every K and V
 * fragment read from shared memory then feeds two mma). The CTAs of a head
 * take their query tiles last first, so that under a causal mask the longest
 * start first and short ones fill the tail.
 * Per CTA:
 *   - the Q tile is copied to shared memory once and kept in registers as mma
 *     A fragments (ldmatrix) when they fit (Q_IN_REGS), else reloaded per k16
 *     step, as FlashAttention-2 does;
 *   - the key tiles (BKV = 64 keys, 32 beyond D = 64, 16 beyond 192) of the
 *     block's visible ranges (attn_hook_kv_ranges), or of its row of a
 *     BlockMask, are listed in a ring of descriptors in shared memory
 *     (attn_gpu_walk): the loop reads one descriptor per tile and keeps no
 *     walk state in registers. The tiles stream through double-buffered
 *     shared memory (3 stages on the wgmma path) with cp.async: tile t+1
 *     is in flight while tile t is used, with one CTA barrier per tile;
 *   - S = Q K^T (f32 accumulators), then scale and attn_hook_score on every
 *     element of the accumulator fragment (its (q, kv) follow from the
 *     fragment layout) at indices clamped into [0, Q) x [kv0, kv1), values
 *     outside being discarded: the hook runs unconditionally, so the
 *     compiler hoists its parameter loads out of the key loop. The mask only
 *     on tiles of partial ranges or blocks, the key bound only on short
 *     tiles: one branch per tile, branch-free inside it, so the mask's
 *     parameter loads and per-row terms are computed once per tile (not per
 *     element); a mask costly per key (attn_hook_mask_cost, MASK_EARLY_COST)
 *     is computed before S, as one bit per element. Rows past Q compute on
 *     the zero-filled Q tile and are not written. Online softmax in base 2
 *     in registers (each score taken to log2 units by one multiply, into
 *     which a positive scale folds when the variant has no score
 *     statements, then exp2 of its difference to the max; the running max
 *     rescaled lazily), row max and sum reduced over the 4 lanes of a quad
 *     that share a row;
 *   - the probabilities become A fragments directly (the C layout of two n8
 *     tiles is the A layout of one k16 step) and O += P V (V via ldmatrix.trans);
 *   - O / l is written, lse = ln(sum exp); rows with no visible key get
 *     out = 0, lse = -inf.
 * Shared tiles are swizzled so that the 8 row addresses of an ldmatrix (8
 * consecutive rows, one 16-byte chunk each) hit distinct banks. A tile whose
 * width is a multiple of 64 elements is stored as column blocks of 64
 * elements (128-byte rows), the chunk c of row r at chunk c ^ (r % 8) of its
 * row: the 128-byte-swizzled layout that wgmma reads (K-major for K,
 * MN-major for V). Other widths (32 mod 64 elements, e.g. D = 32 or 96) are
 * stored row after row with the chunk c at c ^ ((r / 2) % 4): rows r and
 * r + 1 start in opposite halves of the 128-byte bank window. The XOR stays
 * within an aligned group of 8 (or 4) chunks, inside the row. The cp.async
 * stores of 8 consecutive chunks cover whole groups, so they are
 * conflict-free too.
 *
 * With ATTN_GPU_WGMMA (attn_abi.h) on sm_90a, the two products of a key tile
 * are warpgroup MMAs instead (USE_WGMMA below; docs/gpu.md).
 *
 * Specialisation (compile-time): ATTN_HEAD_DIM (D), ATTN_HEAD_DIM_V (DV,
 * default D), ATTN_DTYPE_BF16 (else f16), ATTN_GPU_ENTRY (entry name). */
#include "attn_abi.h"
#include "gpu_dev.h"

#ifndef ATTN_HEAD_DIM
#error "attn_fwd_gpu.c: define ATTN_HEAD_DIM"
#endif
#ifndef ATTN_HEAD_DIM_V
#define ATTN_HEAD_DIM_V ATTN_HEAD_DIM
#endif
#ifndef ATTN_GPU_ENTRY
#define ATTN_GPU_ENTRY attn_fwd_gpu
#endif

#define D ATTN_HEAD_DIM
#define DV ATTN_HEAD_DIM_V
#define MT ATTN_GPU_MTILES(D, DV)
#define NWARPS ATTN_GPU_WARPS(D, DV)
#define THREADS ATTN_GPU_THREADS(D, DV)
#define TILE_RING ATTN_GPU_TILE_RING(D, DV)
#define BQ ATTN_GPU_BLOCK_Q(D, DV)
#define BKV ATTN_GPU_BLOCK_KV(D, DV)
#define NT_S (BKV / 8)   /* n8 tiles of S per warp */
#define NT_O (DV / 8)    /* n8 tiles of O per warp */
/* The Q fragments (MT * D / 4 registers) stay in registers across key
 * tiles while they and the O accumulators (MT * DV / 2) take at most 128 of
 * the 255 registers with one m16 tile per warp, 48 with two (whose
 * fragments double everything else live in the loop; ptxas spilled at D = 64
 * with Q held); else each k16 step reloads its fragments from the shared Q
 * tile, as FlashAttention-2 does. */
#define Q_IN_REGS (MT * (D / 4 + DV / 2) <= (MT == 1 ? 128 : 48))
/* Hopper's warpgroup MMA (ATTN_GPU_WGMMA builds, attn_abi.h; sm_90a and the
 * emulator): each 4 warps are a warpgroup (64 query rows) and each of its
 * S = Q K^T and O += P V of a key tile is a chain of
 * wgmma.mma_async.m64nNk16, A (Q, P) from registers in the same fragments as
 * mma.sync's, B (K, V) read by the tensor cores straight from the swizzled
 * tiles (no ldmatrix). Needs one m16 tile per warp, Q in registers and D, DV
 * multiples of 64 (128-byte column blocks). O += P V of tile t is issued
 * once S = Q K^T of tile t + 1 and its hooks are done, and runs while the
 * softmax of tile t + 1 computes (FlashAttention-3's intra-warpgroup
 * overlap). Its V tile then stays in use while tile t + 2 is loaded: 3
 * stages of K and V. */
#if ATTN_GPU_WGMMA_SPEC(D, DV) && DEV_HAS_WGMMA
#define USE_WGMMA 1
#else
#define USE_WGMMA 0
#endif
_Static_assert(!ATTN_GPU_WGMMA_SPEC(D, DV) || (MT == 1 && Q_IN_REGS), "ATTN_GPU_WGMMA_SPEC");
#define KV_STAGES ATTN_GPU_KV_STAGES(D, DV)
/* The mask cost (attn_hook_mask_cost) from which a partial tile's mask is
 * evaluated before S = Q K^T (attn_gpu_mask_bits), chosen by ptxas's
 * registers over the stdlib and bench variants: with mma.sync, evaluating
 * a pack lookup early costs registers (packed documents D = 128: 165 -> 171,
 * a CTA per SM less); with wgmma it saves them (176 -> 166, one more). */
#define MASK_EARLY_COST (USE_WGMMA ? ATTN_MASK_COST_PACK : ATTN_MASK_COST_HEAVY)
#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f

_Static_assert(D % 32 == 0 && DV % 32 == 0, "head dims must be multiples of 32");
_Static_assert(BQ == 16 * MT * NWARPS, "MT m16 tiles per warp");
_Static_assert((MT == 1 || MT == 2) && (BKV == 16 || BKV == 32 || BKV == 64) &&
                   (NWARPS == 4 || NWARPS == 8),
               "tile shapes: 1 or 2 m16 tiles per warp, 16, 32 or 64 keys, 4 or 8 warps "
               "(attn_abi.h)");
_Static_assert(ATTN_CPU_BLOCK_Q % BQ == 0 && ATTN_CPU_BLOCK_KV % BKV == 0,
               "the default BlockMask blocks must be whole query and key tiles");

#ifdef ATTN_DTYPE_BF16
#define attn_gpu_mma dev_mma_m16n8k16_bf16
#define attn_gpu_pack dev_pack_bf16x2
#else
#define attn_gpu_mma dev_mma_m16n8k16_f16
#define attn_gpu_pack dev_pack_f16x2
#endif

typedef uint16_t elem; /* f16 or bf16 bits */

/* The chunk XOR of row r in a swizzled tile of width w (a multiple of 32;
 * see the top of the file). Period 8 in r. */
static inline int attn_gpu_swz_key(int r, int w) { return w % 64 == 0 ? r & 7 : (r >> 1) & 3; }

/* Row pitch (elements) of a swizzled tile of width w, and the distance
 * between its 64-element column blocks when it has `rows` rows: a width that
 * is a multiple of 64 is stored as column blocks of 64 elements (128-byte
 * rows), the others row after row. */
static inline int attn_gpu_pitch(int w) { return w % 64 == 0 ? 64 : w; }
static inline int attn_gpu_cblock(int w, int rows) { return w % 64 == 0 ? rows * 64 : 64; }

/* Element offset of chunk c (8 elements) of row r in a swizzled tile of
 * width w and `rows` rows. */
static inline int attn_gpu_swz(int r, int c, int w, int rows)
{
    return (c >> 3) * attn_gpu_cblock(w, rows) + r * attn_gpu_pitch(w) +
           (((c & 7) ^ attn_gpu_swz_key(r, w)) << 3);
}

/* ldmatrix addressing of a swizzled tile of width w and `rows` rows for a
 * lane that reads row R + lr, chunk C + lc (R % 8 == 0, C even): as the key
 * of R + lr is that of lr and (C + lc) ^ key only changes the low 3 bits of
 * C, the offset is off[(C % 8) / 2] + R * pitch + (C / 8) * cblock with four
 * per-lane values off[], the rest compile-time. */
static inline void attn_gpu_lds_init(int off[4], int lr, int lc, int w)
{
    for (int i = 0; i < 4; i++)
        off[i] = lr * attn_gpu_pitch(w) + (((2 * i) ^ lc ^ attn_gpu_swz_key(lr, w)) << 3);
}
static inline int attn_gpu_lds_at(const int off[4], int R, int C, int w, int rows)
{
    return off[(C & 7) >> 1] + R * attn_gpu_pitch(w) + (C >> 3) * attn_gpu_cblock(w, rows);
}

/* Issues cp.async copies of `rows` rows of width w from g (row stride rs) into
 * the swizzled tile s; rows >= valid are zero-filled without reading g. rows
 * and w are compile-time constants: the loop unrolls into a fixed number of
 * copies per thread, with no loop state to keep in registers. Row offsets
 * are 32-bit (rs <= ATTN_GPU_MAX_ROW_STRIDE): a copy's address is one
 * 32-bit multiply and one widening add from the tile's.
 * On the wgmma path, when a thread's copies lie a multiple of 8 rows apart
 * (D = 64 and 128: 16 and 8 rows with 4 warps), they share one chunk column
 * and swizzle key: their shared offsets differ by constants and their
 * global addresses by one stride, a 64-bit add each, and a row past `valid`
 * is zero-filled from its unread address. The key loop is then 6-21 SASS
 * instructions shorter and the wgmma kernels take up to 23 registers fewer
 * (six at D = 64 reach 128: 4 CTAs per SM instead of 3; docs/gpu.md); the
 * mma.sync kernels took up to 8 more, 6 of 19 crossing the 168 of 3 CTAs per
 * SM at D = 128, so they keep the per-copy offsets. */
static inline void attn_gpu_load_tile(elem *s, const elem *g, uint32_t rs, int rows, int valid,
                                      int w)
{
    const int chunks = w / 8, n = rows * chunks, tid = dev_linear_tid();
    const int row_step = THREADS / chunks; /* rows between a thread's copies */
    if (USE_WGMMA && THREADS % chunks == 0 && row_step % 8 == 0 && n % THREADS == 0) {
        const int r0 = tid / chunks, c = tid % chunks, rows_left = valid - r0;
        elem *dst = s + attn_gpu_swz(r0, c, w, rows);
        uintptr_t src = (uintptr_t)(g + ((uint32_t)r0 * rs + (uint32_t)c * 8));
        const uint32_t src_step = (uint32_t)row_step * rs * (uint32_t)sizeof(elem);
DEV_UNROLL
        for (int it = 0; it < n / THREADS; it++, src += src_step)
            dev_cp_async_16(dst + it * row_step * attn_gpu_pitch(w), (const void *)src,
                            it * row_step < rows_left);
        return;
    }
DEV_UNROLL
    for (int it = 0; it < (n + THREADS - 1) / THREADS; it++) {
        const int i = tid + it * THREADS;
        const int r = i / chunks, c = i % chunks;
        const int ok = r < valid;
        if (n % THREADS == 0 || i < n)
            dev_cp_async_16(s + attn_gpu_swz(r, c, w, rows),
                            g + (uint32_t)(ok ? r : 0) * rs + c * 8, ok);
    }
}

/* The key tiles a CTA visits, in order: those of its key ranges
 * (attn_hook_kv_ranges, clamped to [0, KV)), or those of its BlockMask row,
 * partial blocks first, then full ones, block_kv / BKV tiles per block (the
 * last key block's tiles past KV left out). Thread 0 writes it to shared
 * memory once; the threads derive tile descriptors from it. */
typedef struct attn_gpu_walk {
    int32_t ntiles, kv_len;
    /* BlockMask (lists[0] != NULL): the row's partial and full block
     * indices, the tiles of the partial ones, tiles per block */
    const int32_t *lists[2];
    int32_t bm_partial_tiles, bm_tiles_per_block, block_kv;
    /* ranges: nr of them, range i holding tiles [first[i], first[i + 1]) */
    int32_t nr;
    attn_kv_range r[ATTN_MAX_KV_RANGES];
    int32_t first[ATTN_MAX_KV_RANGES + 1];
} attn_gpu_walk;
_Static_assert(sizeof(attn_gpu_walk) <= ATTN_GPU_WALK_BYTES, "ATTN_GPU_WALK_BYTES");

/* Key tile t: keys [kv0, kv1 & ATTN_GPU_KV1_MASK); the top bit of kv1 is set
 * when the tile is partial: the mask is evaluated per element. Keys of a
 * full tile are visible without it (a BlockMask's full blocks are taken as
 * they are, as on the CPU). */
typedef struct __attribute__((aligned(8))) attn_gpu_tile_desc {
    int32_t kv0, kv1;
} attn_gpu_tile_desc;
#define ATTN_GPU_PARTIAL_BIT ((int32_t)0x80000000u)
#define ATTN_GPU_KV1_MASK 0x7fffffff

static void attn_gpu_walk_ranges(attn_gpu_walk *w, const attn_ctx *ctx, int b, int h, int q0,
                                 int q1)
{
    int nr = attn_hook_kv_ranges(b, h, q0, q1, ctx, w->r);
    w->nr = nr = nr < 0 ? 0 : nr > ATTN_MAX_KV_RANGES ? ATTN_MAX_KV_RANGES : nr;
    int n = 0;
    for (int i = 0; i < nr; i++) {
        attn_kv_range *r = &w->r[i];
        r->lo = r->lo < 0 ? 0 : r->lo;
        r->hi = r->hi > w->kv_len ? w->kv_len : r->hi;
        w->first[i] = n;
        if (r->hi > r->lo)
            n += (r->hi - r->lo + BKV - 1) / BKV;
    }
    w->first[nr] = n;
    w->ntiles = n;
}

/* The walk of row (b, h, q0 / block_q) of BlockMask m. Counts are clamped
 * to the row's length, so a malformed mask cannot send the walk past it. */
static void attn_gpu_walk_block_mask(attn_gpu_walk *w, const attn_block_mask_view *m, int b,
                                     int h, int q0)
{
    const int64_t row = b * m->row_stride_b + h * m->row_stride_h + q0 / m->block_q;
    const int per_block = m->block_kv / BKV, last = m->nkvb - 1;
    /* tiles of the last key block that lie wholly past KV */
    const int past = per_block - (w->kv_len - last * m->block_kv + BKV - 1) / BKV;
    const int32_t *counts[2] = {m->kv_num_blocks, m->full_kv_num_blocks};
    w->lists[0] = m->kv_indices + row * m->nkvb;
    w->lists[1] = m->full_kv_indices + row * m->nkvb;
    int tiles[2];
    for (int p = 0; p < 2; p++) {
        int n = counts[p][row];
        n = n < 0 ? 0 : n > m->nkvb ? m->nkvb : n;
        /* indices ascend: only a list's last block can be the short one */
        tiles[p] = n * per_block - (n > 0 && w->lists[p][n - 1] == last ? past : 0);
    }
    w->bm_partial_tiles = tiles[0];
    w->bm_tiles_per_block = per_block;
    w->block_kv = m->block_kv;
    w->ntiles = tiles[0] + tiles[1];
}

/* Descriptor of key tile t (< w->ntiles). */
static attn_gpu_tile_desc attn_gpu_tile_of(const attn_gpu_walk *w, int t)
{
    int kv0, kv1, partial;
    if (w->lists[0]) {
        const int full = t >= w->bm_partial_tiles, u = full ? t - w->bm_partial_tiles : t;
        const int blk = w->lists[full][u / w->bm_tiles_per_block];
        const int64_t k0 = (int64_t)blk * w->block_kv + (u % w->bm_tiles_per_block) * BKV;
        kv0 = k0 < 0 ? 0 : k0 > w->kv_len ? w->kv_len : (int)k0; /* a bad index reads nothing */
        kv1 = kv0 + BKV < w->kv_len ? kv0 + BKV : w->kv_len;
        partial = !full;
    } else {
        int i = 0;
        while (i + 1 < w->nr && t >= w->first[i + 1])
            i++;
        kv0 = w->r[i].lo + (t - w->first[i]) * BKV;
        kv1 = kv0 + BKV < w->r[i].hi ? kv0 + BKV : w->r[i].hi;
        partial = !w->r[i].full;
    }
    return (attn_gpu_tile_desc){kv0, kv1 | (partial ? ATTN_GPU_PARTIAL_BIT : 0)};
}

/* Each thread writes the descriptor of tile `first` + its id, if it exists,
 * into the ring (tile t in slot t % TILE_RING). */
static void attn_gpu_ring_fill(attn_gpu_tile_desc *ring, const attn_gpu_walk *w, int first)
{
    const int t = first + dev_linear_tid();
    if (t < w->ntiles)
        ring[t % TILE_RING] = attn_gpu_tile_of(w, t);
}

/* Tile t from the ring: keys [*kv0, *kv1), *partial. */
static inline void attn_gpu_ring_get(const attn_gpu_tile_desc *ring, int t, int *kv0, int *kv1,
                                     int *partial)
{
    const attn_gpu_tile_desc d = ring[t % TILE_RING];
    *kv0 = d.kv0;
    *kv1 = d.kv1 & ATTN_GPU_KV1_MASK;
    *partial = d.kv1 < 0;
}

/* Issues the copies of key tile t (its descriptor from the ring) into the
 * K and V stages sk, sv (rows of k and v from gk, gv with row strides krs,
 * vrs). */
static inline void attn_gpu_load_kv_tile(elem *sk, elem *sv, const attn_gpu_tile_desc *ring, int t,
                                         const elem *gk, uint32_t krs, const elem *gv,
                                         uint32_t vrs)
{
    int kv0, kv1, partial;
    attn_gpu_ring_get(ring, t, &kv0, &kv1, &partial);
    attn_gpu_load_tile(sk, gk + (uint64_t)(uint32_t)kv0 * krs, krs, BKV, kv1 - kv0, D);
    attn_gpu_load_tile(sv, gv + (uint64_t)(uint32_t)kv0 * vrs, vrs, BKV, kv1 - kv0, DV);
}

#if !USE_WGMMA
/* For every m16 tile mt: the accumulators of its n8 tiles n and n + 1
 * (c[nt mt + n], nt n8 tiles per m16 tile) += a[mt] times the B fragments of
 * b (b[0..1] for n, b[2..3] for n + 1: one x4 ldmatrix). */
static inline void attn_gpu_mma_pair(float c[][4], int nt, int n, uint32_t a[MT][4],
                                     const uint32_t b[4])
{
DEV_UNROLL
    for (int mt = 0; mt < MT; mt++) {
        attn_gpu_mma(c[nt * mt + n], a[mt], b);
        attn_gpu_mma(c[nt * mt + n + 1], a[mt], b + 2);
    }
}

/* S = Q K^T for the warp's MT m16 tiles and the tile's BKV keys. An x4
 * ldmatrix of K rows gives B fragments of two n8 tiles, used by every m16
 * tile; Q fragments from qa (Q_IN_REGS) or from the shared tile sq. */
static inline void attn_gpu_qk(float s[MT * NT_S][4], uint32_t qa[][4], const elem *sq,
                               const elem *skb, const int q_off[4], const int k_off[4], int warp)
{
DEV_UNROLL
    for (int kk = 0; kk < D / 16; kk++) {
        uint32_t qf[MT][4];
DEV_UNROLL
        for (int mt = 0; mt < MT; mt++) {
            if (Q_IN_REGS) {
DEV_UNROLL
                for (int i = 0; i < 4; i++)
                    qf[mt][i] = qa[mt * (D / 16) + kk][i];
            } else {
                dev_ldmatrix_x4(qf[mt],
                                sq + attn_gpu_lds_at(q_off, (warp * MT + mt) * 16, 2 * kk, D, BQ));
            }
        }
DEV_UNROLL
        for (int np = 0; np < NT_S / 2; np++) {
            uint32_t kb[4];
            dev_ldmatrix_x4(kb, skb + attn_gpu_lds_at(k_off, np * 16, 2 * kk, D, BKV));
            attn_gpu_mma_pair(s, NT_S, 2 * np, qf, kb);
        }
    }
}
#endif

/* Runs the statement after it on every element (mt, r, j, c) of a lane's
 * score fragment, unrolled, row by row: s[NT_S mt + j][2 r + c], at query
 * row0 + 16 mt + 8 r and key kv0 + 8 j + 2 tq + c, inside key tile
 * [kv0, kv1) when 8 j + c < kv1 - kv0 - 2 tq. */
#define ATTN_GPU_FOR_EACH_SCORE(mt, r, j, c) \
    DEV_UNROLL for (int mt = 0; mt < MT; mt++) \
    DEV_UNROLL for (int r = 0; r < 2; r++) \
    DEV_UNROLL for (int j = 0; j < NT_S; j++) \
    DEV_UNROLL for (int c = 0; c < 2; c++)

/* The hooks on every element of a lane's score fragment s
 * (ATTN_GPU_FOR_EACH_SCORE), the hooks seeing it clamped into [0, Q) x
 * [kv0, kv1): with masking 0 the scale and the score hook; with masking 1
 * the key bound kv1 and, on a partial tile, the mask (-inf where either
 * hides the element). */
static inline void attn_gpu_hooks(float s[MT * NT_S][4], int masking, int partial, int row0,
                                  int kv0, int kv1, int tq, int Q, float scale, int b, int h,
                                  const attn_ctx *ctx)
{
    /* Row by row, and the key bound as 8 j + c < lim with one limit per lane
     * (an immediate compare per element): ptxas then keeps fewer values live
     * here, where S, O and the Q fragments all are (causal D = 128: 171 -> 168
     * registers, the 3 CTAs per SM that 168 allow). */
    const int lim = kv1 - kv0 - 2 * tq;
    ATTN_GPU_FOR_EACH_SCORE(mt, r, j, c) {
        const int q = row0 + 16 * mt + 8 * r, kv = kv0 + 8 * j + 2 * tq + c;
        const int in = 8 * j + c < lim;
        const int qc = q < Q ? q : Q - 1, kvc = in ? kv : kv1 - 1;
        float *x = &s[NT_S * mt + j][2 * r + c];
        if (!masking) {
            *x = attn_hook_score(*x * scale, b, h, qc, kvc, ctx);
        } else {
            const int keep = in & ((!partial) | attn_hook_mask(b, h, qc, kvc, ctx));
            *x = keep ? *x : -__builtin_inff();
        }
    }
}

/* A keep mask: element (mt, r, j, c) of a lane's score fragment
 * (ATTN_GPU_FOR_EACH_SCORE) at bit ATTN_GPU_KEEP_BIT(mt, r, j, c). */
#define ATTN_GPU_KEEP_BIT(mt, r, j, c) ((((mt) * 2 + (r)) * NT_S + (j)) * 2 + (c))
#if 4 * MT * NT_S <= 32
typedef uint32_t attn_gpu_keep;
#else
typedef uint64_t attn_gpu_keep;
#endif
_Static_assert(4 * MT * NT_S <= 64, "a lane's score elements fit a keep mask");

/* The mask of partial key tile [kv0, kv1) on a lane's score elements
 * (clamped as in attn_gpu_hooks), as a keep mask: bits clear where it hides the
 * element. For a variant whose mask is costly per key (attn_hook_mask_cost
 * at least MASK_EARLY_COST), computed before S = Q K^T: its tensor reads and
 * per-row terms then do not compete with the S accumulators, O and the Q
 * fragments for registers (document-causal D = 128 with mma.sync: 203 -> 168
 * registers). A mask that shows everything folds to ~0. */
static inline attn_gpu_keep attn_gpu_mask_bits(int row0, int kv0, int kv1, int tq, int Q, int b,
                                               int h, const attn_ctx *ctx)
{
    const int lim = kv1 - kv0 - 2 * tq;
    attn_gpu_keep keep = ~(attn_gpu_keep)0;
    ATTN_GPU_FOR_EACH_SCORE(mt, r, j, c) {
        const int q = row0 + 16 * mt + 8 * r, kv = kv0 + 8 * j + 2 * tq + c;
        const int qc = q < Q ? q : Q - 1, kvc = 8 * j + c < lim ? kv : kv1 - 1;
        const attn_gpu_keep hidden = attn_hook_mask(b, h, qc, kvc, ctx) == 0;
        keep &= ~(hidden << ATTN_GPU_KEEP_BIT(mt, r, j, c));
    }
    return keep;
}

/* -inf into each element of s past the tile's end kv1 (attn_gpu_hooks'
 * bound) or whose bit of keep is clear. */
static inline void attn_gpu_apply_keep(float s[MT * NT_S][4], attn_gpu_keep keep, int kv0,
                                       int kv1, int tq)
{
    const int lim = kv1 - kv0 - 2 * tq;
    ATTN_GPU_FOR_EACH_SCORE(mt, r, j, c) {
        const attn_gpu_keep bit = (attn_gpu_keep)1 << ATTN_GPU_KEEP_BIT(mt, r, j, c);
        const int vis = (8 * j + c < lim) & ((keep & bit) != 0);
        float *x = &s[NT_S * mt + j][2 * r + c];
        *x = vis ? *x : -__builtin_inff();
    }
}

/* Online softmax of one row (this lane's elements e0, e0 + 1 of each n8 tile
 * of s, the scores after the hook, in units of 1 / kexp; m in log2 units): s
 * replaced by the probabilities exp2(t - m) of t = s kexp, rounded first (a
 * multiply, an add and ex2 each), their sum added to l. kexp is log2(e), or
 * scale log2(e) when the scale was folded (the scores are then unscaled:
 * with a positive scale, the max of the scaled scores is the scaled max).
 * The row's max t has probability exactly 1 whatever its size. One FFMA,
 * exp2(s kexp - m), added the product's rounding error (half an ulp of
 * s kexp: 2^7 at |s kexp| = 2^31, scores near 1.5e9) to every exponent, so
 * a tile of large scores (a soft mask of -1e10) got probabilities of
 * 2^+-hundreds, inf or 0 (FlexAttention's kernel rounds first as well).
 * The running max m and l are rescaled only when the tile's max exceeds m by
 * more than ATTN_GPU_MAX_SLACK; then it returns 1 and *corr is the factor for
 * the row's O accumulators (attn_gpu_rescale), which the caller applies while
 * O is not being accumulated into. A stale m leaves o / l and m + log2(l)
 * exact, and keeps the probabilities below 2^ATTN_GPU_MAX_SLACK (finite in
 * f16, bf16 and the f32 sums), while most key tiles of a long row then skip
 * the 2 * NT_O multiplications. */
#define ATTN_GPU_MAX_SLACK 8.0f
static inline int attn_gpu_softmax_row(float s[NT_S][4], int e0, float kexp, float *m, float *l,
                                       float *corr)
{
DEV_UNROLL
    for (int j = 0; j < NT_S; j++)
DEV_UNROLL
        for (int e = e0; e < e0 + 2; e++)
            s[j][e] *= kexp;
    float mx = __builtin_fmaxf(s[0][e0], s[0][e0 + 1]);
DEV_UNROLL
    for (int j = 1; j < NT_S; j++)
        mx = __builtin_fmaxf(mx, __builtin_fmaxf(s[j][e0], s[j][e0 + 1]));
    mx = __builtin_fmaxf(mx, dev_shfl_xor_f32(mx, 1));
    mx = __builtin_fmaxf(mx, dev_shfl_xor_f32(mx, 2));
    /* also the first finite max: m = -inf; branch-free while wgmma is in flight */
    const int moved = mx > *m + ATTN_GPU_MAX_SLACK;
    *corr = moved ? dev_exp2f(*m - mx) : 1.0f; /* not exp2(-inf - -inf) */
    *m = moved ? mx : *m;
    *l *= *corr;
    const float base = *m == -__builtin_inff() ? 0.0f : *m; /* no inf - inf */
DEV_UNROLL
    for (int j = 0; j < NT_S; j++)
DEV_UNROLL
        for (int e = e0; e < e0 + 2; e++) {
            s[j][e] = dev_exp2f(s[j][e] - base);
            *l += s[j][e];
        }
    return moved;
}

/* The O accumulators of each row whose running max moved (moved[mt][r],
 * attn_gpu_softmax_row) times its corr[mt][r]. */
static inline void attn_gpu_rescale(float o[MT * NT_O][4], const int moved[MT][2],
                                    const float corr[MT][2])
{
DEV_UNROLL
    for (int mt = 0; mt < MT; mt++)
DEV_UNROLL
        for (int r = 0; r < 2; r++)
            if (moved[mt][r])
DEV_UNROLL
                for (int j = 0; j < NT_O; j++) {
                    o[NT_O * mt + j][2 * r] *= corr[mt][r];
                    o[NT_O * mt + j][2 * r + 1] *= corr[mt][r];
                }
}

/* The A fragment of k16 step ks of P for m16 tile mt: the accumulators of
 * its n8 tiles 2ks and 2ks+1 (the C layout of two n8 tiles is the A layout of
 * one k16 step), rounded to the element type. */
static inline void attn_gpu_p_frag(uint32_t pa[4], float s[MT * NT_S][4], int mt, int ks)
{
    const float(*p)[4] = s + mt * NT_S + 2 * ks;
    pa[0] = attn_gpu_pack(p[0][0], p[0][1]);
    pa[1] = attn_gpu_pack(p[0][2], p[0][3]);
    pa[2] = attn_gpu_pack(p[1][0], p[1][1]);
    pa[3] = attn_gpu_pack(p[1][2], p[1][3]);
}

#if USE_WGMMA
#ifdef ATTN_DTYPE_BF16
#define attn_gpu_wgmma dev_wgmma_bf16
#else
#define attn_gpu_wgmma dev_wgmma_f16
#endif
_Static_assert(BQ * D * 2 % 1024 == 0 && BKV * 128 % 1024 == 0,
               "wgmma: the K and V tiles' 8-row groups must stay 1024-byte aligned");

/* Pins the n accumulators at d (dev_wgmma_pin_f32). */
static inline void attn_gpu_pin_acc(float *d, int n)
{
DEV_UNROLL
    for (int i = 0; i < n; i++)
        dev_wgmma_pin_f32(&d[i]);
}

/* Pins the tile's P fragments (dev_wgmma_pin_u32). */
static inline void attn_gpu_pin_p(uint32_t pa[BKV / 16][4])
{
DEV_UNROLL
    for (int ks = 0; ks < BKV / 16; ks++)
DEV_UNROLL
        for (int i = 0; i < 4; i++)
            dev_wgmma_pin_u32(&pa[ks][i]);
}

/* Issues S = Q K^T on the warpgroup as one commit group: D / 16 chained
 * m64n<BKV>k16, Q's k16 fragments from qa, K-major B from k16 column 16 kk of
 * the K tile whose descriptor is kdesc (column block kk / 4, 32 bytes into
 * its 128-byte rows; 8-row groups 1024 bytes apart). */
static inline void attn_gpu_qk_wgmma(float s[NT_S][4], uint32_t qa[][4], uint64_t kdesc)
{
    attn_gpu_pin_acc((float *)s, 4 * NT_S);
    dev_wgmma_fence();
DEV_UNROLL
    for (int kk = 0; kk < D / 16; kk++)
        attn_gpu_wgmma(BKV, 0, (float *)s, qa[kk],
                       dev_wgmma_desc_advance(kdesc, (kk / 4) * BKV * 128 + (kk % 4) * 32));
    dev_wgmma_commit();
}

/* Issues O += P V on the warpgroup as one commit group: BKV / 16 chained
 * m64n<DV>k16, P's fragments from pa (untouched until the wgmma completes:
 * attn_gpu_pv_done), MN-major B from rows 16 ks.. of the V tile whose
 * descriptor is vdesc (8-row groups 1024 bytes apart, 64-column blocks
 * BKV * 128 bytes apart). */
static inline void attn_gpu_pv_wgmma(float o[NT_O][4], uint32_t pa[BKV / 16][4], uint64_t vdesc)
{
    attn_gpu_pin_acc((float *)o, 4 * NT_O);
    attn_gpu_pin_p(pa);
    dev_wgmma_fence();
DEV_UNROLL
    for (int ks = 0; ks < BKV / 16; ks++)
        attn_gpu_wgmma(DV, 1, (float *)o, pa[ks], dev_wgmma_desc_advance(vdesc, ks * 16 * 128));
    dev_wgmma_commit();
}

/* After a wait_group 0: the last O += P V is complete, its accumulators may be
 * read and its P fragments reused (both pinned here, so the compiler neither
 * reads o earlier nor reuses pa's registers while the wgmma may read them). */
static inline void attn_gpu_pv_done(float o[NT_O][4], uint32_t pa[BKV / 16][4])
{
    attn_gpu_pin_acc((float *)o, 4 * NT_O);
    attn_gpu_pin_p(pa);
}
#else
/* O += P V: an x4 ldmatrix.trans of V rows gives B fragments of two n8 tiles
 * of O, used by every m16 tile. */
static inline void attn_gpu_pv(float o[MT * NT_O][4], float s[MT * NT_S][4], const elem *svb,
                               const int v_off[4])
{
DEV_UNROLL
    for (int ks = 0; ks < BKV / 16; ks++) {
        uint32_t pa[MT][4];
DEV_UNROLL
        for (int mt = 0; mt < MT; mt++)
            attn_gpu_p_frag(pa[mt], s, mt, ks);
DEV_UNROLL
        for (int dp = 0; dp < NT_O / 2; dp++) {
            uint32_t vb[4];
            dev_ldmatrix_x4_trans(vb, svb + attn_gpu_lds_at(v_off, ks * 16, 2 * dp, DV, BKV));
            attn_gpu_mma_pair(o, NT_O, 2 * dp, pa, vb);
        }
    }
}
#endif

DEV_BODY void attn_fwd_gpu_body(const attn_fwd_gpu_args *a)
{
    const attn_ctx *ctx = &a->ctx;
    const int q_tile = dev_nctaid(0) - 1 - dev_ctaid(0), h = dev_ctaid(1), b = dev_ctaid(2);
    const int H = ctx->dims[ATTN_DIM_H], HKV = ctx->dims[ATTN_DIM_HKV];
    const int Q = ctx->dims[ATTN_DIM_Q], KV = ctx->dims[ATTN_DIM_KV];
    const int hk = h / (H / HKV);
    const int warp = dev_warp(), lane = dev_lane(), g = lane / 4, tq = lane % 4;
    const int q0 = q_tile * BQ, q_rows = Q - q0 < BQ ? Q - q0 : BQ;
    /* This lane's rows: row0 + 16 mt + 8 r for m16 tile mt, r = 0, 1. */
    const int row0 = q0 + warp * 16 * MT + g;
    const float scale = a->scale == a->scale ? a->scale : attn_hook_scale(ctx);
    /* Without score statements a positive scale folds into the softmax's
     * multiply to log2 units, sparing a multiply per score (uniform per CTA;
     * constant but for the scale's sign with generated hooks). */
    const int fold_scale = attn_hook_score_identity(ctx) && scale > 0;
    const float kexp = fold_scale ? scale * LOG2E : LOG2E;
    const int mask_early = attn_hook_mask_cost(ctx) >= MASK_EARLY_COST; /* constant if generated */

    const elem *gq =
        (const elem *)a->q + b * a->q_stride[0] + h * a->q_stride[1] + q0 * a->q_stride[2];
    const elem *gk = (const elem *)a->k + b * a->k_stride[0] + hk * a->k_stride[1];
    const elem *gv = (const elem *)a->v + b * a->v_stride[0] + hk * a->v_stride[1];
    /* Row strides, in [0, ATTN_GPU_MAX_ROW_STRIDE] (the launch checks). */
    const uint32_t qrs = (uint32_t)a->q_stride[2], krs = (uint32_t)a->k_stride[2],
                   vrs = (uint32_t)a->v_stride[2];
    char *smem = dev_smem();
#if USE_WGMMA
    smem += (0u - dev_smem_addr(smem)) & 1023; /* wgmma's swizzle: 1024-byte aligned tiles */
#endif
    const int q_in_kv = ATTN_GPU_Q_IN_KV_STAGE(D, DV); /* first loaded into stage 2 by tile 2 */
    elem *sk = (elem *)smem + (q_in_kv ? 0 : BQ * D); /* [KV_STAGES][BKV][D] */
    elem *sv = sk + KV_STAGES * BKV * D;               /* [KV_STAGES][BKV][DV] */
    elem *sq = q_in_kv ? sk + 2 * BKV * D : (elem *)smem;

    attn_gpu_tile_desc *ring = (attn_gpu_tile_desc *)(sv + KV_STAGES * BKV * DV);
    attn_gpu_walk *walk = (attn_gpu_walk *)(ring + TILE_RING);

    /* The walk, then the first two halves of the ring; a half is refilled
     * in the key loop once every tile in it has been read. */
    if (dev_linear_tid() == 0) {
        walk->kv_len = KV;
        walk->lists[0] = 0;
        if (a->block_mask.kv_num_blocks)
            attn_gpu_walk_block_mask(walk, &a->block_mask, b, h, q0);
        else
            attn_gpu_walk_ranges(walk, ctx, b, h, q0, q0 + q_rows);
    }
    dev_syncthreads();
    const int ntiles = walk->ntiles;
    attn_gpu_ring_fill(ring, walk, 0);
    attn_gpu_ring_fill(ring, walk, THREADS);
    dev_syncthreads();

    float o[MT * NT_O][4] = {{0}}; /* n8 tile j of m16 tile mt: o[NT_O mt + j] */
    float m[MT][2], l[MT][2]; /* running max (log2 units), this lane's partial sums */
DEV_UNROLL
    for (int mt = 0; mt < MT; mt++)
DEV_UNROLL
        for (int r = 0; r < 2; r++) {
            m[mt][r] = -__builtin_inff();
            l[mt][r] = 0;
        }
    uint32_t qa[Q_IN_REGS ? MT * D / 16 : 1][4];
    int q_off[4]; /* this lane's ldmatrix rows (attn_gpu_lds_init) */
    attn_gpu_lds_init(q_off, lane % 16, lane / 16, D);
#if USE_WGMMA
    /* The descriptors of stage 0's K and V tiles; P of the last tile (0
     * before the first) and its stage, for the O += P V issued next. */
    const uint64_t kdesc = dev_wgmma_desc_sw128(sk, 16, 1024);
    const uint64_t vdesc = dev_wgmma_desc_sw128(sv, BKV * 128, 1024);
    uint32_t pa[BKV / 16][4] = {{0}};
    int pbuf = 0;
#else
    int k_off[4], v_off[4];
    attn_gpu_lds_init(k_off, (lane / 16) * 8 + lane % 8, (lane / 8) % 2, D);
    attn_gpu_lds_init(v_off, lane % 16, lane / 16, DV);
#endif

    /* Rows whose running max moved in the last tile and their O factors
     * (attn_gpu_softmax_row); applied before its O += P V. */
    int moved[MT][2] = {{0}};
    float corr[MT][2] = {{0}};
    if (ntiles > 0) { /* uniform: read from the walk */
        attn_gpu_load_tile(sq, gq, qrs, BQ, q_rows, D);
        dev_cp_async_commit();
        attn_gpu_load_kv_tile(sk, sv, ring, 0, gk, krs, gv, vrs);
        dev_cp_async_commit();
        if (Q_IN_REGS) { /* the Q fragments, while tile 0 is in flight */
            dev_cp_async_wait(1);
            dev_syncthreads();
DEV_UNROLL
            for (int mt = 0; mt < MT; mt++)
DEV_UNROLL
                for (int kk = 0; kk < D / 16; kk++)
                    dev_ldmatrix_x4(qa[mt * (D / 16) + kk],
                                    sq + attn_gpu_lds_at(q_off, (warp * MT + mt) * 16, 2 * kk,
                                                         D, BQ));
        }
    }
    for (int t = 0, buf = 0; t < ntiles; t++) { /* buf: tile t's stage, t % KV_STAGES */
        const int nbuf = buf + 1 == KV_STAGES ? 0 : buf + 1;
        dev_cp_async_wait(0);
#if USE_WGMMA
        dev_fence_proxy_async(); /* cp.async wrote the tile, the tensor cores read it */
#endif
        /* One barrier per tile: tile t (and at t = 0 the Q tile) is visible
         * to all, and every warp is done with tile t + 1 - KV_STAGES, whose
         * stage the prefetch of tile t+1 then refills while tile t is
         * computed. */
        dev_syncthreads();
        /* Tiles t - THREADS .. t - 1 have all been read (by iteration t - 1,
         * before the barrier): their half of the ring takes the tiles one
         * ring further, first read THREADS - 1 barriers from now. Tile t's
         * descriptor is read here, not carried from the last iteration's
         * prefetch, so no two descriptors are live across the tile's MMAs. */
        if (t > 0 && t % THREADS == 0)
            attn_gpu_ring_fill(ring, walk, t + THREADS);
        int kv0, kv1, partial;
        attn_gpu_ring_get(ring, t, &kv0, &kv1, &partial);
        if (t + 1 < ntiles) {
            attn_gpu_load_kv_tile(sk + nbuf * BKV * D, sv + nbuf * BKV * DV, ring, t + 1, gk, krs,
                                  gv, vrs);
            dev_cp_async_commit();
        }

        /* A mask that is costly per key, on a partial tile: first. */
        attn_gpu_keep keep = ~(attn_gpu_keep)0;
        if (mask_early & partial)
            keep = attn_gpu_mask_bits(row0, kv0, kv1, tq, Q, b, h, ctx);

        float s[MT * NT_S][4] = {{0}}; /* n8 tile j of m16 tile mt: s[NT_S mt + j] */
#if USE_WGMMA
        attn_gpu_qk_wgmma(s, qa, dev_wgmma_desc_advance(kdesc, buf * BKV * D * 2));
        dev_wgmma_wait(0);
        attn_gpu_pin_acc((float *)s, 4 * NT_S);
#else
        attn_gpu_qk(s, qa, sq, sk + buf * BKV * D, q_off, k_off, warp);
#endif

        /* Scale and score hook (unless the scale is folded), then the mask
         * per element: the mask on partial tiles (or its bits from above),
         * the key bound on short ones, in one branch per tile: within it the
         * mask's parameter loads and its per-row terms are computed once, not
         * per element. The softmax takes the scores to log2 units. */
        if (!fold_scale)
            attn_gpu_hooks(s, 0, partial, row0, kv0, kv1, tq, Q, scale, b, h, ctx);
        if (partial | (kv1 - kv0 < BKV)) {
            if (mask_early)
                attn_gpu_apply_keep(s, keep, kv0, kv1, tq);
            else
                attn_gpu_hooks(s, 1, partial, row0, kv0, kv1, tq, Q, scale, b, h, ctx);
        }

#if USE_WGMMA
        /* O += P V of tile t - 1 (O first rescaled for its max) runs while
         * the softmax of tile t computes: FlashAttention-3's intra-warpgroup
         * overlap. ptxas waits for in-flight wgmma before code that may
         * diverge, so the softmax is branch-free, and the wgmma is issued
         * after the hooks and at every tile: at t = 0 with P = 0 and tile 0's
         * V (finite), which adds nothing. */
        attn_gpu_rescale(o, moved, corr);
        attn_gpu_pv_wgmma(o, pa, dev_wgmma_desc_advance(vdesc, pbuf * BKV * DV * 2));
#endif
DEV_UNROLL
        for (int mt = 0; mt < MT; mt++)
DEV_UNROLL
            for (int r = 0; r < 2; r++)
                moved[mt][r] = attn_gpu_softmax_row(s + NT_S * mt, 2 * r, kexp, &m[mt][r],
                                                    &l[mt][r], &corr[mt][r]);
#if USE_WGMMA /* P of tile t, for the next iteration's O += P V */
        dev_wgmma_wait(0);
        attn_gpu_pv_done(o, pa);
DEV_UNROLL
        for (int ks = 0; ks < BKV / 16; ks++)
            attn_gpu_p_frag(pa[ks], s, 0, ks);
        pbuf = buf;
#else
        attn_gpu_rescale(o, moved, corr);
        attn_gpu_pv(o, s, sv + buf * BKV * DV, v_off);
#endif
        buf = nbuf;
    }
#if USE_WGMMA
    if (ntiles > 0) { /* the last tile's O += P V */
        attn_gpu_rescale(o, moved, corr);
        attn_gpu_pv_wgmma(o, pa, dev_wgmma_desc_advance(vdesc, pbuf * BKV * DV * 2));
        dev_wgmma_wait(0);
        attn_gpu_pv_done(o, pa);
    }
#endif

    /* Normalise and write this lane's elements of its rows. */
    elem *go = (elem *)a->out + b * a->o_stride[0] + h * a->o_stride[1];
DEV_UNROLL
    for (int mt = 0; mt < MT; mt++)
DEV_UNROLL
        for (int r = 0; r < 2; r++) {
            float sum = l[mt][r] + dev_shfl_xor_f32(l[mt][r], 1);
            sum += dev_shfl_xor_f32(sum, 2);
            const int q = row0 + 16 * mt + 8 * r;
            if (q >= Q)
                continue;
            /* sum == 0: no visible key; a NaN sum (NaN scores) stays NaN in
             * out and lse, as on the CPU and in the reference */
            const float inv = sum == 0 ? 0.0f : 1.0f / sum;
            uint32_t *orow = (uint32_t *)(go + q * a->o_stride[2]);
DEV_UNROLL
            for (int j = 0; j < NT_O; j++)
                orow[4 * j + tq] =
                    attn_gpu_pack(o[NT_O * mt + j][2 * r] * inv, o[NT_O * mt + j][2 * r + 1] * inv);
            if (a->lse && tq == 0)
                a->lse[b * a->lse_stride[0] + h * a->lse_stride[1] + q] =
                    sum == 0 ? -__builtin_inff() : (m[mt][r] + dev_log2f(sum)) * LN2;
        }
}

DEV_ENTRY(ATTN_GPU_ENTRY, attn_fwd_gpu_args, attn_fwd_gpu_body)
