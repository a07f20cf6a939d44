/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ctx.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Messages are one line whatever the data they quote: control characters (a newline or a
 * terminal escape inside a quoted field value) become spaces. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

int pl_error_set(pl_error *err, pl_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        one_line(err->msg);
        err->code = code;
    }
    return (int)code;
}

void pl_error_clear(pl_error *err)
{
    if (err) {
        err->code = PL_OK;
        err->msg[0] = '\0';
    }
}

static void geos_message(const char *fmt, ...)
{
    /* GEOS notices are noisy for invalid inputs we repair ourselves; drop them. */
    (void)fmt;
}

pl_ctx *pl_ctx_new(void)
{
    pl_ctx *ctx = pl_calloc(1, sizeof *ctx);
    ctx->geos = GEOS_init_r();
    GEOSContext_setNoticeHandler_r(ctx->geos, geos_message);
    GEOSContext_setErrorHandler_r(ctx->geos, geos_message);
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:3006");
    ctx->echo_warnings = 0;
    return ctx;
}

pl_ctx *pl_ctx_new_child(const pl_ctx *parent)
{
    pl_ctx *c = pl_ctx_new();
    c->quiet = parent->quiet;
    c->verbose = parent->verbose;
    c->echo_warnings = parent->echo_warnings;
    memcpy(c->work_crs, parent->work_crs, sizeof c->work_crs);
    return c;
}

void pl_ctx_free(pl_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->geos)
        GEOS_finish_r(ctx->geos);
    free(ctx->warnings);
    free(ctx);
}

static pl_warning *warning_slot(pl_ctx *ctx, const char *key)
{
    for (size_t i = 0; i < ctx->n_warnings; i++)
        if (strcmp(ctx->warnings[i].key, key) == 0)
            return &ctx->warnings[i];
    if (ctx->n_warnings == ctx->cap_warnings) {
        ctx->cap_warnings = ctx->cap_warnings ? 2 * ctx->cap_warnings : 16;
        ctx->warnings = pl_realloc(ctx->warnings, ctx->cap_warnings * sizeof *ctx->warnings);
    }
    pl_warning *w = &ctx->warnings[ctx->n_warnings++];
    memset(w, 0, sizeof *w);
    snprintf(w->key, sizeof w->key, "%s", key);
    return w;
}

void pl_warn(pl_ctx *ctx, const char *key, const char *fmt, ...)
{
    pl_warning *w = warning_slot(ctx, key);
    if (w->count++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->first_msg, sizeof w->first_msg, fmt, ap);
        va_end(ap);
        one_line(w->first_msg);
        if (ctx->echo_warnings && !ctx->quiet)
            fprintf(stderr, "warning: %s\n", w->first_msg);
    }
}

void pl_warn_add(pl_ctx *ctx, const char *key, long count, const char *msg, int echo)
{
    if (count <= 0)
        return;
    pl_warning *w = warning_slot(ctx, key);
    if (w->count == 0) {
        snprintf(w->first_msg, sizeof w->first_msg, "%s", msg ? msg : "");
        one_line(w->first_msg);
        if (echo && ctx->echo_warnings && !ctx->quiet)
            fprintf(stderr, "warning: %s\n", w->first_msg);
    }
    w->count += count;
}

void pl_ctx_merge_warnings(pl_ctx *to, const pl_ctx *from)
{
    for (size_t i = 0; from && i < from->n_warnings; i++)
        pl_warn_add(to, from->warnings[i].key, from->warnings[i].count, from->warnings[i].first_msg, 0);
}

long pl_warn_count(const pl_ctx *ctx, const char *key)
{
    for (size_t i = 0; i < ctx->n_warnings; i++)
        if (strcmp(ctx->warnings[i].key, key) == 0)
            return ctx->warnings[i].count;
    return 0;
}

long pl_warn_total(const pl_ctx *ctx)
{
    long total = 0;
    for (size_t i = 0; i < ctx->n_warnings; i++)
        total += ctx->warnings[i].count;
    return total;
}

void pl_warn_summary(const pl_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_warnings; i++) {
        const pl_warning *w = &ctx->warnings[i];
        if (w->count == 1)
            fprintf(stderr, "warning: %s\n", w->first_msg);
        else
            fprintf(stderr, "warning: %s: %ld times, e.g. %s\n", w->key, w->count, w->first_msg);
    }
}

void pl_warn_reset(pl_ctx *ctx)
{
    ctx->n_warnings = 0;
}

