/* rt_pool.c - a pool of persistent worker threads.
 *
 * A launch publishes a job (function, argument, item order, item count)
 * under the pool's lock and bumps `generation`; every worker wakes, the
 * participating ones take item indices from the shared atomic counter
 * `next` until it runs past the end, and the last worker to finish wakes
 * the launching thread. The launching thread does not run items itself: the
 * kernels keep their tiles on the stack, and workers get a known stack size. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt_internal.h"

#define RT_POOL_MAX_THREADS 1024
#define RT_POOL_STACK_BYTES (8u << 20)

struct attn_pool {
    pthread_t *threads;
    int32_t nthreads;
    pthread_mutex_t launch; /* serializes rt_pool_run */
    pthread_mutex_t lock;   /* guards the fields below */
    pthread_cond_t wake, done;
    uint64_t generation;
    int shutdown;
    int32_t running; /* workers that have not finished the current job */
    rt_task_fn fn;
    void *arg;
    const int64_t *order;
    int64_t nitems;
    int32_t max_workers;
    _Atomic int64_t next;
};

typedef struct rt_worker_start {
    attn_pool *pool;
    int32_t index;
} rt_worker_start;

static void rt_pool_work(attn_pool *p) {
    for (;;) {
        int64_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (i >= p->nitems)
            return;
        p->fn(p->arg, p->order ? p->order[i] : i);
    }
}

static void *rt_pool_worker(void *arg) {
    rt_worker_start *start = arg;
    attn_pool *p = start->pool;
    int32_t index = start->index;
    free(start);
    pthread_mutex_lock(&p->lock);
    uint64_t seen = 0; /* the generation when the pool was created */
    for (;;) {
        while (!p->shutdown && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->shutdown)
            break;
        seen = p->generation;
        if (index < p->max_workers) {
            pthread_mutex_unlock(&p->lock);
            rt_pool_work(p);
            pthread_mutex_lock(&p->lock);
        }
        if (--p->running == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int32_t rt_pool_default_threads(int32_t n) {
    if (n <= 0) {
        const char *env = getenv("ATTN_NUM_THREADS");
        char *end = NULL;
        long v = env ? strtol(env, &end, 10) : 0;
        if (env && end != env && *end == '\0' && v > 0)
            n = v > RT_POOL_MAX_THREADS ? RT_POOL_MAX_THREADS : (int32_t)v;
    }
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (int32_t)(cpus > RT_POOL_MAX_THREADS ? RT_POOL_MAX_THREADS : cpus) : 1;
    }
    return n > RT_POOL_MAX_THREADS ? RT_POOL_MAX_THREADS : n;
}

/* Stops and joins the first `started` workers, then frees the pool. */
static void rt_pool_teardown(attn_pool *p, int32_t started) {
    pthread_mutex_lock(&p->lock);
    p->shutdown = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int32_t i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->launch);
    free(p->threads);
    free(p);
}

attn_status attn_pool_create(int32_t nthreads, attn_pool **out) {
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_pool_create: out is NULL");
    *out = NULL;
    attn_pool *p = calloc(1, sizeof *p);
    int32_t n = rt_pool_default_threads(nthreads);
    if (!p || !(p->threads = calloc((size_t)n, sizeof *p->threads))) {
        free(p);
        return rt_fail(ATTN_ERR_NO_MEMORY, "thread pool: out of memory");
    }
    pthread_mutex_init(&p->launch, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, RT_POOL_STACK_BYTES);
    int32_t started = 0;
    for (; started < n; started++) {
        rt_worker_start *s = malloc(sizeof *s);
        if (!s)
            break;
        s->pool = p;
        s->index = started;
        if (pthread_create(&p->threads[started], &attr, rt_pool_worker, s) != 0) {
            free(s);
            break;
        }
    }
    pthread_attr_destroy(&attr);
    if (started < n) {
        rt_pool_teardown(p, started);
        return rt_fail(ATTN_ERR_NO_MEMORY, "thread pool: could only start %d of %d threads",
                       (int)started, (int)n);
    }
    p->nthreads = n;
    *out = p;
    return ATTN_OK;
}

void attn_pool_destroy(attn_pool *pool) {
    if (pool)
        rt_pool_teardown(pool, pool->nthreads);
}

int32_t attn_pool_size(const attn_pool *pool) { return pool ? pool->nthreads : 0; }

static attn_pool *rt_shared_pool;
static attn_status rt_shared_status;
static pthread_once_t rt_shared_once = PTHREAD_ONCE_INIT;

static void rt_make_shared_pool(void) { rt_shared_status = attn_pool_create(0, &rt_shared_pool); }

attn_pool *rt_default_pool(void) {
    pthread_once(&rt_shared_once, rt_make_shared_pool);
    if (!rt_shared_pool)
        rt_fail(rt_shared_status, "could not start the default thread pool");
    return rt_shared_pool;
}

void rt_pool_run(attn_pool *p, int32_t max_workers, int64_t nitems, const int64_t *order,
                 rt_task_fn fn, void *arg) {
    if (nitems <= 0)
        return;
    pthread_mutex_lock(&p->launch);
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->order = order;
    p->nitems = nitems;
    p->max_workers = max_workers <= 0 || max_workers > p->nthreads ? p->nthreads : max_workers;
    atomic_store(&p->next, 0);
    p->running = p->nthreads;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    while (p->running > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->launch);
}
