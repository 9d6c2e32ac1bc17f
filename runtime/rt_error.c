/* rt_error.c - status names and the thread-local last-error message. */
#include <stdarg.h>
#include <stdio.h>

#include "rt_internal.h"

static _Thread_local char rt_message[512];

attn_status rt_fail(attn_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt_message, sizeof rt_message, fmt, ap);
    va_end(ap);
    return s;
}

const char *attn_last_error(void) { return rt_message; }

const char *attn_status_name(attn_status s) {
    switch (s) {
    case ATTN_OK: return "ATTN_OK";
    case ATTN_ERR_INVALID_ARG: return "ATTN_ERR_INVALID_ARG";
    case ATTN_ERR_SHAPE: return "ATTN_ERR_SHAPE";
    case ATTN_ERR_DTYPE: return "ATTN_ERR_DTYPE";
    case ATTN_ERR_UNSUPPORTED: return "ATTN_ERR_UNSUPPORTED";
    case ATTN_ERR_NO_MEMORY: return "ATTN_ERR_NO_MEMORY";
    case ATTN_ERR_IO: return "ATTN_ERR_IO";
    case ATTN_ERR_FORMAT: return "ATTN_ERR_FORMAT";
    }
    return "ATTN_ERR_UNKNOWN";
}