void pl_info(const pl_ctx *ctx, const char *fmt, ...)
{
    if (ctx && ctx->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int pl_progress(const pl_ctx *ctx, double fraction, const char *stage)
{
    if (!ctx || !ctx->progress)
        return 0;
    return ctx->progress(fraction, stage, ctx->progress_user);
}

int pl_progress_stderr(double fraction, const char *stage, void *user)
{
    (void)user;
    static int last_pct = -1;
    static const char *last_stage = NULL;
    if (!isatty(STDERR_FILENO))
        return 0;
    int pct = (int)(fraction * 100.0 + 0.5);
    if (pct == last_pct && stage == last_stage)
        return 0;
    last_pct = pct;
    last_stage = stage;
    int filled = pct / 4;
    fprintf(stderr, "\r%-28.28s [%.*s%*s] %3d%%", stage, filled,
            "=========================", 25 - filled, "", pct);
    if (pct >= 100)
        fputc('\n', stderr);
    fflush(stderr);
    return 0;
}

/* The innermost pl_oom_guard of this thread, and its holds (see ctx.h). */
typedef struct oom_frame {
    jmp_buf jump;
    size_t bytes;
    int base;                  /* holds taken before the guard: unwinding leaves them alone */
    struct oom_frame *prev;
} oom_frame;
typedef struct oom_hold {
    void (*wait)(void *arg);   /* NULL: the workers cannot be waited for; abort */
    void *arg;
} oom_hold;
static _Thread_local oom_frame *oom_top;
static _Thread_local oom_hold oom_holds[PL_OOM_MAX_HOLDS];
static _Thread_local int oom_n_holds;
static _Thread_local int oom_overflow;  /* holds beyond PL_OOM_MAX_HOLDS: cannot wait, abort */
static _Thread_local long fail_countdown;

/* Can exhaustion here unwind to a guard: one is there, and every hold taken since can wait? */
static int can_unwind(void)
{
    if (!oom_top || oom_overflow)
        return 0;
    for (int i = oom_top->base; i < oom_n_holds; i++)
        if (!oom_holds[i].wait)
            return 0;
    return 1;
}

static void out_of_memory(size_t n)
{
    if (can_unwind()) {
        for (int i = oom_n_holds - 1; i >= oom_top->base; i--)  /* the innermost workers first */
            oom_holds[i].wait(oom_holds[i].arg);
        oom_n_holds = oom_top->base;
        oom_top->bytes = n;
        longjmp(oom_top->jump, 1);
    }
    fprintf(stderr, "platsa: out of memory allocating %zu bytes\n", n);
    abort();
}

static long fail_countdown_workers;  /* pl_alloc_fail_on_workers_after (atomic builtins) */
static _Thread_local int fail_setter;

/* Testing hook: a pretend exhaustion where one could unwind (never where it would abort). */
static int injected_failure(void)
{
    if (fail_countdown > 0 && can_unwind() && --fail_countdown == 0)
        return 1;
    return !fail_setter && __atomic_load_n(&fail_countdown_workers, __ATOMIC_RELAXED) > 0 && can_unwind() &&
           __atomic_fetch_sub(&fail_countdown_workers, 1, __ATOMIC_RELAXED) == 1;
}

void pl_alloc_fail_after(long n) { fail_countdown = n; }
void pl_alloc_fail_on_workers_after(long n)
{
    fail_setter = 1;
    __atomic_store_n(&fail_countdown_workers, n, __ATOMIC_RELAXED);
}

void pl_oom_hold_wait(void (*wait)(void *arg), void *arg)
{
    if (oom_n_holds >= PL_OOM_MAX_HOLDS)
        oom_overflow++;
    else
        oom_holds[oom_n_holds++] = (oom_hold){wait, arg};
}

void pl_oom_hold(void) { pl_oom_hold_wait(NULL, NULL); }

void pl_oom_release(void)
{
    if (oom_overflow)
        oom_overflow--;
    else
        oom_n_holds--;
}

typedef struct second_part {
    void (*part)(void *arg, int p);
    void *arg;
    pthread_t t;
    int started;
} second_part;

static void *second_part_main(void *v)
{
    second_part *w = v;
    w->part(w->arg, 1);
    return NULL;
}

static void join_second_part(void *v)
{
    second_part *w = v;
    if (w->started)
        pthread_join(w->t, NULL);
    w->started = 0;
}

int pl_run_two(void (*part)(void *arg, int p), void *arg, int threads)
{
    second_part w = {.part = part, .arg = arg, .started = 0};
    pl_oom_hold_wait(join_second_part, &w);  /* the second thread works on arg, on the caller's stack */
    w.started = threads > 1 && pthread_create(&w.t, NULL, second_part_main, &w) == 0;
    int started = w.started;
    part(arg, 0);
    join_second_part(&w);
    pl_oom_release();
    if (!started)
        part(arg, 1);
    return started;
}

int pl_oom_guard(pl_guarded_fn fn, void *arg, void (*on_unwind)(void), pl_error *err)
{
    oom_frame f;
    f.prev = oom_top;
    f.bytes = 0;
    f.base = oom_n_holds;
    if (setjmp(f.jump)) {
        oom_top = f.prev;
        fail_countdown = 0;
        if (on_unwind)
            on_unwind();
        return pl_error_set(err, PL_EINTERNAL, "out of memory allocating %zu bytes; free memory or use a "
                            "smaller input (this run's memory and open files were not released)", f.bytes);
    }
    oom_top = &f;
    int rc = fn(arg);
    oom_top = f.prev;
    return rc;
}

/* Asks for transparent huge pages on a big block (glibc maps it on its own): its 2 MiB
 * ranges then fault in once each instead of 512 times, which on virtual machines is most
 * of the cost of touching fresh memory (see gis/hugepages.h). */
static void *advise_huge(void *p, size_t n)
{
    const uintptr_t page = 4096;
    if (p && n >= ((size_t)4 << 20)) {
        uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
        madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
    return p;
}

void *pl_malloc(size_t n)
{
    void *p = injected_failure() ? NULL : malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return advise_huge(p, n);
}

void *pl_calloc(size_t count, size_t size)
{
    void *p = injected_failure() ? NULL : calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return advise_huge(p, count * size);
}

void *pl_realloc(void *old, size_t n)
{
    void *p = injected_failure() ? NULL : realloc(old, n ? n : 1);
    if (!p)
        out_of_memory(n);
    return advise_huge(p, n);
}

char *pl_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = pl_malloc(n);
    memcpy(p, s, n);
    return p;
}
