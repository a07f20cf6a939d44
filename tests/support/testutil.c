/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "gis/roads.h"

const char *real_data(const char *relative)
{
    static char path[4096];
    /* The tests run from the repository root; the compiled-in source folder is the fallback. */
    struct stat st;
    const char *root = stat("tests/data", &st) == 0 ? "." : PLATSA_SOURCE_DIR;
    snprintf(path, sizeof path, "%s/tests/data/%s", root, relative);
    return path;
}

const char *scratch_dir(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "build/test-tmp/%s", name);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0)
        fprintf(stderr, "scratch_dir: could not make %s\n", path);
    return path;
}

int run_cmd(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char *write_text_file(const char *dir, const char *name, const char *text)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

void assert_same_roads(const pl_roads *a, const pl_roads *b)
{
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->first_vertex, b->first_vertex, (a->n + 1) * sizeof *a->first_vertex);
    size_t nv = a->first_vertex[a->n];
    assert_memory_equal(a->vx, b->vx, nv * sizeof *a->vx);
    assert_memory_equal(a->vy, b->vy, nv * sizeof *a->vy);
    assert_memory_equal(a->id, b->id, a->n * sizeof *a->id);
    assert_memory_equal(a->road_class, b->road_class, a->n);
    assert_memory_equal(a->speed_kmh, b->speed_kmh, a->n * sizeof *a->speed_kmh);
    assert_memory_equal(a->oneway, b->oneway, a->n);
    assert_memory_equal(a->flags, b->flags, a->n);
    assert_memory_equal(a->layer, b->layer, a->n);
    assert_int_equal(a->node_source != NULL, b->node_source != NULL);
    if (a->node_source) {
        assert_memory_equal(a->node_source, b->node_source, a->n * sizeof *a->node_source);
        assert_memory_equal(a->node_target, b->node_target, a->n * sizeof *a->node_target);
    }
    assert_string_equal(a->source, b->source);
}
