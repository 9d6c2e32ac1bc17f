/* analysis.h - mask analysis: an attention's mask as a boolean formula over
 * atoms whose visible keys, for a block of queries [q0, q1), are intervals
 * computable in O(1) (ARCHITECTURE.md "Mask analysis and block masks";
 * docs/mask-analysis.md).
 *
 * The `mask =` expression is expanded symbolically: calls of masks and fns
 * are inlined (a frame maps a callee's parameters to the caller's argument
 * expressions), lets are followed, `c ? a : b` becomes (c && a) || (!c && b).
 * What remains is And / Or / Not over atoms:
 *
 *   RANGE   K in [lo(q), hi(q)) where K is kv or (kv + c) / d (floor division
 *           by an invariant d, assumed > 0 at run time, else the atom is
 *           opaque; c invariant) and
 *           lo, hi are affine forms whose q-dependent terms (q, q / d,
 *           p.start/end/id(q + c)) all move the same way as q grows. Affine
 *           comparisons of q and kv (coefficients +-1 on kv), abs(x) <= y and
 *           p.same(q, kv) become RANGE atoms.
 *   QONLY   e(q) <= 0 or e(q) == 0 with e monotone in q and free of kv.
 *   BOOL    a boolean free of q and kv (parameters, b, h, tensor reads at
 *           such indices).
 *   OPAQUE  anything else (tensor reads at q or kv, `%` of q or kv, clamps).
 *
 * "Invariant" below means: free of q and kv (b, h, parameters, dimensions,
 * constants), so evaluated once per query block. Affine forms are exact in
 * 64-bit arithmetic; lower_ranges.c guards at run time that the mask's own
 * i32 arithmetic on them cannot wrap, and treats the atom as opaque when it
 * could. Everything lives in the caller's arena. */
#ifndef ATTN_ANALYSIS_H
#define ATTN_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"

/* A declaration body being expanded: the callee and the argument
 * expressions of its call (evaluated in `parent`). The root frame is the
 * attention itself (its parameters come from attn_ctx). */
typedef struct AnaFrame {
    const Decl *decl;
    Expr *const *args;
    int nargs;
    const struct AnaFrame *parent;
} AnaFrame;

/* One term coef * e of an affine form, e evaluated in frame f. A q-dependent
 * term (qdep) is nondecreasing in q as long as `guard` (an invariant
 * divisor, or NULL) is positive. */
typedef struct AnaTerm {
    int64_t coef;
    const Expr *e;
    const AnaFrame *f;
    bool qdep;
    const Expr *guard;
    const AnaFrame *guard_f;
} AnaTerm;

enum { ANA_MAX_TERMS = 8 };

struct AnaLin;

/* The key quantity K of a form: kv when div is NULL, else (kv + off) / div
 * (floor division by an invariant div, assumed > 0 at run time) where num
 * is the numerator expression (NULL: plain kv) and off its invariant part,
 * num - kv, as an affine form free of q (NULL when num is). Two forms share
 * K when their div and num are the same expressions in the same frames. */
typedef struct AnaKey {
    const Expr *div, *num;
    const AnaFrame *div_f, *num_f;
    const struct AnaLin *off;
} AnaKey;

/* c + cq * q + ckv * K + sum(terms), K as `key` says. */
typedef struct AnaLin {
    int64_t c, cq, ckv;
    AnaKey key;
    AnaTerm t[ANA_MAX_TERMS];
    int n;
} AnaLin;

typedef enum AnaAtomKind { AA_RANGE, AA_QONLY, AA_BOOL, AA_OPAQUE } AnaAtomKind;

typedef struct AnaAtom {
    AnaAtomKind kind;
    const Expr *src;      /* the expression it came from (for reports) */
    /* RANGE: K in [lo, hi); a missing bound is -inf / +inf. ckv of lo/hi is
     * 0; K as `key` says. */
    bool has_lo, has_hi;
    AnaLin lo, hi;
    AnaKey key;
    /* QONLY: e <= 0 (eq false) or e == 0 (eq true). */
    AnaLin e;
    bool eq;
    /* BOOL: the invariant boolean. */
    const Expr *value;
    const AnaFrame *f;
    /* OPAQUE: the first tensor it reads, or NULL. */
    const char *tensor;
} AnaAtom;

/* What an atom costs per key: HEAVY for an opaque atom (a tensor read, a
 * `%`) or a divided key (kv / d), PACK for p.same(q, kv), else COMPARE
 * (attn_hook_mask_cost, whose ATTN_MASK_COST_* have the same values). */
typedef enum AnaCost { ANA_COST_COMPARE, ANA_COST_PACK, ANA_COST_HEAVY } AnaCost;

typedef enum AnaNodeKind { AN_TRUE, AN_FALSE, AN_AND, AN_OR, AN_NOT, AN_ATOM } AnaNodeKind;

typedef struct AnaNode {
    AnaNodeKind kind;
    struct AnaNode *a, *b;
    AnaAtom *atom;
} AnaNode;

/* At most this many atoms are resolved; a bigger mask is one opaque atom. */
enum { ANA_MAX_ATOMS = 12 };

typedef struct MaskAnalysis {
    const Decl *attn;
    AnaNode *root;        /* NULL: no mask, every key visible */
    AnaAtom **atoms;
    int natoms;
    bool uses_b, uses_h;  /* the mask reads b / h (through calls and lets) */
    bool uses_launch_dims; /* it reads HKV, D or DV, which BlockMask builders given
                              only B, H, Q and KV do not know */
    bool has_opaque;      /* some atom is opaque */
    bool bounded;         /* the visible set can be smaller than all keys */
    const char *tensor;   /* a tensor an opaque atom reads, or NULL */
    bool too_complex;     /* over the limits: the whole mask is one opaque atom */
    AnaCost cost_per_key; /* the highest of its atoms' */
} MaskAnalysis;

/* Analyses the mask of attention `attn` (sema-checked without errors). */
MaskAnalysis *analysis_mask(Arena *a, const Decl *attn);

/* Whether the kernels should be driven by a runtime BlockMask rather than
 * the analytic kv ranges alone: the mask reads a tensor at q or kv, or the
 * analysis cannot bound its visible keys at all. */
bool analysis_mask_needs_block_mask(const MaskAnalysis *m);
bool analysis_needs_block_mask(const Decl *attn);

/* Whether e (of frame f) can be evaluated without kv, and without q when
 * `no_q`; such expressions are lowered as they stand. */
bool analysis_free_of(const Expr *e, const AnaFrame *f, bool no_q);

/* The argument expression of parameter i in frame f (its default when the
 * call omits it); NULL in the root frame. */
const Expr *analysis_frame_arg(const AnaFrame *f, int i);

/* analysis_report.c: one line per attention variant of `m` saying what was
 * concluded (attnc FILE --emit analysis). */
void analysis_report(FILE *out, Arena *a, const SourceSet *src, const Module *m);

#endif
