/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared helpers of platsa's fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines one entry function `int pl_fuzz_NAME(const uint8_t *data, size_t size)`
 * and, unless PL_FUZZ_NO_MAIN is defined, libFuzzer's LLVMFuzzerTestOneInput calling it.
 * tests/test_robustness.c defines PL_FUZZ_NO_MAIN, includes every target and replays the
 * seed corpus and the saved crashes (tests/fuzz/regressions/NAME/) through the same entry
 * functions, built with gcc and without libFuzzer.
 *
 * Besides crashes (ASan/UBSan in `make fuzz` and `make test-asan`), the targets check
 * properties that must hold for any input (FUZZ_CHECK): parsed values in range, one-line
 * error messages with an exit class, finite results. A violation prints the input's name
 * and aborts. */
#ifndef PLATSA_FUZZ_COMMON_H
#define PLATSA_FUZZ_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gis/ctx.h"

/* Name of the input being replayed (set by the regression test), for messages. */
#define PL_FUZZ_FN static __attribute__((unused))

__attribute__((unused)) static const char *pl_fuzz_input_name = "(libFuzzer input)";

#define FUZZ_CHECK(cond)                                                                                      \
    do {                                                                                                      \
        if (!(cond)) {                                                                                        \
            fprintf(stderr, "fuzz property failed: %s (%s:%d) on input %s\n", #cond, __FILE__, __LINE__,      \
                    pl_fuzz_input_name);                                                                      \
            abort();                                                                                          \
        }                                                                                                     \
    } while (0)

/* A private scratch folder for the files the targets write, removed at exit. */
static char pl_fuzz_dir_path[512];

PL_FUZZ_FN void pl_fuzz_dir_remove(void)
{
    if (!pl_fuzz_dir_path[0])
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", pl_fuzz_dir_path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", pl_fuzz_dir_path);
}

PL_FUZZ_FN const char *pl_fuzz_dir(void)
{
    if (pl_fuzz_dir_path[0])
        return pl_fuzz_dir_path;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir && *tmpdir)
        base = tmpdir;
    snprintf(pl_fuzz_dir_path, sizeof pl_fuzz_dir_path, "%s/platsa-fuzz-XXXXXX", base);
    if (!mkdtemp(pl_fuzz_dir_path)) {
        fprintf(stderr, "mkdtemp %s: %s\n", pl_fuzz_dir_path, strerror(errno));
        abort();
    }
    atexit(pl_fuzz_dir_remove);
    return pl_fuzz_dir_path;
}

/* Writes data to DIR/name and returns the path (static buffer per call site is not
 * needed: callers copy or use it before the next call). */
PL_FUZZ_FN const char *pl_fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[640];
    snprintf(path, sizeof path, "%s/%s", pl_fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return path;
}

/* Splits data at '\n' into at most max NUL-terminated strings (a copy the caller frees
 * with free(*buf)); missing strings are "" unless null_missing, then NULL. Returns count. */
PL_FUZZ_FN int pl_fuzz_split(const uint8_t *data, size_t size, char **out, int max, int null_missing, char **buf)
{
    char *copy = malloc(size + 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    *buf = copy;
    int n = 0;
    char *p = copy;
    while (n < max) {
        out[n++] = p;
        char *nl = memchr(p, '\n', (size_t)(copy + size - p));
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    for (int i = n; i < max; i++)
        out[i] = null_missing ? NULL : copy + size;
    return n;
}

/* An error must be a single line with a message and an exit class. */
PL_FUZZ_FN void pl_fuzz_check_error(const pl_error *err)
{
    if (memchr(err->msg, '\0', sizeof err->msg) && (strchr(err->msg, '\n') || !err->msg[0]))
        fprintf(stderr, "error message: [%s]\n", err->msg);
    FUZZ_CHECK(err->code == PL_EINPUT || err->code == PL_EINTERNAL);
    FUZZ_CHECK(err->msg[0] != '\0');
    FUZZ_CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
    FUZZ_CHECK(strchr(err->msg, '\n') == NULL);
}

#endif
