/* Option tables: each command declares its options once; the same table parses
 * argv into the command's options struct and prints --help (as GRASS modules do). */
#ifndef PLATSA_GIS_OPTIONS_H
#define PLATSA_GIS_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include "ctx.h"

typedef enum {
    PL_OPT_STRING,      /* char *            (points into argv, not copied) */
    PL_OPT_INT,         /* int               */
    PL_OPT_DOUBLE,      /* double            */
    PL_OPT_FLAG,        /* int, set to 1     */
    PL_OPT_DOUBLES,     /* pl_doubles: comma-separated list of numbers */
    PL_OPT_STRINGS      /* pl_strings: repeatable and/or comma-separated list */
} pl_opt_kind;

#define PL_MAX_LIST 32

typedef struct pl_doubles {
    int n;
    double v[PL_MAX_LIST];
} pl_doubles;

typedef struct pl_strings {
    int n;
    char *v[PL_MAX_LIST];   /* owned copies */
} pl_strings;

typedef struct pl_option {
    const char *name;        /* long name without dashes, e.g. "bands-km" */
    char short_name;         /* 0 for none */
    pl_opt_kind kind;
    size_t offset;           /* offsetof(options struct, field) */
    const char *metavar;     /* e.g. "KM,KM,..." */
    const char *default_str; /* shown in --help and applied before parsing; NULL = none */
    const char *help;
    int required;
} pl_option;

/* Sentinel closing every table. */
#define PL_OPT_END { NULL, 0, PL_OPT_STRING, 0, NULL, NULL, NULL, 0 }

/* Applies defaults, then parses argv[1..argc-1] (argv[0] is the command name).
 * Non-option arguments are collected in positional (pointers into argv; at most max_pos).
 * Returns PL_OK, PL_EINPUT with a one-line message, or -1 when --help was asked
 * (the caller prints help and exits 0). */
int pl_options_parse(const pl_option *table, void *opts, int argc, char **argv,
                     char **positional, int max_pos, int *n_pos, pl_error *err);

/* Frees lists allocated by pl_options_parse. */
void pl_options_free(const pl_option *table, void *opts);

void pl_options_help(FILE *out, const char *usage, const char *summary, const pl_option *table);

/* Parses "5,10,20" into a list; returns PL_OK or PL_EINPUT. */
int pl_parse_doubles(const char *text, pl_doubles *out, pl_error *err);

#endif
