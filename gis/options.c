/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const pl_option *find_long(const pl_option *t, const char *name, size_t len)
{
    for (; t->name; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

static const pl_option *find_short(const pl_option *t, char c)
{
    for (; t->name; t++)
        if (t->short_name == c)
            return t;
    return NULL;
}

int pl_parse_doubles(const char *text, pl_doubles *out, pl_error *err)
{
    out->n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || (*end && *end != ','))
            return pl_error_set(err, PL_EINPUT, "'%s' is not a comma-separated list of numbers", text);
        if (out->n == PL_MAX_LIST)
            return pl_error_set(err, PL_EINPUT, "'%s': at most %d values", text, PL_MAX_LIST);
        out->v[out->n++] = v;
        p = *end ? end + 1 : end;
    }
    if (out->n == 0)
        return pl_error_set(err, PL_EINPUT, "empty list of numbers");
    return PL_OK;
}

static int add_strings(pl_strings *list, const char *text, pl_error *err)
{
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (list->n == PL_MAX_LIST)
            return pl_error_set(err, PL_EINPUT, "'%s': at most %d values", text, PL_MAX_LIST);
        char *s = pl_malloc(len + 1);
        memcpy(s, p, len);
        s[len] = '\0';
        list->v[list->n++] = s;
        p += len + (comma ? 1 : 0);
    }
    return PL_OK;
}

static int set_value(const pl_option *o, void *opts, const char *value, pl_error *err)
{
    char *field = (char *)opts + o->offset;
    char *end;
    switch (o->kind) {
    case PL_OPT_STRING:
        *(const char **)field = value;
        return PL_OK;
    case PL_OPT_INT: {
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end || (errno && errno != ERANGE))
            return pl_error_set(err, PL_EINPUT, "--%s: '%s' is not a whole number", o->name, value);
        if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
            return pl_error_set(err, PL_EINPUT, "--%s: %s is too large", o->name, value);
        *(int *)field = (int)v;
        return PL_OK;
    }
    case PL_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v))
            return pl_error_set(err, PL_EINPUT, "--%s: '%s' is not a number", o->name, value);
        *(double *)field = v;
        return PL_OK;
    }
    case PL_OPT_FLAG:
        *(int *)field = 1;
        return PL_OK;
    case PL_OPT_DOUBLES: {
        /* The list's own message is copied first: err->msg cannot be both source and target. */
        pl_error list_err = {0};
        if (pl_parse_doubles(value, (pl_doubles *)field, &list_err) != PL_OK)
            return pl_error_set(err, PL_EINPUT, "--%s: %s", o->name, list_err.msg);
        return PL_OK;
    }
    case PL_OPT_STRINGS: {
        pl_error list_err = {0};
        if (add_strings((pl_strings *)field, value, &list_err) != PL_OK)
            return pl_error_set(err, PL_EINPUT, "--%s: %s", o->name, list_err.msg);
        return PL_OK;
    }
    }
    return pl_error_set(err, PL_EINTERNAL, "unknown option kind");
}

int pl_option_is_numeric(const pl_option *o)
{
    return o->kind == PL_OPT_INT || o->kind == PL_OPT_DOUBLE || o->kind == PL_OPT_DOUBLES;
}

/* "> 0", ">= 1", "0..100", "> 0, <= 1"; "" for PL_R_ANY. */
static void bounds_text(const pl_range *r, char *buf, size_t size)
{
    int lo = (r->flags & (PL_R_MIN | PL_R_MIN_EXCL)) != 0, hi = (r->flags & PL_R_MAX) != 0;
    if (lo && hi && (r->flags & PL_R_MIN))
        snprintf(buf, size, "%g..%g", r->min, r->max);
    else if (lo && hi)
        snprintf(buf, size, "> %g, <= %g", r->min, r->max);
    else if (lo)
        snprintf(buf, size, "%s %g", (r->flags & PL_R_MIN_EXCL) ? ">" : ">=", r->min);
    else if (hi)
        snprintf(buf, size, "<= %g", r->max);
    else
        buf[0] = '\0';
}

void pl_option_range_text(const pl_option *o, char *buf, size_t size)
{
    const pl_range *r = &o->range;
    char b[96];
    bounds_text(r, b, sizeof b);
    if (o->kind != PL_OPT_DOUBLES) {
        snprintf(buf, size, "%s", pl_option_is_numeric(o) ? b : "");
        return;
    }
    if (r->min_n && r->min_n == r->max_n) {
        snprintf(buf, size, "%d numbers%s%s", r->min_n, b[0] ? ", each " : "", b);
        return;
    }
    int used = snprintf(buf, size, "%s%s", b[0] ? "each " : "", b);
    if (used >= 0 && (size_t)used < size && (r->flags & PL_R_INCREASING))
        used += snprintf(buf + used, size - (size_t)used, "%sincreasing", used ? ", " : "");
    if (used >= 0 && (size_t)used < size && r->max_n)
        snprintf(buf + used, size - (size_t)used, "%sat most %d", used ? ", " : "", r->max_n);
}

