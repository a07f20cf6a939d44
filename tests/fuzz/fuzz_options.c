/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: command-line option parsing (gis/options.c) with the option tables of
 * `platsa access`, `platsa classify` and `platsa population`. The input is split at '\n'
 * into argv[1..] (argv[0] is the command name); each argument is also parsed as a number
 * list (pl_parse_doubles). Checks: errors are one line with an exit class; a parsed
 * options struct has every required option; number lists are finite and within bounds. */
#include <math.h>

#include "fuzz_common.h"
#include "analyses/access/access.h"
#include "analyses/classify/classify.h"
#include "analyses/population/population.h"

#define OP_MAX_ARGS 48

/* Big enough for any command's options struct. */
typedef union op_opts {
    pl_access_opts access;
    pl_classify_opts classify;
    pl_population_opts population;
    char bytes[8192];
} op_opts;

static void op_check_lists(const pl_option *table, const void *opts)
{
    for (const pl_option *o = table; o->name; o++) {
        const char *field = (const char *)opts + o->offset;
        if (o->kind == PL_OPT_DOUBLES) {
            const pl_doubles *d = (const pl_doubles *)field;
            FUZZ_CHECK(d->n >= 0 && d->n <= PL_MAX_LIST);
            for (int i = 0; i < d->n; i++)
                FUZZ_CHECK(isfinite(d->v[i]));
        } else if (o->kind == PL_OPT_STRINGS) {
            const pl_strings *s = (const pl_strings *)field;
            FUZZ_CHECK(s->n >= 0 && s->n <= PL_MAX_LIST);
            for (int i = 0; i < s->n; i++)
                FUZZ_CHECK(s->v[i] != NULL);
        } else if (o->kind == PL_OPT_DOUBLE) {
            FUZZ_CHECK(isfinite(*(const double *)field));
        } else if (o->kind == PL_OPT_FLAG) {
            int v = *(const int *)field;
            FUZZ_CHECK(v == 0 || v == 1);
        }
    }
}

static void op_parse(const pl_option *table, const char *command, char **args, int n_args)
{
    char *argv[OP_MAX_ARGS + 1];
    argv[0] = (char *)command;
    for (int i = 0; i < n_args; i++)
        argv[i + 1] = args[i];
    op_opts opts;
    memset(&opts, 0, sizeof opts);
    char *pos[4];
    int n_pos = -1;
    pl_error err = {0};
    int rc = pl_options_parse(table, &opts, n_args + 1, argv, pos, 2, &n_pos, &err);
    FUZZ_CHECK(rc == PL_OK || rc == PL_EINPUT || rc == -1);
    FUZZ_CHECK(n_pos >= 0 && n_pos <= 2);
    if (rc == PL_EINPUT) {
        pl_fuzz_check_error(&err);
        /* "--bands-km: 'x' is not ...", never the option name twice (an overlapping copy). */
        if (strncmp(err.msg, "--", 2) == 0) {
            const char *colon = strstr(err.msg, ": ");
            if (colon) {
                size_t prefix = (size_t)(colon + 2 - err.msg);
                FUZZ_CHECK(strncmp(colon + 2, err.msg, prefix) != 0);
            }
        }
    } else if (rc == PL_OK) {
        op_check_lists(table, &opts);
        for (const pl_option *o = table; o->name; o++)
            if (o->required && o->kind == PL_OPT_STRING)
                FUZZ_CHECK(*(char *const *)((const char *)&opts + o->offset) != NULL);
    }
    pl_options_free(table, &opts);
}

int pl_fuzz_options(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *args[OP_MAX_ARGS], *buf;
    int n = pl_fuzz_split(data, size, args, OP_MAX_ARGS, 0, &buf);
    if (size == 0)
        n = 0;
    op_parse(pl_access_options, "access", args, n);
    op_parse(pl_classify_options, "classify", args, n);
    op_parse(pl_population_options, "population", args, n);
    for (int i = 0; i < n; i++) {
        pl_doubles d;
        pl_error err = {0};
        if (pl_parse_doubles(args[i], &d, &err) == PL_OK) {
            FUZZ_CHECK(d.n >= 1 && d.n <= PL_MAX_LIST);
            for (int k = 0; k < d.n; k++)
                FUZZ_CHECK(isfinite(d.v[k]));
        } else {
            pl_fuzz_check_error(&err);
        }
    }
    free(buf);
    return 0;
}

#ifndef PL_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return pl_fuzz_options(data, size);
}
#endif
