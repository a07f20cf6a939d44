/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service types as data: share/service_types.ini, read with libinih, plus a user's file. */
#include "service_types.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/share.h"
#include "gis/vector.h"

/* ---------- normalisation ---------- */

void pl_service_value_normalize(const char *in, char *out, size_t size)
{
    if (size == 0)
        return;
    size_t o = 0;
    int pending_space = 0;
    const unsigned char *p = (const unsigned char *)(in ? in : "");
    while (*p && o + 3 < size) {
        unsigned char c = *p;
        if (c == '_' || c == '-' || c == ',' || isspace(c)) {
            pending_space = o > 0;
            p++;
            continue;
        }
        if (pending_space) {
            out[o++] = ' ';
            pending_space = 0;
        }
        if (c < 0x80) {
            out[o++] = (char)tolower(c);
            p++;
        } else if (c == 0xC3 && p[1]) {
            /* Latin-1 supplement capitals C3 80..C3 9E (except C3 97, ×) -> lower case +0x20. */
            unsigned char d = p[1];
            if (d >= 0x80 && d <= 0x9E && d != 0x97)
                d = (unsigned char)(d + 0x20);
            out[o++] = (char)c;
            out[o++] = (char)d;
            p += 2;
        } else {
            out[o++] = (char)c;
            p++;
        }
    }
    out[o] = '\0';
}

/* ---------- list helpers ---------- */

/* Appends the comma-separated items of text (normalised unless raw_lower) to *list,
 * ';'-separated. */
static void list_append(char **list, const char *text, int osm)
{
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[256], norm[256];
        snprintf(item, sizeof item, "%.*s", (int)(len < 255 ? len : 255), p);
        if (osm) {
            /* "key=value": trim and lower-case only; keys like fuel:h2 keep their punctuation. */
            size_t k = 0;
            for (const char *s = item; *s; s++)
                if (!isspace((unsigned char)*s))
                    norm[k++] = (char)tolower((unsigned char)*s);
            norm[k] = '\0';
        } else {
            pl_service_value_normalize(item, norm, sizeof norm);
        }
        if (norm[0]) {
            size_t old = *list ? strlen(*list) : 0;
            *list = pl_realloc(*list, old + strlen(norm) + 2);
            if (old)
                (*list)[old++] = ';';
            strcpy(*list + old, norm);
        }
        p += len + (comma ? 1 : 0);
    }
}

static int list_contains(const char *list, const char *norm)
{
    if (!list || !*norm)
        return 0;
    size_t n = strlen(norm);
    const char *p = list;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (len == n && memcmp(p, norm, n) == 0)
            return 1;
        if (!semi)
            break;
        p = semi + 1;
    }
    return 0;
}

/* 0, -1 (not an increasing list of positive numbers) or -2 (more than PL_MAX_BANDS). */
static int parse_bands(const char *text, double *out, int *n)
{
    int k = 0;
    const char *p = text;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || v <= 0)
            return -1;
        if (k == PL_MAX_BANDS)
            return -2;
        if (k > 0 && v <= out[k - 1])
            return -1;
        out[k++] = v;
        while (isspace((unsigned char)*end))
            end++;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        p = end;
    }
    if (k == 0)
        return -1;
    *n = k;
    return 0;
}

/* ---------- parsing ---------- */

typedef struct parse_state {
    pl_service_types *t;
    char *includes_raw[PL_MAX_TYPES];      /* unresolved includes text per type */
    double def_km[PL_MAX_BANDS], def_min[PL_MAX_BANDS];
    int n_def_km, n_def_min;
    char last_section[64], last_name[64];  /* for indented continuation lines */
    char msg[1024];                        /* first handler error (line added by caller) */
} parse_state;

static int valid_key(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(((pl_service_type *)0)->key))
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int find_or_add(parse_state *st, const char *key)
{
    int i = pl_service_types_find(st->t, key);
    if (i >= 0)
        return i;
    if (st->t->n == PL_MAX_TYPES)
        return -1;
    i = st->t->n++;
    pl_service_type *ty = &st->t->t[i];
    memset(ty, 0, sizeof *ty);
    snprintf(ty->key, sizeof ty->key, "%s", key);
    ty->rsp = 0;
    return i;
}

static int fail(parse_state *st, const char *fmt, const char *a, const char *b)
{
    if (!st->msg[0])
        snprintf(st->msg, sizeof st->msg, fmt, a, b);
    return 0;
}