static int in_bounds(const pl_range *r, double v)
{
    if ((r->flags & PL_R_MIN) && !(v >= r->min))
        return 0;
    if ((r->flags & PL_R_MIN_EXCL) && !(v > r->min))
        return 0;
    if ((r->flags & PL_R_MAX) && !(v <= r->max))
        return 0;
    return isfinite(v);
}

/* An output path that the writer can turn into temporaries and CSV twins beside it. */
static int check_output_path(const pl_option *o, const char *path, pl_error *err)
{
    if (!path)
        return PL_OK;
    if (!*path)
        return pl_error_set(err, PL_EINPUT, "--%s: empty file name; give the output's name", o->name);
    size_t len = strlen(path);
    if (len > PATH_MAX - 64)
        return pl_error_set(err, PL_EINPUT, "--%s: the path is %zu characters long; at most %d", o->name, len,
                            PATH_MAX - 64);
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, "/");
        int last = p[n] == '\0' || strspn(p + n, "/") == strlen(p + n);
        size_t limit = last ? PL_OUTPUT_NAME_MAX : NAME_MAX;
        if (n > limit)
            return pl_error_set(err, PL_EINPUT, "--%s: the name '%.24s...' is %zu characters long; at most %zu%s",
                                o->name, p, n, limit, last ? " for an output (room for its temporary names)" : "");
        p += n;
        p += strspn(p, "/");
    }
    /* Replacing a FIFO or a device by rename (or writing into one) is never what was meant. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "--%s %s: it exists and is not a regular file (a FIFO, device or "
                            "socket); give a file name", o->name, path);
    return PL_OK;
}

int pl_option_check(const pl_option *o, const void *opts, pl_error *err)
{
    const pl_range *r = &o->range;
    const char *field = (const char *)opts + o->offset;
    char bt[96], b[104];
    bounds_text(r, bt, sizeof bt);
    snprintf(b, sizeof b, "%s%s", (r->flags & PL_R_MIN) && (r->flags & PL_R_MAX) ? "within " : "", bt);
    switch (o->kind) {
    case PL_OPT_STRING:
        return (r->flags & PL_R_OUTPUT) ? check_output_path(o, *(const char *const *)field, err) : PL_OK;
    case PL_OPT_INT: {
        int v = *(const int *)field;
        if (!in_bounds(r, v))
            return pl_error_set(err, PL_EINPUT, "--%s %d: must be %s", o->name, v, b);
        return PL_OK;
    }
    case PL_OPT_DOUBLE: {
        double v = *(const double *)field;
        if (!in_bounds(r, v))
            return pl_error_set(err, PL_EINPUT, "--%s %g: must be %s", o->name, v, b);
        return PL_OK;
    }
    case PL_OPT_DOUBLES: {
        const pl_doubles *l = (const pl_doubles *)field;
        if (r->min_n && r->min_n == r->max_n && l->n != r->min_n)
            return pl_error_set(err, PL_EINPUT, "--%s: give %d numbers separated by commas (got %d)", o->name,
                                r->min_n, l->n);
        if (r->max_n && l->n > r->max_n)
            return pl_error_set(err, PL_EINPUT, "--%s: at most %d values (got %d)", o->name, r->max_n, l->n);
        if (r->min_n && l->n < r->min_n)
            return pl_error_set(err, PL_EINPUT, "--%s: give at least %d value%s", o->name, r->min_n,
                                r->min_n == 1 ? "" : "s");
        for (int i = 0; i < l->n; i++) {
            if (!in_bounds(r, l->v[i]))
                return pl_error_set(err, PL_EINPUT, "--%s: %g: each value must be %s", o->name, l->v[i], b);
            if ((r->flags & PL_R_INCREASING) && i > 0 && !(l->v[i] > l->v[i - 1]))
                return l->v[i] == l->v[i - 1]
                           ? pl_error_set(err, PL_EINPUT, "--%s: %g is given twice; give each value once, "
                                          "in increasing order", o->name, l->v[i])
                           : pl_error_set(err, PL_EINPUT, "--%s: %g after %g: give the values in increasing order",
                                          o->name, l->v[i], l->v[i - 1]);
        }
        return PL_OK;
    }
    case PL_OPT_FLAG:
    case PL_OPT_STRINGS:
        return PL_OK;
    }
    return PL_OK;
}

/* A list option's default replaces what the list held: applying the defaults twice (opts_init,
 * then pl_options_parse) gives the same as once. */
