/* variant_rename.h - lets one test/bench binary hold several variants: a
 * translation unit defines VARIANT, includes this header, then one
 * hand-written hook file and the kernel template, so that attn_fwd_cpu and
 * attn_hook_* become VARIANT_fwd_cpu, VARIANT_hook_*, and the hooks inline
 * into the kernel just as the generated ones do after linking. */
#define RENAME_CAT2(a, b) a##_##b
#define RENAME_CAT(a, b) RENAME_CAT2(a, b)
#define attn_fwd_cpu RENAME_CAT(VARIANT, fwd_cpu)
#define attn_hook_scale RENAME_CAT(VARIANT, hook_scale)
#define attn_hook_score RENAME_CAT(VARIANT, hook_score)
#define attn_hook_mask RENAME_CAT(VARIANT, hook_mask)
#define attn_hook_kv_ranges RENAME_CAT(VARIANT, hook_kv_ranges)