/* A bands line parse_bands refused (rc != 0): the message in st; returns 1 when refused. */
static int bands_failed(parse_state *st, const char *key, const char *value, const char *section, int rc)
{
    if (rc == 0)
        return 0;
    if (!st->msg[0]) {
        char where[300] = "";
        if (section[0])
            snprintf(where, sizeof where, " in [%.280s]", section);
        if (rc == -2)
            snprintf(st->msg, sizeof st->msg, "%s%s: at most %d bands; give fewer thresholds", key, where,
                     PL_MAX_BANDS);
        else
            snprintf(st->msg, sizeof st->msg, "%s '%.200s'%s is not an increasing list of positive numbers", key,
                     value, where);
    }
    return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_state *st = user;
    /* inih calls again with the same name for an indented continuation line. */
    int continuation = strcmp(section, st->last_section) == 0 && strcmp(name, st->last_name) == 0;
    snprintf(st->last_section, sizeof st->last_section, "%s", section);
    snprintf(st->last_name, sizeof st->last_name, "%s", name);

    if (!*section)
        return fail(st, "'%s' comes before any [type] section; start with [key]%s", name, "");
    if (strcmp(section, "defaults") == 0) {
        if (strcmp(name, "bands_km") == 0) {
            if (bands_failed(st, "bands_km", value, "", parse_bands(value, st->def_km, &st->n_def_km)))
                return 0;
            return 1;
        }
        if (strcmp(name, "bands_min") == 0) {
            if (bands_failed(st, "bands_min", value, "", parse_bands(value, st->def_min, &st->n_def_min)))
                return 0;
            return 1;
        }
        return fail(st, "unknown key '%s' in [defaults]; keys there are bands_km, bands_min%s", name, "");
    }
    if (!valid_key(section))
        return fail(st, "[%s] is not a valid type key; use lower-case letters, digits and '_'%s", section, "");
    int i = find_or_add(st, section);
    if (i < 0)
        return fail(st, "[%s]: too many service types (at most 64)%s", section, "");
    pl_service_type *ty = &st->t->t[i];

    if (strcmp(name, "label_sv") == 0) {
        snprintf(ty->label_sv, sizeof ty->label_sv, "%s", value);
    } else if (strcmp(name, "label_en") == 0) {
        snprintf(ty->label_en, sizeof ty->label_en, "%s", value);
    } else if (strcmp(name, "values") == 0 || strcmp(name, "add_values") == 0) {
        if (strcmp(name, "values") == 0 && !continuation) {
            free(ty->values);
            ty->values = NULL;
        }
        list_append(&ty->values, value, 0);
    } else if (strcmp(name, "osm") == 0 || strcmp(name, "add_osm") == 0) {
        if (strcmp(name, "osm") == 0 && !continuation) {
            free(ty->osm);
            ty->osm = NULL;
        }
        for (const char *p = value; *p;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (!memchr(p, '=', len) && strspn(p, " \t") < len)
                return fail(st, "osm selector '%s' in [%s] is not key=value", value, section);
            p += len + (comma ? 1 : 0);
        }
        list_append(&ty->osm, value, 1);
    } else if (strcmp(name, "includes") == 0) {
        if (continuation && st->includes_raw[i]) {
            size_t old = strlen(st->includes_raw[i]);
            st->includes_raw[i] = pl_realloc(st->includes_raw[i], old + strlen(value) + 2);
            st->includes_raw[i][old] = ',';
            strcpy(st->includes_raw[i] + old + 1, value);
        } else {
            free(st->includes_raw[i]);
            st->includes_raw[i] = pl_strdup(value);
        }
    } else if (strcmp(name, "bands_km") == 0) {
        if (bands_failed(st, "bands_km", value, section, parse_bands(value, ty->bands_km, &ty->n_bands_km)))
            return 0;
    } else if (strcmp(name, "bands_min") == 0) {
        if (bands_failed(st, "bands_min", value, section, parse_bands(value, ty->bands_min, &ty->n_bands_min)))
            return 0;
    } else if (strcmp(name, "rsp") == 0) {
        if (!strcmp(value, "1") || !strcasecmp(value, "yes") || !strcasecmp(value, "true"))
            ty->rsp = 1;
        else if (!strcmp(value, "0") || !strcasecmp(value, "no") || !strcasecmp(value, "false"))
            ty->rsp = 0;
        else
            return fail(st, "rsp '%s' in [%s] must be 1 or 0", value, section);
    } else {
        return fail(st, "unknown key '%s' in [%s]; keys are label_sv, label_en, values, add_values, osm, "
                        "add_osm, includes, bands_km, bands_min, rsp", name, section);
    }
    return 1;
}

