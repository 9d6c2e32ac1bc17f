/* arena.h - bump allocator owning every front-end object of one compilation.
 *
 * The front end allocates tokens, AST nodes and strings from one arena and
 * frees it in a single call, so error paths (syntax errors, abandoned parser
 * stacks) can never leak. Allocation failure aborts the process with a
 * message: the only unrecoverable condition in the compiler. */
#ifndef ATTN_ARENA_H
#define ATTN_ARENA_H

#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
    ArenaChunk *head;   /* newest chunk first */
    size_t total;       /* bytes handed out, for statistics */
} Arena;

void  arena_init(Arena *a);
void  arena_free(Arena *a);
/* Zero-initialised, 16-byte aligned storage living until arena_free. */
void *arena_alloc(Arena *a, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
/* printf into the arena. */
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Growable array of pointers in the arena (old storage is abandoned to the
 * arena on growth; total waste is bounded by the final size). */
typedef struct PtrVec {
    void **items;
    int len, cap;
} PtrVec;

void ptrvec_push(Arena *a, PtrVec *v, void *item);

#endif
