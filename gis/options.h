/* SPDX-License-Identifier: GPL-3.0-or-later */
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

/* Range of an option's values, checked by pl_options_parse as each value is read (before any
 * work) and shown in --help. Every numeric option has one: PL_R_ANY says "any finite
 * number" on purpose; tests/test_core.c fails on a numeric option without a range. */
enum {
    PL_R_ANY = 1u << 0,        /* any finite number, deliberately */
    PL_R_MIN = 1u << 1,        /* value >= min */
    PL_R_MIN_EXCL = 1u << 2,   /* value > min */
    PL_R_MAX = 1u << 3,        /* value <= max */
    PL_R_INCREASING = 1u << 4, /* list: strictly increasing (no duplicates) */
    PL_R_OUTPUT = 1u << 5      /* string: a path platsa writes (not empty, room for temporary names,
                                  not an existing FIFO or device) */
};

typedef struct pl_range {
    unsigned flags;
    double min, max;
    int min_n, max_n;          /* list length bounds (0: none beyond PL_MAX_LIST) */
} pl_range;

#define PL_NO_RANGE {0, 0, 0, 0, 0}   /* strings and flags */
#define PL_ANY_NUMBER {PL_R_ANY, 0, 0, 0, 0}
#define PL_GE(a) {PL_R_MIN, (a), 0, 0, 0}
#define PL_GT(a) {PL_R_MIN_EXCL, (a), 0, 0, 0}
#define PL_IN(a, b) {PL_R_MIN | PL_R_MAX, (a), (b), 0, 0}
#define PL_GT_LE(a, b) {PL_R_MIN_EXCL | PL_R_MAX, (a), (b), 0, 0}
/* A list of thresholds: each > a, strictly increasing, at most n of them. */
#define PL_INCREASING_GT(a, n) {PL_R_MIN_EXCL | PL_R_INCREASING, (a), 0, 1, (n)}
/* A list of n values, each > a (any order). */
#define PL_LIST_GT(a, n) {PL_R_MIN_EXCL, (a), 0, 1, (n)}
/* Exactly n numbers, any values (coordinates). */
#define PL_TUPLE(n) {PL_R_ANY, 0, 0, (n), (n)}
#define PL_OUTPUT_PATH {PL_R_OUTPUT, 0, 0, 0, 0}

/* Longest last component of an output path: NAME_MAX less room for the writer's temporary
 * and CSV-twin names (".NAME.tmp-PID@HOST-K-TABLE.csv-old"). */
#define PL_OUTPUT_NAME_MAX 180

typedef struct pl_option {
    const char *name;        /* long name without dashes, e.g. "bands-km" */
    char short_name;         /* 0 for none */
    pl_opt_kind kind;
    size_t offset;           /* offsetof(options struct, field) */
    const char *metavar;     /* e.g. "KM,KM,..." */
    const char *default_str; /* shown in --help and applied before parsing; NULL = none */
    const char *help;
    int required;
    pl_range range;          /* numeric options (and output paths): allowed values */
} pl_option;

/* Sentinel closing every table. */
#define PL_OPT_END { NULL, 0, PL_OPT_STRING, 0, NULL, NULL, NULL, 0, {0, 0, 0, 0, 0} }

/* Is this option numeric (its values need a range)? */
int pl_option_is_numeric(const pl_option *o);

/* Checks one option's current value(s) in opts against its range; PL_OK or PL_EINPUT with
 * a message naming the flag. */
int pl_option_check(const pl_option *o, const void *opts, pl_error *err);

/* The range as shown in --help, e.g. "> 0", "0..100", "each > 0, increasing, at most 12";
 * "" when none. */
void pl_option_range_text(const pl_option *o, char *buf, size_t size);

/* Applies defaults, then parses argv[1..argc-1] (argv[0] is the command name).
 * Non-option arguments are collected in positional (pointers into argv; at most max_pos).
 * Returns PL_OK, PL_EINPUT with a one-line message, or -1 when --help was asked
 * (the caller prints help and exits 0). */
int pl_options_parse(const pl_option *table, void *opts, int argc, char **argv,
                     char **positional, int max_pos, int *n_pos, pl_error *err);

/* Sets every option that has a default to it, through the same parsing as argv (what
 * pl_options_parse does first; each command's pl_<cmd>_opts_init calls it on a zeroed struct).
 * PL_OK, or PL_EINTERNAL when a default does not parse (a bug in the table). */
int pl_options_defaults(const pl_option *table, void *opts, pl_error *err);

/* Frees lists allocated by pl_options_parse. */
void pl_options_free(const pl_option *table, void *opts);

/* --help: the plain text below, or the documentation format pl_options_help_mode set. */
void pl_options_help(FILE *out, const char *usage, const char *summary, const pl_option *table);
void pl_options_help_text(FILE *out, const char *usage, const char *summary, const pl_option *table);

/* The same table as documentation in other formats (gis/options_doc.c): Markdown (the
 * README of a command), JSON (for tools such as a QGIS Processing provider) and troff (a
 * man page). */
typedef enum { PL_HELP_TEXT, PL_HELP_MD, PL_HELP_JSON, PL_HELP_MAN } pl_help_format;

typedef struct pl_command_doc {
    const char *name;     /* "access": the man page is platsa-access(1) */
    const char *brief;    /* one line, as in `platsa --help` */
    const char *usage;
    const char *summary;  /* paragraphs; lines that start with a space are kept as laid out */
    const pl_option *table;
} pl_command_doc;

void pl_options_doc(FILE *out, pl_help_format format, const pl_command_doc *doc);

/* s as troff text (escapes, UTF-8 as \[uXXXX]), for man pages around a table's. */
void pl_options_troff(FILE *out, const char *s);

/* The CLI's documentation mode (platsa --help-md, --help-json, --help-man): while the format
 * is not PL_HELP_TEXT, pl_options_help prints pl_options_doc of that format with this name
 * and brief, so every command's own --help path gives its documentation. Process-wide. */
void pl_options_help_mode(pl_help_format format, const char *name, const char *brief);

/* Parses "5,10,20" into a list; returns PL_OK or PL_EINPUT. */
int pl_parse_doubles(const char *text, pl_doubles *out, pl_error *err);

#endif