static int parse_file(parse_state *st, const char *path, pl_error *err)
{
    if (pl_input_text_file_check(path, "service types", err) != PL_OK)
        return err->code;
    st->msg[0] = '\0';
    st->last_section[0] = st->last_name[0] = '\0';
    /* Lines of any length: a heap line buffer that grows (Debian's inih exposes these). */
    bool old_stack = ini_use_stack, old_realloc = ini_allow_realloc;
    int old_max = ini_max_line;
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = 1 << 16;
    int rc = ini_parse(path, handler, st);
    ini_use_stack = old_stack;
    ini_allow_realloc = old_realloc;
    ini_max_line = old_max;
    if (rc == -1)
        return pl_error_set(err, PL_EINPUT, "%s: cannot open the service types file (%s); check the path", path,
                            strerror(errno));
    if (rc == -2)
        return pl_error_set(err, PL_EINTERNAL, "%s: out of memory reading service types", path);
    if (rc > 0) {
        if (st->msg[0])
            return pl_error_set(err, PL_EINPUT, "%s:%d: %s", path, rc, st->msg);
        return pl_error_set(err, PL_EINPUT, "%s:%d: cannot parse the line; expected [type] or key = value", path, rc);
    }
    return PL_OK;
}

static int resolve(parse_state *st, const char *files, pl_error *err)
{
    pl_service_types *t = st->t;
    for (int i = 0; i < t->n; i++) {
        pl_service_type *ty = &t->t[i];
        if (!ty->label_en[0])
            snprintf(ty->label_en, sizeof ty->label_en, "%s", ty->key);
        if (!ty->label_sv[0])
            snprintf(ty->label_sv, sizeof ty->label_sv, "%s", ty->label_en);
        if (ty->n_bands_km == 0) {
            memcpy(ty->bands_km, st->def_km, sizeof ty->bands_km);
            ty->n_bands_km = st->n_def_km;
        }
        if (ty->n_bands_min == 0) {
            memcpy(ty->bands_min, st->def_min, sizeof ty->bands_min);
            ty->n_bands_min = st->n_def_min;
        }
        ty->n_includes = 0;
        if (!st->includes_raw[i])
            continue;
        const char *p = st->includes_raw[i];
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(len < 63 ? len : 63), p);
            char *s = key, *e = key + strlen(key);
            while (isspace((unsigned char)*s))
                s++;
            while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
            p += len + (comma ? 1 : 0);
            if (!*s)
                continue;
            int j = pl_service_types_find(t, s);
            if (j < 0)
                return pl_error_set(err, PL_EINPUT, "%s: [%s] includes '%s', which is not a type; define [%s] or "
                                    "remove it", files, ty->key, s, s);
            if (j == i || st->includes_raw[j])
                return pl_error_set(err, PL_EINPUT, "%s: [%s] includes '%s', which is a group; groups cannot "
                                    "include groups, list its types instead", files, ty->key, s);
            if (ty->n_includes == PL_MAX_INCLUDES)
                return pl_error_set(err, PL_EINPUT, "%s: [%s] includes more than %d types", files, ty->key,
                                    PL_MAX_INCLUDES);
            ty->includes[ty->n_includes++] = j;
        }
        if (ty->n_includes == 0)
            return pl_error_set(err, PL_EINPUT, "%s: [%s] has an empty includes list", files, ty->key);
        if (ty->values && *ty->values)
            return pl_error_set(err, PL_EINPUT, "%s: [%s] is a group (includes) and also has values; move "
                                "the values to one of its types", files, ty->key);
    }
    /* A value (or OSM selector) must select one type only. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < t->n; i++) {
            const char *list = pass ? t->t[i].osm : t->t[i].values;
            if (!list)
                continue;
            const char *p = list;
            while (*p) {
                const char *semi = strchr(p, ';');
                size_t len = semi ? (size_t)(semi - p) : strlen(p);
                char item[256];
                snprintf(item, sizeof item, "%.*s", (int)(len < 255 ? len : 255), p);
                for (int j = i + 1; j < t->n; j++)
                    if (list_contains(pass ? t->t[j].osm : t->t[j].values, item))
                        return pl_error_set(err, PL_EINPUT, "%s: %s '%s' is listed under both [%s] and [%s]; "
                                            "a value can select one type only, remove one", files,
                                            pass ? "osm selector" : "value", item, t->t[i].key, t->t[j].key);
                if (!semi)
                    break;
                p = semi + 1;
            }
        }
    return PL_OK;
}

pl_service_types *pl_service_types_load_from(pl_ctx *ctx, const char *base, const char *extra, pl_error *err)
{
    (void)ctx;
    char shipped[4096];
    if (!base)
        base = pl_share_path(shipped, sizeof shipped, "service_types.ini");
    parse_state st;
    memset(&st, 0, sizeof st);
    st.t = pl_calloc(1, sizeof *st.t);
    static const double km[] = {5, 10, 20, 30}, mins[] = {10, 20, 30, 45};
    memcpy(st.def_km, km, sizeof km);
    memcpy(st.def_min, mins, sizeof mins);
    st.n_def_km = st.n_def_min = 4;
    char files[8300];
    snprintf(files, sizeof files, "%s%s%s", base, extra ? " + " : "", extra ? extra : "");
    int rc = parse_file(&st, base, err);
    if (rc == PL_OK && extra)
        rc = parse_file(&st, extra, err);
    if (rc == PL_OK)
        rc = resolve(&st, files, err);
    for (int i = 0; i < PL_MAX_TYPES; i++)
        free(st.includes_raw[i]);
    if (rc != PL_OK) {
        pl_service_types_free(st.t);
        return NULL;
    }
    if (st.t->n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: no service types defined; add [key] sections", files);
        pl_service_types_free(st.t);
        return NULL;
    }
    return st.t;
}

pl_service_types *pl_service_types_load(pl_ctx *ctx, const char *extra, pl_error *err)
{
    return pl_service_types_load_from(ctx, NULL, extra, err);
}

void pl_service_types_free(pl_service_types *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n; i++) {
        free(t->t[i].values);
        free(t->t[i].osm);
    }
    free(t);
}

int pl_service_types_find(const pl_service_types *t, const char *key)
{
    if (!t || !key)
        return -1;
    for (int i = 0; i < t->n; i++)
        if (strcasecmp(t->t[i].key, key) == 0)
            return i;
    return -1;
}

int pl_service_types_match_value(const pl_service_types *t, const char *value)
{
    if (!t || !value)
        return -1;
    char norm[256];
    pl_service_value_normalize(value, norm, sizeof norm);
    if (!norm[0])
        return -1;
    for (int i = 0; i < t->n; i++)
        if (t->t[i].n_includes == 0 && list_contains(t->t[i].values, norm))
            return i;
    /* A type's own key is always a valid value (platsa's own outputs, e.g. import-osm, write keys). */
    for (int i = 0; i < t->n; i++) {
        char key[64];
        pl_service_value_normalize(t->t[i].key, key, sizeof key);
        if (t->t[i].n_includes == 0 && strcmp(key, norm) == 0)
            return i;
    }
    return -1;
}

