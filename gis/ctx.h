/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa core context: errors, counted warnings, logging and progress.
 *
 * Every library function takes a pl_ctx (shared state: GEOS handle, working CRS,
 * diagnostics) and reports failure through a pl_error it returns or fills in.
 * Library code never prints errors itself and never calls exit(). */
#ifndef PLATSA_GIS_CTX_H
#define PLATSA_GIS_CTX_H

#include <stdarg.h>
#include <stddef.h>
#include <geos_c.h>

#define PLATSA_VERSION "0.1.0"

/* Exit codes of the CLI, also used as error classes. */
typedef enum {
    PL_OK = 0,
    PL_EINPUT = 1,    /* bad input or usage: the user can fix it */
    PL_EINTERNAL = 2  /* a bug, out of memory, I/O failure on our side */
} pl_status;

typedef struct pl_error {
    pl_status code;
    char msg[2048];   /* one line: "FILE:LAYER: feature N: what is wrong; what to do" */
} pl_error;

/* Fills err (may be NULL) and returns code, so callers can write
 * `return pl_error_set(err, PL_EINPUT, "...")`. */
int pl_error_set(pl_error *err, pl_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pl_error_clear(pl_error *err);

/* Progress callback: fraction in [0,1] of the named stage. Return non-zero to cancel. */
typedef int (*pl_progress_fn)(double fraction, const char *stage, void *user);

/* One kind of warning, counted. The key identifies the kind (e.g. "outside-municipality"),
 * the first message is kept as an example. */
typedef struct pl_warning {
    char key[96];
    char first_msg[1024];
    long count;
} pl_warning;

typedef struct pl_ctx {
    GEOSContextHandle_t geos;
    int quiet;                 /* suppress info and progress (warnings still summarised) */
    int verbose;
    char work_crs[64];         /* e.g. "EPSG:3006" */
    pl_progress_fn progress;
    void *progress_user;
    pl_warning *warnings;      /* owned, n_warnings entries */
    size_t n_warnings, cap_warnings;
    int echo_warnings;         /* print the first warning of each kind as it happens */
} pl_ctx;

/* Creates a context with GEOS initialised and work_crs "EPSG:3006". */
pl_ctx *pl_ctx_new(void);
void pl_ctx_free(pl_ctx *ctx);
/* A context with the parent's settings (quiet, verbose, echo, working CRS), its own GEOS
 * handle and no warnings yet: for a worker thread, or to keep one step's warnings apart
 * (merge them back with pl_ctx_merge_warnings). No progress callback. */
pl_ctx *pl_ctx_new_child(const pl_ctx *parent);

/* Counted warning; key groups warnings of one kind. */
void pl_warn(pl_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds `count` warnings of one kind at once (replaying a cache's, merging another
 * context's); msg is kept as the example when the kind is new, and printed then if echo. */
void pl_warn_add(pl_ctx *ctx, const char *key, long count, const char *msg, int echo);
/* Adds every warning of `from` to `to` (a worker thread's context; already echoed there). */
void pl_ctx_merge_warnings(pl_ctx *to, const pl_ctx *from);
/* How many warnings of this kind were issued (0 if none). */
long pl_warn_count(const pl_ctx *ctx, const char *key);
/* Total of all warnings. */
long pl_warn_total(const pl_ctx *ctx);
/* Prints one line per warning kind to stderr: "warning: KEY: N times, e.g. MSG". */
void pl_warn_summary(const pl_ctx *ctx);
void pl_warn_reset(pl_ctx *ctx);

/* Informational message to stderr unless quiet. */
void pl_info(const pl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports progress; returns non-zero if the callback asked to cancel. */
int pl_progress(const pl_ctx *ctx, double fraction, const char *stage);

/* A progress callback that draws a bar on stderr when it is a terminal. */
int pl_progress_stderr(double fraction, const char *stage, void *user);

/* Memory helpers that never return NULL for a non-zero size. On exhaustion inside
 * pl_oom_guard (every public pl_<cmd>_run runs in one) they unwind to the guard, which
 * returns PL_EINTERNAL "out of memory"; outside a guard (a thread has its own), or inside
 * pl_oom_hold (worker threads running on the guarded thread's data) they abort the process as
 * before. What an unwound run leaves: the memory, GDAL/SQLite handles and GEOS objects it held
 * (leaked, not freed); its output's temporaries are removed. docs/API.md says what is covered. */
void *pl_malloc(size_t n);
void *pl_calloc(size_t count, size_t size);
void *pl_realloc(void *p, size_t n);
char *pl_strdup(const char *s);

/* Runs fn(arg) so that out-of-memory in pl_malloc & co on this thread returns PL_EINTERNAL
 * (message "out of memory allocating N bytes ...") instead of aborting; on_unwind (may be
 * NULL) then removes what must not stay (temporary files). Nests. */
typedef int (*pl_guarded_fn)(void *arg);
int pl_oom_guard(pl_guarded_fn fn, void *arg, void (*on_unwind)(void), pl_error *err);
/* Between hold and release, exhaustion aborts even inside a guard: worker threads are running
 * on data of the guarded thread's stack, which unwinding would pull from under them. Nests
 * (deeper than PL_OOM_MAX_HOLDS, every hold aborts). */
void pl_oom_hold(void);
/* The same, for workers that need nothing from this thread to finish: on exhaustion here,
 * wait(arg) stops and joins them (no allocation), then the run unwinds. */
void pl_oom_hold_wait(void (*wait)(void *arg), void *arg);
void pl_oom_release(void);
/* part(arg, 0) on this thread and part(arg, 1) on a second thread when threads > 1 and one
 * can be started, else after part 0; out of memory on this thread while the second one works
 * waits for it, then unwinds (pl_oom_hold_wait). 1 when part 1 ran on a second thread. */
int pl_run_two(void (*part)(void *arg, int p), void *arg, int threads);
#define PL_OOM_MAX_HOLDS 8
/* Testing: the n-th next allocation inside a guard on this thread fails (0: none). */
void pl_alloc_fail_after(long n);
/* Testing: the n-th next allocation inside a guard on another thread than this one (worker
 * threads with guards of their own) fails (0: none). */
void pl_alloc_fail_on_workers_after(long n);

#endif