int pl_options_defaults(const pl_option *t, void *opts, pl_error *err)
{
    for (; t->name; t++) {
        if (!t->default_str || t->kind == PL_OPT_FLAG)
            continue;
        if (t->kind == PL_OPT_STRINGS) {
            pl_strings *l = (pl_strings *)((char *)opts + t->offset);
            for (int i = 0; i < l->n; i++)
                free(l->v[i]);
            l->n = 0;
        }
        if (set_value(t, opts, t->default_str, err) != PL_OK)
            return PL_EINTERNAL;
    }
    return PL_OK;
}

static void clear_lists(const pl_option *t, void *opts)
{
    for (; t->name; t++)
        if (t->kind == PL_OPT_STRINGS) {
            pl_strings *l = (pl_strings *)((char *)opts + t->offset);
            for (int i = 0; i < l->n; i++)
                free(l->v[i]);
            l->n = 0;
        }
}

int pl_options_parse(const pl_option *table, void *opts, int argc, char **argv,
                     char **positional, int max_pos, int *n_pos, pl_error *err)
{
    *n_pos = 0;
    if (pl_options_defaults(table, opts, err) != PL_OK)
        return PL_EINTERNAL;
    /* A list option given on the command line replaces its default instead of appending. */
    unsigned char given[256] = {0};
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (*n_pos >= max_pos)
                return pl_error_set(err, PL_EINPUT, "unexpected argument '%s'; see --help", arg);
            positional[(*n_pos)++] = argv[i];
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return -1;
        const pl_option *o;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            o = find_long(table, name, eq ? (size_t)(eq - name) : strlen(name));
            if (eq)
                value = eq + 1;
        } else {
            o = arg[2] == '\0' ? find_short(table, arg[1]) : NULL;
        }
        if (!o)
            return pl_error_set(err, PL_EINPUT, "unknown option '%s'; see --help", arg);
        size_t idx = (size_t)(o - table);
        if (o->kind == PL_OPT_FLAG) {
            if (value)
                return pl_error_set(err, PL_EINPUT, "option --%s takes no value", o->name);
        } else if (!value) {
            if (i + 1 >= argc)
                return pl_error_set(err, PL_EINPUT, "option --%s needs a value (%s)", o->name,
                                    o->metavar ? o->metavar : "VALUE");
            value = argv[++i];
        }
        if (o->kind == PL_OPT_STRINGS && idx < sizeof given && !given[idx]) {
            pl_strings *l = (pl_strings *)((char *)opts + o->offset);
            for (int k = 0; k < l->n; k++)
                free(l->v[k]);
            l->n = 0;
        }
        if (idx < sizeof given)
            given[idx] = 1;
        int rc = set_value(o, opts, value, err);
        if (rc == PL_OK)
            rc = pl_option_check(o, opts, err);
        if (rc != PL_OK)
            return rc;
    }
    for (const pl_option *o = table; o->name; o++)
        if (o->required && !given[o - table] && !o->default_str)
            return pl_error_set(err, PL_EINPUT, "option --%s is required; see --help", o->name);
    return PL_OK;
}

void pl_options_free(const pl_option *table, void *opts)
{
    clear_lists(table, opts);
}

static struct {
    pl_help_format format;
    const char *name, *brief;
} help_mode;

void pl_options_help_mode(pl_help_format format, const char *name, const char *brief)
{
    help_mode.format = format;
    help_mode.name = name;
    help_mode.brief = brief;
}

void pl_options_help(FILE *out, const char *usage, const char *summary, const pl_option *table)
{
    if (help_mode.format != PL_HELP_TEXT) {
        pl_command_doc doc = {help_mode.name, help_mode.brief, usage, summary, table};
        pl_options_doc(out, help_mode.format, &doc);
        return;
    }
    pl_options_help_text(out, usage, summary, table);
}

void pl_options_help_text(FILE *out, const char *usage, const char *summary, const pl_option *table)
{
    fprintf(out, "usage: %s\n\n%s\n\noptions:\n", usage, summary);
    for (const pl_option *o = table; o->name; o++) {
        char left[80];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                     o->kind == PL_OPT_FLAG ? "" : " ", o->kind == PL_OPT_FLAG ? "" : (o->metavar ? o->metavar : "VALUE"));
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name,
                     o->kind == PL_OPT_FLAG ? "" : " ", o->kind == PL_OPT_FLAG ? "" : (o->metavar ? o->metavar : "VALUE"));
        fprintf(out, "  %-30s %s", left, o->help ? o->help : "");
        char range[128];
        pl_option_range_text(o, range, sizeof range);
        if (range[0])
            fprintf(out, " (%s)", range);
        if (o->required)
            fprintf(out, " (required)");
        if (o->default_str && o->kind != PL_OPT_FLAG)
            fprintf(out, " [default: %s]", o->default_str);
        fputc('\n', out);
    }
    fprintf(out, "  %-30s %s\n", "-h, --help", "show this help");
}