int pl_service_types_match_tag(const pl_service_types *t, const char *key, const char *value)
{
    if (!t || !key || !value)
        return -1;
    char sel[256];
    size_t k = 0;
    for (const char *s = key; *s && k < 120; s++)
        if (!isspace((unsigned char)*s))
            sel[k++] = (char)tolower((unsigned char)*s);
    sel[k++] = '=';
    for (const char *s = value; *s && k < sizeof sel - 1; s++)
        if (!isspace((unsigned char)*s))
            sel[k++] = (char)tolower((unsigned char)*s);
    sel[k] = '\0';
    for (int i = 0; i < t->n; i++)
        if (t->t[i].n_includes == 0 && list_contains(t->t[i].osm, sel))
            return i;
    return -1;
}

int pl_service_types_is_group(const pl_service_types *t, int type)
{
    return t && type >= 0 && type < t->n && t->t[type].n_includes > 0;
}

int pl_service_types_counts_for(const pl_service_types *t, int query, int type)
{
    if (!t || query < 0 || query >= t->n || type < 0)
        return 0;
    if (query == type)
        return 1;
    const pl_service_type *q = &t->t[query];
    for (int i = 0; i < q->n_includes; i++)
        if (q->includes[i] == type)
            return 1;
    return 0;
}

static void print_bands(FILE *out, const double *b, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%g", i ? "," : "", b[i]);
}

void pl_service_types_print(const pl_service_types *t, FILE *out)
{
    for (int i = 0; i < t->n; i++) {
        const pl_service_type *ty = &t->t[i];
        fprintf(out, "%-16s %s / %s%s\n", ty->key, ty->label_sv, ty->label_en, ty->rsp ? " [RSP]" : "");
        if (ty->n_includes) {
            fprintf(out, "%16s includes:", "");
            for (int k = 0; k < ty->n_includes; k++)
                fprintf(out, "%s %s", k ? "," : "", t->t[ty->includes[k]].key);
            fputc('\n', out);
        }
        const char *lists[2] = {ty->values, ty->osm}, *names[2] = {"values", "osm"};
        for (int k = 0; k < 2; k++) {
            if (!lists[k])
                continue;
            fprintf(out, "%16s %s: ", "", names[k]);
            for (const char *c = lists[k]; *c; c++)
                if (*c == ';')
                    fputs(", ", out);
                else
                    fputc(*c, out);
            fputc('\n', out);
        }
        fprintf(out, "%16s bands km: ", "");
        print_bands(out, ty->bands_km, ty->n_bands_km);
        fprintf(out, "; minutes: ");
        print_bands(out, ty->bands_min, ty->n_bands_min);
        fputc('\n', out);
    }
}
