/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTFS feeds into one service day's timetable (see gtfs.h for what is read and how).
 *
 * Per feed: stops, routes, calendar, trips, frequencies, stop_times (only rows of trips that
 * run on the date or the day before are kept), transfers. Then every running trip becomes
 * one or more trip instances (frequencies, previous day), and the instances are grouped
 * into patterns. Files are read through GDAL's VSI, so "/vsizip/FEED.zip/stops.txt" and a
 * folder's "FEED/stops.txt" are read by the same code. */
#include "gtfs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <xxhash.h>

#define NONE UINT32_MAX
#define DAY 86400

/* ---------- growable arrays ---------- */

#define GROW(arr, n, cap)                                                       \
    do {                                                                        \
        if ((n) >= (cap)) {                                                     \
            (cap) = (cap) ? (cap) * 2 : 16;                                     \
            (arr) = pl_realloc((arr), (cap) * sizeof *(arr));                   \
        }                                                                       \
    } while (0)

/* ---------- string -> index map (keys are borrowed) ---------- */

typedef struct idmap {
    const char **keys;
    uint64_t *hashes;          /* compared before the strings: fewer cache misses */
    uint32_t *vals;
    size_t cap, n;
} idmap;

static uint64_t hash_str(const char *s) { return XXH3_64bits(s, strlen(s)); }

static void idmap_free(idmap *m)
{
    free(m->keys);
    free(m->hashes);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static uint32_t idmap_get(const idmap *m, const char *key)
{
    if (!m->cap) return NONE;
    uint64_t h = hash_str(key);
    size_t i = h & (m->cap - 1);
    while (m->keys[i]) {
        if (m->hashes[i] == h && strcmp(m->keys[i], key) == 0) return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NONE;
}

static void idmap_grow(idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    idmap g = {pl_calloc(cap, sizeof *g.keys), pl_calloc(cap, sizeof *g.hashes), pl_calloc(cap, sizeof *g.vals), cap, 0};
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = m->hashes[i] & (g.cap - 1);
        while (g.keys[j]) j = (j + 1) & (g.cap - 1);
        g.keys[j] = m->keys[i];
        g.hashes[j] = m->hashes[i];
        g.vals[j] = m->vals[i];
        g.n++;
    }
    idmap_free(m);
    *m = g;
}

/* Inserts key -> val; returns the existing value (and changes nothing) when key is there. */
static uint32_t idmap_put(idmap *m, const char *key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap) idmap_grow(m);
    uint64_t h = hash_str(key);
    size_t i = h & (m->cap - 1);
    while (m->keys[i]) {
        if (m->hashes[i] == h && strcmp(m->keys[i], key) == 0) return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->hashes[i] = h;
    m->vals[i] = val;
    m->n++;
    return NONE;
}

/* ---------- CSV reader (RFC 4180 as GTFS uses it) ---------- */

/* Quoted fields may hold commas, quotes ("") and line breaks; lines end in LF, CRLF or CR;
 * a UTF-8 BOM is skipped; unquoted fields are trimmed of spaces and tabs; blank lines are
 * skipped; columns are found by header name, extra ones ignored. */
typedef struct csv {
    VSILFILE *f;
    const char *feed, *name;   /* for messages: "FEED:NAME: line N" */
    char buf[1 << 16];
    size_t bpos, blen;
    int eof;
    char *rec;                 /* fields, each NUL-terminated, at off[i] */
    size_t rlen, rcap;
    size_t *off;
    size_t nf, fcap;
    long line, next_line;      /* physical line of the record; of the next one */
    char **hdr;
    size_t nh;
} csv;

static int csv_getc(csv *c)
{
    if (c->bpos == c->blen) {
        if (c->eof) return EOF;
        c->blen = VSIFReadL(c->buf, 1, sizeof c->buf, c->f);
        c->bpos = 0;
        if (c->blen == 0) {
            c->eof = 1;
            return EOF;
        }
    }
    return (unsigned char)c->buf[c->bpos++];
}

static void csv_put(csv *c, char ch)
{
    GROW(c->rec, c->rlen, c->rcap);
    c->rec[c->rlen++] = ch;
}

/* Fills err; returns -1, which the reading loops (1 = a record, 0 = the end) stop at;
 * load_feed turns it into PL_EINPUT. */
static int csv_error(csv *c, pl_error *err, const char *what)
{
    pl_error_set(err, PL_EINPUT, "%s:%s: line %ld: %s", c->feed, c->name, c->line, what);
    return -1;
}

/* Reads one record: 1, or 0 at the end, or -1 (unterminated quote; err filled). */
static int csv_next(csv *c, pl_error *err)
{
    for (;;) {
        c->rlen = 0;
        c->nf = 0;
        c->line = c->next_line;
        int ch = csv_getc(c);
        if (ch == EOF) return 0;
        for (;;) {
            GROW(c->off, c->nf, c->fcap);
            c->off[c->nf++] = c->rlen;
            int quoted = 0;
            if (ch == '"') {
                quoted = 1;
                for (;;) {
                    ch = csv_getc(c);
                    if (ch == EOF)
                        return csv_error(c, err, "a quoted field is not closed (\" missing); fix the quoting");
                    if (ch == '"') {
                        ch = csv_getc(c);
                        if (ch != '"') break;
                    } else if (ch == '\n') {
                        c->next_line++;
                    }
                    csv_put(c, (char)ch);
                }
            }
            size_t start = c->off[c->nf - 1];
            while (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF) {
                csv_put(c, (char)ch);
                ch = csv_getc(c);
            }
            if (!quoted) {
                size_t b = start, e = c->rlen;
                while (b < e && (c->rec[b] == ' ' || c->rec[b] == '\t')) b++;
                while (e > b && (c->rec[e - 1] == ' ' || c->rec[e - 1] == '\t')) e--;
                memmove(c->rec + start, c->rec + b, e - b);
                c->rlen = start + (e - b);
            }
            csv_put(c, '\0');
            if (ch == ',') {
                ch = csv_getc(c);
                continue;
            }
            if (ch == '\r') {
                ch = csv_getc(c);
                if (ch != '\n' && ch != EOF) c->bpos--; /* a lone CR ends the line too */
            }
            c->next_line++;
            break;
        }
        if (c->nf == 1 && c->rec[0] == '\0') continue; /* blank line */
        return 1;
    }
}

static const char *csv_field(const csv *c, int col)
{
    return (col >= 0 && (size_t)col < c->nf) ? c->rec + c->off[col] : "";
}

static int csv_col(const csv *c, const char *name)
{
    for (size_t i = 0; i < c->nh; i++)
        if (strcmp(c->hdr[i], name) == 0) return (int)i;
    return -1;
}

static void csv_close(csv *c)
{
    if (c->f) VSIFCloseL(c->f);
    free(c->rec);
    free(c->off);
    for (size_t i = 0; i < c->nh; i++) free(c->hdr[i]);
    free(c->hdr);
    free(c);
}

/* Opens base+name and reads its header. *out NULL (and 0) when the file is absent and not
 * required. */
static int csv_open(const char *base, const char *feed, const char *name, int required, csv **out, pl_error *err)
{
    *out = NULL;
    char path[8192];
    snprintf(path, sizeof path, "%s%s", base, name);
    VSILFILE *f = VSIFOpenL(path, "rb");
    if (!f) {
        if (!required) return 0;
        return pl_error_set(err, PL_EINPUT,
                            "%s: %s is missing; a GTFS feed needs stops.txt, routes.txt, trips.txt, stop_times.txt "
                            "and calendar.txt or calendar_dates.txt",
                            feed, name);
    }
    csv *c = pl_calloc(1, sizeof *c);
    c->f = f;
    c->feed = feed;
    c->name = name;
    c->next_line = 1;
    /* UTF-8 byte order mark */
    int b0 = csv_getc(c);
    if (b0 == 0xEF && c->blen >= 3 && (unsigned char)c->buf[1] == 0xBB && (unsigned char)c->buf[2] == 0xBF)
        c->bpos = 3;
    else if (b0 != EOF)
        c->bpos = 0;
    int rc = csv_next(c, err);
    if (rc < 0) {
        csv_close(c);
        return PL_EINPUT;
    }
    if (rc == 0 && !required) { /* an empty optional file (some feeds ship an empty transfers.txt) */
        csv_close(c);
        return 0;
    }
    if (rc == 0) {
        c->line = 1;
        csv_error(c, err, "the file is empty (no header line); give the GTFS header, e.g. from the feed's publisher");
        csv_close(c);
        return PL_EINPUT;
    }
    c->nh = c->nf;
    c->hdr = pl_malloc(c->nh * sizeof *c->hdr);
    for (size_t i = 0; i < c->nh; i++) c->hdr[i] = pl_strdup(csv_field(c, (int)i));
    *out = c;
    return 0;
}

/* Column index, or PL_EINPUT with the message when a required column is absent. */
static int csv_need(csv *c, const char *name, int *col, pl_error *err)
{
    *col = csv_col(c, name);
    if (*col >= 0) return 0;
    return pl_error_set(err, PL_EINPUT, "%s:%s: line 1: column '%s' is missing; add it (GTFS requires it)", c->feed,
                        c->name, name);
}

/* ---------- values ---------- */

long pl_gtfs_parse_time(const char *s)
{
    const char *p = s;
    long h = 0;
    int nd = 0;
    while (isdigit((unsigned char)*p) && nd < 4) h = h * 10 + (*p++ - '0'), nd++;
    if (nd == 0 || *p++ != ':') return -1;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != ':') return -1;
    long m = (p[0] - '0') * 10 + (p[1] - '0');
    p += 3;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0') return -1;
    long sec = (p[0] - '0') * 10 + (p[1] - '0');
    if (m > 59 || sec > 59) return -1;
    return h * 3600 + m * 60 + sec;
}

int pl_gtfs_basic_route_type(int t)
{
    switch (t) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 11: case 12:
        return t;
    default:
        break;
    }
    if (t >= 100 && t < 200) return 2;    /* railway */
    if (t >= 200 && t < 300) return 3;    /* coach */
    if (t >= 300 && t < 400) return 2;    /* suburban railway (old table) */
    if (t == 405) return 12;              /* monorail */
    if (t >= 400 && t < 700) return 1;    /* urban railway, metro, underground */
    if (t == 800) return 11;              /* trolleybus */
    if (t >= 700 && t < 900) return 3;    /* bus, trolleybus */
    if (t >= 900 && t < 1000) return 0;   /* tram */
    if (t >= 1000 && t < 1100) return 4;  /* water transport */
    if (t >= 1200 && t < 1300) return 4;  /* ferry */
    if (t >= 1300 && t < 1400) return 6;  /* aerial lift */
    if (t >= 1400 && t < 1500) return 7;  /* funicular */
    if (t >= 1500 && t < 1600) return 3;  /* taxi: shared/communal taxis run like buses */
    if (t >= 1700 && t < 1800) return 3;  /* miscellaneous (1702 horse carriage): by road */
    return -1;                            /* 1100 air, 1600 self drive, unknown */
}

/* "YYYYMMDD" (GTFS) or "YYYY-MM-DD" (platsa's --date) -> days since 1970-01-01; 0 on success. */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_date(const char *s, int dashed, long *days)
{
    int n = (int)strlen(s);
    if (n != (dashed ? 10 : 8)) return -1;
    long v[3] = {0, 0, 0};
    int widths[3] = {4, 2, 2}, pos = 0;
    for (int k = 0; k < 3; k++) {
        if (dashed && k > 0 && s[pos++] != '-') return -1;
        for (int i = 0; i < widths[k]; i++, pos++) {
            if (!isdigit((unsigned char)s[pos])) return -1;
            v[k] = v[k] * 10 + (s[pos] - '0');
        }
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1]) return -1;
    long dd = days_from_civil(v[0], v[1], v[2]);
    if (v[1] == 2 && v[2] == 29 && days_from_civil(v[0], 3, 1) - dd != 1) return -1;
    *days = dd;
    return 0;
}

static void format_date(long days, char out[11])
{
    /* civil_from_days */
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    unsigned yy = (unsigned)(y % 10000 + 10000) % 10000, mm = (unsigned)m % 100, dd = (unsigned)d % 100;
    snprintf(out, 11, "%04u-%02u-%02u", yy, mm, dd);
}

/* 0 = Monday. */
static int weekday(long days) { return (int)(((days + 3) % 7 + 7) % 7); }

static double haversine_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371008.8, k = M_PI / 180;
    double dlat = (lat2 - lat1) * k, dlon = (lon2 - lon1) * k;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * k) * cos(lat2 * k) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1.0, sqrt(a)));
}

static int parse_number(const char *s, double *out)
{
    if (!*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, long *out)
{
    if (!*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

/* ---------- one feed ---------- */

enum { RUN_TODAY = 1, RUN_YESTERDAY = 2 };

typedef struct st_row {
    uint32_t trip, seq, stop;  /* feed trip, stop_sequence, feed stop (NONE: unknown or skipped) */
    int32_t arr, dep;          /* -1 when empty */
    double dist;               /* shape_dist_traveled, NAN when empty */
    uint8_t flags;             /* bit 0 no pick-up, bit 1 no drop-off */
} st_row;

typedef struct freq {
    uint32_t trip;
    int32_t start, end, headway;
} freq;

typedef struct feed {
    const char *path;          /* as given: the name in messages */
    char base[4096];           /* "/vsizip/PATH/" or "PATH/" */
    char prefix[256];          /* for ids when feeds share them */
    /* stops */
    size_t n_stops, cap_stops;
    char **stop_id, **stop_name;
    double *lat, *lon;         /* NAN when unusable */
    int8_t *loc;
    char **parent_id;
    uint32_t *gstop;           /* global stop, or NONE */
    long *stop_line;
    idmap stops;
    /* routes */
    size_t n_routes, cap_routes;
    char **route_id, **route_name;
    int32_t *route_type;
    idmap routes;
    /* services */
    size_t n_services, cap_services;
    char **service_id;
    uint8_t *svc_run;
    idmap services;
    long date_min, date_max;   /* the feed's service dates (days), date_min > date_max when none */
    /* trips */
    size_t n_trips, cap_trips;
    char **trip_id;
    uint32_t *trip_route;
    uint8_t *trip_run;
    uint8_t *trip_has_times;
    uint8_t *stop_used;        /* some stop_times row calls there */
    idmap trips;
    /* frequencies, sorted by trip */
    freq *freqs;
    size_t n_freqs, cap_freqs;
    /* stop_times of running trips */
    st_row *rows;
    size_t n_rows, cap_rows;
    /* transfers (global stops) */
} feed;

static void feed_free(feed *f)
{
    for (size_t i = 0; i < f->n_stops; i++) {
        free(f->stop_id[i]);
        free(f->stop_name[i]);
        free(f->parent_id[i]);
    }
    free(f->stop_id); free(f->stop_name); free(f->parent_id); free(f->lat); free(f->lon); free(f->loc);
    free(f->gstop); free(f->stop_line); free(f->stop_used);
    idmap_free(&f->stops);
    for (size_t i = 0; i < f->n_routes; i++) {
        free(f->route_id[i]);
        free(f->route_name[i]);
    }
    free(f->route_id); free(f->route_name); free(f->route_type);
    idmap_free(&f->routes);
    for (size_t i = 0; i < f->n_services; i++) free(f->service_id[i]);
    free(f->service_id); free(f->svc_run);
    idmap_free(&f->services);
    for (size_t i = 0; i < f->n_trips; i++) free(f->trip_id[i]);
    free(f->trip_id); free(f->trip_route); free(f->trip_run); free(f->trip_has_times);
    idmap_free(&f->trips);
    free(f->freqs);
    free(f->rows);
}

/* ---------- the whole load ---------- */

typedef struct gstop { uint32_t feed, local; } gstop;

typedef struct inst {          /* one trip as it runs on the date */
    uint32_t route;            /* global route */
    uint32_t n;                /* stops */
    size_t off;                /* into the pools */
    char *id;
    uint32_t order;
} inst;

typedef struct xfer { uint32_t from, to; int32_t s; } xfer;

typedef struct loader {
    pl_ctx *ctx;
    pl_gtfs_stats st;
    long today, yesterday;
    int previous_day;
    feed *feeds;
    size_t n_feeds;
    gstop *stops;
    size_t n_stops, cap_stops;
    uint32_t *route_base;      /* global route index of each feed's first route */
    inst *insts;
    size_t n_insts, cap_insts;
    uint32_t *p_stop;
    uint8_t *p_flags;
    int32_t *p_arr, *p_dep;
    size_t n_pool, cap_pool;
    xfer *xfers;
    size_t n_xfers, cap_xfers;
} loader;

static uint32_t add_gstop(loader *L, uint32_t fi, uint32_t local)
{
    GROW(L->stops, L->n_stops, L->cap_stops);
    L->stops[L->n_stops] = (gstop){fi, local};
    L->feeds[fi].gstop[local] = (uint32_t)L->n_stops;
    return (uint32_t)L->n_stops++;
}

static void warn_dup(loader *L, feed *f, const char *file, long line, const char *kind, const char *id)
{
    pl_warn(L->ctx, "gtfs-duplicate-id", "%s:%s: line %ld: %s '%s' given again; the first one is kept", f->path, file,
            line, kind, id);
}

static int read_stops(loader *L, uint32_t fi, pl_error *err)
{
    feed *f = &L->feeds[fi];
    csv *c;
    int rc = csv_open(f->base, f->path, "stops.txt", 1, &c, err);
    if (rc) return rc;
    int c_id, c_lat, c_lon;
    if ((rc = csv_need(c, "stop_id", &c_id, err)) || (rc = csv_need(c, "stop_lat", &c_lat, err)) ||
        (rc = csv_need(c, "stop_lon", &c_lon, err))) {
        csv_close(c);
        return rc;
    }
    int c_name = csv_col(c, "stop_name"), c_loc = csv_col(c, "location_type"), c_par = csv_col(c, "parent_station");
    while ((rc = csv_next(c, err)) == 1) {
        L->st.stops_read++;
        const char *id = csv_field(c, c_id);
        if (!*id) {
            rc = csv_error(c, err, "stop_id is empty; give every stop an id");
            break;
        }
        long loc = 0;
        const char *ls = csv_field(c, c_loc);
        if (*ls && (parse_int(ls, &loc) || loc < 0 || loc > 4)) {
            char m[512];
            snprintf(m, sizeof m, "location_type '%.100s' is not 0-4; fix the feed", ls);
            rc = csv_error(c, err, m);
            break;
        }
        size_t i = f->n_stops;
        if (i >= f->cap_stops) {
            f->cap_stops = f->cap_stops ? f->cap_stops * 2 : 256;
            size_t n = f->cap_stops;
            f->stop_id = pl_realloc(f->stop_id, n * sizeof *f->stop_id);
            f->stop_name = pl_realloc(f->stop_name, n * sizeof *f->stop_name);
            f->parent_id = pl_realloc(f->parent_id, n * sizeof *f->parent_id);
            f->lat = pl_realloc(f->lat, n * sizeof *f->lat);
            f->lon = pl_realloc(f->lon, n * sizeof *f->lon);
            f->loc = pl_realloc(f->loc, n * sizeof *f->loc);
            f->gstop = pl_realloc(f->gstop, n * sizeof *f->gstop);
            f->stop_line = pl_realloc(f->stop_line, n * sizeof *f->stop_line);
        }
        f->stop_id[i] = pl_strdup(id);
        if (idmap_put(&f->stops, f->stop_id[i], (uint32_t)i) != NONE) {
            warn_dup(L, f, "stops.txt", c->line, "stop_id", id);
            free(f->stop_id[i]);
            continue;
        }
        f->stop_name[i] = pl_strdup(csv_field(c, c_name));
        f->parent_id[i] = pl_strdup(csv_field(c, c_par));
        double lat, lon;
        if (parse_number(csv_field(c, c_lat), &lat) || parse_number(csv_field(c, c_lon), &lon) || fabs(lat) > 90 ||
            fabs(lon) > 180 || (lat == 0 && lon == 0))
            lat = lon = NAN;
        f->lat[i] = lat;
        f->lon[i] = lon;
        f->loc[i] = (int8_t)loc;
        f->gstop[i] = NONE;
        f->stop_line[i] = c->line;
        f->n_stops++;
    }
    csv_close(c);
    if (rc) return rc;
    /* Platforms without coordinates take their station's; then every platform with
     * coordinates is a stop. */
    for (size_t i = 0; i < f->n_stops; i++) {
        if (f->loc[i] != 0) continue;
        if (isnan(f->lat[i]) && f->parent_id[i][0]) {
            uint32_t p = idmap_get(&f->stops, f->parent_id[i]);
            if (p != NONE && !isnan(f->lat[p])) {
                f->lat[i] = f->lat[p];
                f->lon[i] = f->lon[p];
            }
        }
        if (isnan(f->lat[i])) {
            L->st.stops_skipped++;
            pl_warn(L->ctx, "gtfs-stop-without-coordinates",
                    "%s:stops.txt: line %ld: stop '%s' has no usable coordinates (empty, 0,0 or out of range); "
                    "skipped, its stop times dropped: give its stop_lat/stop_lon",
                    f->path, f->stop_line[i], f->stop_id[i]);
            continue;
        }
        add_gstop(L, fi, (uint32_t)i);
    }
    return 0;
}

static int read_routes(loader *L, feed *f, pl_error *err)
{
    csv *c;
    int rc = csv_open(f->base, f->path, "routes.txt", 1, &c, err);
    if (rc) return rc;
    int c_id, c_type;
    if ((rc = csv_need(c, "route_id", &c_id, err)) || (rc = csv_need(c, "route_type", &c_type, err))) {
        csv_close(c);
        return rc;
    }
    int c_short = csv_col(c, "route_short_name"), c_long = csv_col(c, "route_long_name");
    while ((rc = csv_next(c, err)) == 1) {
        const char *id = csv_field(c, c_id), *ts = csv_field(c, c_type);
        long t;
        if (parse_int(ts, &t) || t < 0 || t > 100000) {
            char m[512];
            snprintf(m, sizeof m, "route '%.100s': route_type '%.50s' is not a number; give a GTFS route type (3 bus, "
                     "2 rail, ...)", id, ts);
            rc = csv_error(c, err, m);
            break;
        }
        int basic = pl_gtfs_basic_route_type((int)t);
        if (basic < 0) {
            pl_warn(L->ctx, "gtfs-route-type-unknown",
                    "%s:routes.txt: line %ld: route '%s': route_type %ld is not one platsa maps to a mode; kept as %ld",
                    f->path, c->line, id, t, t);
            basic = (int)t;
        }
        if (f->n_routes >= f->cap_routes) {
            f->cap_routes = f->cap_routes ? f->cap_routes * 2 : 64;
            f->route_id = pl_realloc(f->route_id, f->cap_routes * sizeof *f->route_id);
            f->route_name = pl_realloc(f->route_name, f->cap_routes * sizeof *f->route_name);
            f->route_type = pl_realloc(f->route_type, f->cap_routes * sizeof *f->route_type);
        }
        size_t i = f->n_routes;
        f->route_id[i] = pl_strdup(id);
        if (idmap_put(&f->routes, f->route_id[i], (uint32_t)i) != NONE) {
            warn_dup(L, f, "routes.txt", c->line, "route_id", id);
            free(f->route_id[i]);
            continue;
        }
        const char *name = csv_field(c, c_short);
        f->route_name[i] = pl_strdup(*name ? name : csv_field(c, c_long));
        f->route_type[i] = basic;
        f->n_routes++;
    }
    csv_close(c);
    return rc;
}

static uint32_t service_index(feed *f, const char *id)
{
    uint32_t s = idmap_get(&f->services, id);
    if (s != NONE) return s;
    if (f->n_services >= f->cap_services) {
        f->cap_services = f->cap_services ? f->cap_services * 2 : 64;
        f->service_id = pl_realloc(f->service_id, f->cap_services * sizeof *f->service_id);
        f->svc_run = pl_realloc(f->svc_run, f->cap_services * sizeof *f->svc_run);
    }
    s = (uint32_t)f->n_services++;
    f->service_id[s] = pl_strdup(id);
    f->svc_run[s] = 0;
    idmap_put(&f->services, f->service_id[s], s);
    return s;
}

static int bad_date(csv *c, pl_error *err, const char *col, const char *v)
{
    char m[512];
    snprintf(m, sizeof m, "%s '%.50s' is not a date YYYYMMDD; fix the feed", col, v);
    return csv_error(c, err, m);
}

static int read_calendar(loader *L, feed *f, pl_error *err)
{
    static const char *days[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    f->date_min = LONG_MAX;
    f->date_max = LONG_MIN;
    csv *c;
    int rc = csv_open(f->base, f->path, "calendar.txt", 0, &c, err);
    if (rc) return rc;
    int have_calendar = c != NULL;
    if (c) {
        int c_id, c_day[7], c_start, c_end;
        rc = csv_need(c, "service_id", &c_id, err);
        for (int d = 0; d < 7 && !rc; d++) rc = csv_need(c, days[d], &c_day[d], err);
        if (!rc) rc = csv_need(c, "start_date", &c_start, err);
        if (!rc) rc = csv_need(c, "end_date", &c_end, err);
        while (!rc && (rc = csv_next(c, err)) == 1) {
            rc = 0;
            long start, end;
            const char *ss = csv_field(c, c_start), *es = csv_field(c, c_end);
            if (parse_date(ss, 0, &start)) { rc = bad_date(c, err, "start_date", ss); break; }
            if (parse_date(es, 0, &end)) { rc = bad_date(c, err, "end_date", es); break; }
            if (end < start) {
                rc = csv_error(c, err, "end_date is before start_date; fix the feed");
                break;
            }
            uint32_t s = service_index(f, csv_field(c, c_id));
            if (start < f->date_min) f->date_min = start;
            if (end > f->date_max) f->date_max = end;
            const long when[2] = {L->today, L->yesterday};
            for (int k = 0; k < 2; k++) {
                if (when[k] < start || when[k] > end) continue;
                if (strcmp(csv_field(c, c_day[weekday(when[k])]), "1") == 0) f->svc_run[s] |= (uint8_t)(1 << k);
            }
        }
        csv_close(c);
        if (rc) return rc;
    }
    rc = csv_open(f->base, f->path, "calendar_dates.txt", !have_calendar, &c, err);
    if (rc) return rc;
    if (c) {
        int c_id, c_date, c_exc;
        if ((rc = csv_need(c, "service_id", &c_id, err)) || (rc = csv_need(c, "date", &c_date, err)) ||
            (rc = csv_need(c, "exception_type", &c_exc, err))) {
            csv_close(c);
            return rc;
        }
        while ((rc = csv_next(c, err)) == 1) {
            long d;
            const char *ds = csv_field(c, c_date), *es = csv_field(c, c_exc);
            if (parse_date(ds, 0, &d)) { rc = bad_date(c, err, "date", ds); break; }
            if (strcmp(es, "1") != 0 && strcmp(es, "2") != 0) {
                char m[512];
                snprintf(m, sizeof m, "exception_type '%.50s' is not 1 (added) or 2 (removed); fix the feed", es);
                rc = csv_error(c, err, m);
                break;
            }
            uint32_t s = service_index(f, csv_field(c, c_id));
            if (es[0] == '1') {
                if (d < f->date_min) f->date_min = d;
                if (d > f->date_max) f->date_max = d;
            }
            for (int k = 0; k < 2; k++) {
                if (d != (k ? L->yesterday : L->today)) continue;
                if (es[0] == '1') f->svc_run[s] |= (uint8_t)(1 << k);
                else f->svc_run[s] &= (uint8_t)~(1 << k);
            }
        }
        csv_close(c);
        if (rc) return rc;
    }
    char d[11], a[11], b[11];
    format_date(L->today, d);
    if (f->date_min > f->date_max)
        return pl_error_set(err, PL_EINPUT, "%s: calendar.txt / calendar_dates.txt give no service dates; the feed runs "
                            "no trips: check the feed", f->path);
    if (L->today < f->date_min || L->today > f->date_max) {
        format_date(f->date_min, a);
        format_date(f->date_max, b);
        return pl_error_set(err, PL_EINPUT, "%s: the date %s is outside the feed's service dates %s to %s; choose a date "
                            "in that range or a feed that covers %s", f->path, d, a, b, d);
    }
    return 0;
}

static int read_trips(loader *L, feed *f, pl_error *err)
{
    csv *c;
    int rc = csv_open(f->base, f->path, "trips.txt", 1, &c, err);
    if (rc) return rc;
    int c_route, c_svc, c_id;
    if ((rc = csv_need(c, "route_id", &c_route, err)) || (rc = csv_need(c, "service_id", &c_svc, err)) ||
        (rc = csv_need(c, "trip_id", &c_id, err))) {
        csv_close(c);
        return rc;
    }
    while ((rc = csv_next(c, err)) == 1) {
        const char *id = csv_field(c, c_id), *rid = csv_field(c, c_route), *sid = csv_field(c, c_svc);
        uint32_t r = idmap_get(&f->routes, rid);
        if (r == NONE) {
            char m[512];
            snprintf(m, sizeof m, "trip '%.100s' has route_id '%.100s', which routes.txt does not list; add the route "
                     "or fix the trip", id, rid);
            rc = csv_error(c, err, m);
            break;
        }
        uint32_t s = idmap_get(&f->services, sid);
        if (s == NONE)
            pl_warn(L->ctx, "gtfs-unknown-id", "%s:trips.txt: line %ld: trip '%s' has service_id '%s', which no "
                    "calendar lists; the trip never runs", f->path, c->line, id, sid);
        if (f->n_trips >= f->cap_trips) {
            f->cap_trips = f->cap_trips ? f->cap_trips * 2 : 256;
            f->trip_id = pl_realloc(f->trip_id, f->cap_trips * sizeof *f->trip_id);
            f->trip_route = pl_realloc(f->trip_route, f->cap_trips * sizeof *f->trip_route);
            f->trip_run = pl_realloc(f->trip_run, f->cap_trips * sizeof *f->trip_run);
            f->trip_has_times = pl_realloc(f->trip_has_times, f->cap_trips * sizeof *f->trip_has_times);
        }
        size_t i = f->n_trips;
        f->trip_id[i] = pl_strdup(id);
        if (idmap_put(&f->trips, f->trip_id[i], (uint32_t)i) != NONE) {
            warn_dup(L, f, "trips.txt", c->line, "trip_id", id);
            free(f->trip_id[i]);
            continue;
        }
        f->trip_route[i] = r;
        f->trip_run[i] = s == NONE ? 0 : f->svc_run[s];
        if (!L->previous_day) f->trip_run[i] &= RUN_TODAY;
        f->trip_has_times[i] = 0;
        if (f->trip_run[i] & RUN_TODAY) L->st.trips_active++;
        f->n_trips++;
    }
    csv_close(c);
    return rc;
}

static int bad_time(csv *c, pl_error *err, const char *col, const char *v)
{
    char m[512];
    snprintf(m, sizeof m, "%s '%.50s' is not a time HH:MM:SS; fix the feed", col, v);
    return csv_error(c, err, m);
}

static int cmp_freq(const void *a, const void *b)
{
    const freq *x = a, *y = b;
    if (x->trip != y->trip) return x->trip < y->trip ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static int read_frequencies(loader *L, feed *f, pl_error *err)
{
    csv *c;
    int rc = csv_open(f->base, f->path, "frequencies.txt", 0, &c, err);
    if (rc || !c) return rc;
    int c_trip, c_start, c_end, c_head;
    if ((rc = csv_need(c, "trip_id", &c_trip, err)) || (rc = csv_need(c, "start_time", &c_start, err)) ||
        (rc = csv_need(c, "end_time", &c_end, err)) || (rc = csv_need(c, "headway_secs", &c_head, err))) {
        csv_close(c);
        return rc;
    }
    while ((rc = csv_next(c, err)) == 1) {
        const char *tid = csv_field(c, c_trip), *ss = csv_field(c, c_start), *es = csv_field(c, c_end),
                   *hs = csv_field(c, c_head);
        long s = pl_gtfs_parse_time(ss), e = pl_gtfs_parse_time(es), h;
        if (s < 0) { rc = bad_time(c, err, "start_time", ss); break; }
        if (e < 0) { rc = bad_time(c, err, "end_time", es); break; }
        if (parse_int(hs, &h) || h <= 0 || h > DAY) {
            char m[512];
            snprintf(m, sizeof m, "headway_secs '%.50s' is not a number of seconds > 0; fix the feed", hs);
            rc = csv_error(c, err, m);
            break;
        }
        uint32_t t = idmap_get(&f->trips, tid);
        if (t == NONE) {
            pl_warn(L->ctx, "gtfs-unknown-id", "%s:frequencies.txt: line %ld: trip_id '%s' is not in trips.txt; row "
                    "ignored", f->path, c->line, tid);
            continue;
        }
        GROW(f->freqs, f->n_freqs, f->cap_freqs);
        f->freqs[f->n_freqs++] = (freq){t, (int32_t)s, (int32_t)e, (int32_t)h};
    }
    csv_close(c);
    if (!rc && f->n_freqs) qsort(f->freqs, f->n_freqs, sizeof *f->freqs, cmp_freq);
    return rc;
}

static int read_stop_times(loader *L, uint32_t fi, pl_error *err)
{
    feed *f = &L->feeds[fi];
    csv *c;
    int rc = csv_open(f->base, f->path, "stop_times.txt", 1, &c, err);
    if (rc) return rc;
    int c_trip, c_arr, c_dep, c_stop, c_seq;
    if ((rc = csv_need(c, "trip_id", &c_trip, err)) || (rc = csv_need(c, "arrival_time", &c_arr, err)) ||
        (rc = csv_need(c, "departure_time", &c_dep, err)) || (rc = csv_need(c, "stop_id", &c_stop, err)) ||
        (rc = csv_need(c, "stop_sequence", &c_seq, err))) {
        csv_close(c);
        return rc;
    }
    int c_pick = csv_col(c, "pickup_type"), c_drop = csv_col(c, "drop_off_type"),
        c_dist = csv_col(c, "shape_dist_traveled");
    f->stop_used = pl_calloc(f->n_stops + 1, 1);
    uint32_t last_trip = NONE;
    const char *last_tid = NULL;
    char last_buf[512] = "";
    while ((rc = csv_next(c, err)) == 1) {
        L->st.stop_times_read++;
        const char *tid = csv_field(c, c_trip), *as = csv_field(c, c_arr), *ds = csv_field(c, c_dep),
                   *sid = csv_field(c, c_stop), *qs = csv_field(c, c_seq);
        long arr = -1, dep = -1, seq;
        if (*as && (arr = pl_gtfs_parse_time(as)) < 0) { rc = bad_time(c, err, "arrival_time", as); break; }
        if (*ds && (dep = pl_gtfs_parse_time(ds)) < 0) { rc = bad_time(c, err, "departure_time", ds); break; }
        if (parse_int(qs, &seq) || seq < 0 || seq > (long)UINT32_MAX - 1) {
            char m[512];
            snprintf(m, sizeof m, "stop_sequence '%.50s' is not a whole number >= 0; fix the feed", qs);
            rc = csv_error(c, err, m);
            break;
        }
        uint8_t flags = 0;
        const char *ps = csv_field(c, c_pick), *dps = csv_field(c, c_drop);
        rc = 0;
        for (int k = 0; k < 2; k++) {
            const char *v = k ? dps : ps;
            if (!*v) continue;
            if (strlen(v) != 1 || v[0] < '0' || v[0] > '3') {
                char m[512];
                snprintf(m, sizeof m, "%s '%.50s' is not 0-3; fix the feed", k ? "drop_off_type" : "pickup_type", v);
                rc = csv_error(c, err, m);
                break;
            }
            /* 1 = none; 2 (phone) and 3 (ask the driver) are possible */
            if (v[0] == '1') flags |= (uint8_t)(1 << k);
        }
        if (rc) break;
        /* stop_times are usually grouped by trip: look the trip up once per run */
        uint32_t t;
        if (last_tid && strcmp(tid, last_buf) == 0) {
            t = last_trip;
        } else {
            t = idmap_get(&f->trips, tid);
            last_trip = t;
            snprintf(last_buf, sizeof last_buf, "%s", tid);
            last_tid = last_buf;
            if (t == NONE)
                pl_warn(L->ctx, "gtfs-unknown-id", "%s:stop_times.txt: line %ld: trip_id '%s' is not in trips.txt; "
                        "its stop times are ignored", f->path, c->line, tid);
        }
        if (t == NONE) continue;
        f->trip_has_times[t] = 1;
        uint32_t s = idmap_get(&f->stops, sid);
        if (s != NONE) f->stop_used[s] = 1;
        if (s == NONE) {
            pl_warn(L->ctx, "gtfs-unknown-id", "%s:stop_times.txt: line %ld: stop_id '%s' is not in stops.txt; the "
                    "stop time is dropped", f->path, c->line, sid);
        } else if (f->loc[s] == 1 && f->gstop[s] == NONE && !isnan(f->lat[s])) {
            pl_warn(L->ctx, "gtfs-station-in-stop-times", "%s:stop_times.txt: line %ld: stop_id '%s' is a station "
                    "(location_type 1); used as a stop", f->path, c->line, sid);
            add_gstop(L, fi, s);
        } else if (f->loc[s] > 1) {
            pl_warn(L->ctx, "gtfs-unknown-id", "%s:stop_times.txt: line %ld: stop_id '%s' is an entrance, node or "
                    "boarding area (location_type %d), not a stop; the stop time is dropped", f->path, c->line, sid,
                    f->loc[s]);
            s = NONE;
        }
        if (!f->trip_run[t]) continue;
        GROW(f->rows, f->n_rows, f->cap_rows);
        double dist = NAN;
        if (parse_number(csv_field(c, c_dist), &dist)) dist = NAN;
        f->rows[f->n_rows++] = (st_row){t, (uint32_t)seq, s, (int32_t)arr, (int32_t)dep, dist, flags};
    }
    csv_close(c);
    return rc;
}

/* The stops a transfers.txt stop stands for: a station, itself and its platforms (kids of
 * CSR kid_start); any other stop, itself. How many, and the k-th of them. */
static uint32_t n_members(const feed *f, const uint32_t *kid_start, uint32_t x)
{
    return f->loc[x] == 1 ? 1 + kid_start[x + 1] - kid_start[x] : 1;
}

static uint32_t member(const uint32_t *kid_start, const uint32_t *kids, uint32_t x, uint32_t k)
{
    return k == 0 ? x : kids[kid_start[x] + k - 1];
}

static int read_transfers(loader *L, feed *f, pl_error *err)
{
    csv *c;
    int rc = csv_open(f->base, f->path, "transfers.txt", 0, &c, err);
    if (rc || !c) return rc;
    int c_from, c_to, c_type;
    if ((rc = csv_need(c, "from_stop_id", &c_from, err)) || (rc = csv_need(c, "to_stop_id", &c_to, err)) ||
        (rc = csv_need(c, "transfer_type", &c_type, err))) {
        csv_close(c);
        return rc;
    }
    int c_time = csv_col(c, "min_transfer_time");
    /* children of each station, CSR: kids[kid_start[s] .. kid_start[s+1]) */
    uint32_t *kid_start = pl_calloc(f->n_stops + 2, sizeof *kid_start);
    uint32_t *kids = pl_malloc((f->n_stops + 1) * sizeof *kids);
    uint32_t *par = pl_malloc((f->n_stops + 1) * sizeof *par);
    for (size_t i = 0; i < f->n_stops; i++) {
        par[i] = f->parent_id[i][0] ? idmap_get(&f->stops, f->parent_id[i]) : NONE;
        if (par[i] != NONE && f->loc[par[i]] != 1) par[i] = NONE;
        if (par[i] != NONE) kid_start[par[i] + 1]++;
    }
    for (size_t i = 0; i < f->n_stops; i++) kid_start[i + 1] += kid_start[i];
    uint32_t *fill = pl_malloc((f->n_stops + 1) * sizeof *fill);
    memcpy(fill, kid_start, f->n_stops * sizeof *fill);
    for (size_t i = 0; i < f->n_stops; i++)
        if (par[i] != NONE) kids[fill[par[i]]++] = (uint32_t)i;
    free(fill);
    free(par);
    int c_only[4] = {csv_col(c, "from_trip_id"), csv_col(c, "to_trip_id"), csv_col(c, "from_route_id"),
                     csv_col(c, "to_route_id")};
    while ((rc = csv_next(c, err)) == 1) {
        const char *fs = csv_field(c, c_from), *ts = csv_field(c, c_to), *ty = csv_field(c, c_type),
                   *ms = csv_field(c, c_time);
        int restricted = 0;
        for (int k = 0; k < 4; k++) restricted |= csv_field(c, c_only[k])[0] != '\0';
        long secs;
        if (strcmp(ty, "2") != 0 || restricted || parse_int(ms, &secs) || secs < 0 || secs > DAY) {
            /* recommended/timed/impossible transfers, trip- or route-specific ones: not modelled */
            L->st.transfers_ignored++;
            continue;
        }
        uint32_t a = idmap_get(&f->stops, fs), b = idmap_get(&f->stops, ts);
        if (a == NONE || b == NONE) {
            pl_warn(L->ctx, "gtfs-unknown-id", "%s:transfers.txt: line %ld: stop_id '%s' is not in stops.txt; the "
                    "transfer is ignored", f->path, c->line, a == NONE ? fs : ts);
            continue;
        }
        /* a station stands for each of its platforms (and itself, if trips call there) */
        uint32_t na = n_members(f, kid_start, a), nb = n_members(f, kid_start, b);
        for (uint32_t i = 0; i < na; i++) {
            uint32_t from = f->gstop[member(kid_start, kids, a, i)];
            if (from == NONE) continue;
            for (uint32_t j = 0; j < nb; j++) {
                uint32_t to = f->gstop[member(kid_start, kids, b, j)];
                if (to == NONE) continue;
                GROW(L->xfers, L->n_xfers, L->cap_xfers);
                L->xfers[L->n_xfers++] = (xfer){from, to, (int32_t)secs};
            }
        }
    }
    free(kid_start);
    free(kids);
    csv_close(c);
    return rc;
}

/* ---------- trips into instances ---------- */

static int cmp_row(const void *a, const void *b)
{
    const st_row *x = a, *y = b;
    if (x->trip != y->trip) return x->trip < y->trip ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One trip's stops, cleaned and timed (scratch arrays reused across trips). */
typedef struct tripbuf {
    uint32_t *stop;
    uint8_t *flags;
    int32_t *arr, *dep;
    double *dist, *cum;
    size_t n, cap;
} tripbuf;

static void tripbuf_reserve(tripbuf *b, size_t n)
{
    if (n <= b->cap) return;
    b->cap = n * 2;
    b->stop = pl_realloc(b->stop, b->cap * sizeof *b->stop);
    b->flags = pl_realloc(b->flags, b->cap * sizeof *b->flags);
    b->arr = pl_realloc(b->arr, b->cap * sizeof *b->arr);
    b->dep = pl_realloc(b->dep, b->cap * sizeof *b->dep);
    b->dist = pl_realloc(b->dist, b->cap * sizeof *b->dist);
    b->cum = pl_realloc(b->cum, b->cap * sizeof *b->cum);
}

static void tripbuf_free(tripbuf *b)
{
    free(b->stop); free(b->flags); free(b->arr); free(b->dep); free(b->dist); free(b->cum);
}

static void fmt_time(long s, char out[16])
{
    if (s < 0) snprintf(out, 16, "(none)");
    else snprintf(out, 16, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

/* Fills empty times between timed stops: linear in shape_dist_traveled when every stop of
 * the stretch has it (and it grows), else in great-circle distance from the stop before. */
static void interpolate(loader *L, uint32_t fi, tripbuf *b)
{
    (void)fi;
    size_t i = 0;
    while (i + 1 < b->n) {
        size_t j = i + 1;
        while (j < b->n && b->arr[j] < 0) j++;
        if (j == i + 1 || j == b->n) {
            i = j;
            continue;
        }
        int by_shape = 1;
        for (size_t k = i; k <= j; k++)
            if (isnan(b->dist[k]) || (k > i && b->dist[k] < b->dist[k - 1])) by_shape = 0;
        if (by_shape && !(b->dist[j] > b->dist[i])) by_shape = 0;
        b->cum[i] = 0;
        for (size_t k = i + 1; k <= j; k++) {
            if (by_shape) {
                b->cum[k] = b->dist[k] - b->dist[i];
            } else {
                const gstop *p = &L->stops[b->stop[k - 1]], *q = &L->stops[b->stop[k]];
                const feed *fp = &L->feeds[p->feed], *fq = &L->feeds[q->feed];
                b->cum[k] = b->cum[k - 1] + haversine_m(fp->lat[p->local], fp->lon[p->local], fq->lat[q->local],
                                                        fq->lon[q->local]);
            }
        }
        double span = (double)(b->arr[j] - b->dep[i]), total = b->cum[j];
        for (size_t k = i + 1; k < j; k++) {
            double frac = total > 0 ? b->cum[k] / total : (double)(k - i) / (double)(j - i);
            int32_t t = b->dep[i] + (int32_t)lround(span * frac);
            b->arr[k] = b->dep[k] = t;
            L->st.times_interpolated++;
        }
        i = j;
    }
}

/* Cleans rows[a..e) of one trip into b; 0 when the trip is dropped (warned). */
static int clean_trip(loader *L, uint32_t fi, const st_row *rows, size_t a, size_t e, tripbuf *b)
{
    feed *f = &L->feeds[fi];
    const char *tid = f->trip_id[rows[a].trip];
    tripbuf_reserve(b, e - a);
    b->n = 0;
    for (size_t r = a; r < e; r++) {
        if (r > a && rows[r].seq == rows[r - 1].seq) {
            pl_warn(L->ctx, "gtfs-trip-dropped", "%s:stop_times.txt: trip '%s': stop_sequence %u given twice; trip "
                    "dropped", f->path, tid, rows[r].seq);
            return 0;
        }
        uint32_t s = rows[r].stop;
        if (s == NONE || f->gstop[s] == NONE) {
            L->st.stop_times_dropped++;
            continue;
        }
        size_t k = b->n++;
        b->stop[k] = f->gstop[s];
        b->flags[k] = rows[r].flags;
        b->arr[k] = rows[r].arr >= 0 ? rows[r].arr : rows[r].dep;
        b->dep[k] = rows[r].dep >= 0 ? rows[r].dep : rows[r].arr;
        b->dist[k] = rows[r].dist;
    }
    if (b->n < 2) {
        pl_warn(L->ctx, "gtfs-trip-one-stop", "%s:stop_times.txt: trip '%s' has %zu stop(s) with usable coordinates; "
                "dropped (a trip needs two)", f->path, tid, b->n);
        return 0;
    }
    if (b->arr[0] < 0 || b->arr[b->n - 1] < 0) {
        pl_warn(L->ctx, "gtfs-trip-dropped", "%s:stop_times.txt: trip '%s': the %s stop has no time; trip dropped "
                "(GTFS requires times at the first and last stop)", f->path, tid, b->arr[0] < 0 ? "first" : "last");
        return 0;
    }
    interpolate(L, fi, b);
    for (size_t k = 0; k < b->n; k++) {
        long prev = k ? b->dep[k - 1] : b->arr[0];
        if (b->arr[k] < prev || b->dep[k] < b->arr[k]) {
            char t1[16], t2[16];
            int within = b->arr[k] >= prev;
            fmt_time(within ? b->arr[k] : prev, t1);
            fmt_time(within ? b->dep[k] : b->arr[k], t2);
            pl_warn(L->ctx, "gtfs-times-backwards", "%s:stop_times.txt: trip '%s': times go backwards at its stop "
                    "%zu (%s then %s); trip dropped: fix its times", f->path, tid, k + 1, t1, t2);
            return 0;
        }
    }
    /* Nobody gets off at the first stop or on at the last: the same rule for every trip,
     * so trips differing only there share a pattern. */
    b->flags[0] |= 2;
    b->flags[b->n - 1] |= 1;
    return 1;
}

static void add_instance(loader *L, uint32_t route, const tripbuf *b, int32_t shift, const char *id)
{
    if (L->n_pool + b->n > L->cap_pool) {
        L->cap_pool = (L->n_pool + b->n) * 2;
        L->p_stop = pl_realloc(L->p_stop, L->cap_pool * sizeof *L->p_stop);
        L->p_flags = pl_realloc(L->p_flags, L->cap_pool * sizeof *L->p_flags);
        L->p_arr = pl_realloc(L->p_arr, L->cap_pool * sizeof *L->p_arr);
        L->p_dep = pl_realloc(L->p_dep, L->cap_pool * sizeof *L->p_dep);
    }
    for (size_t k = 0; k < b->n; k++) {
        L->p_stop[L->n_pool + k] = b->stop[k];
        L->p_flags[L->n_pool + k] = b->flags[k];
        L->p_arr[L->n_pool + k] = b->arr[k] + shift;
        L->p_dep[L->n_pool + k] = b->dep[k] + shift;
    }
    GROW(L->insts, L->n_insts, L->cap_insts);
    L->insts[L->n_insts] = (inst){route, (uint32_t)b->n, L->n_pool, pl_strdup(id), (uint32_t)L->n_insts};
    L->n_insts++;
    L->n_pool += b->n;
}

/* The trip on the date and/or, when it runs past midnight, from the day before. */
static void emit(loader *L, uint32_t route, uint8_t run, const tripbuf *b, const char *id)
{
    if (run & RUN_TODAY) add_instance(L, route, b, 0, id);
    if ((run & RUN_YESTERDAY) && b->arr[b->n - 1] >= DAY) {
        size_t n = strlen(id);
        char *pid = pl_malloc(n + 5);  /* the id, "@-1d" and the NUL */
        memcpy(pid, id, n);
        memcpy(pid + n, "@-1d", 5);
        add_instance(L, route, b, -DAY, pid);
        free(pid);
        L->st.trips_previous_day++;
    }
}

static void build_instances(loader *L, uint32_t fi)
{
    feed *f = &L->feeds[fi];
    if (f->n_rows) qsort(f->rows, f->n_rows, sizeof *f->rows, cmp_row);
    tripbuf b = {0}, fb = {0};
    size_t q = 0; /* frequencies cursor */
    for (size_t a = 0; a < f->n_rows;) {
        size_t e = a;
        uint32_t t = f->rows[a].trip;
        while (e < f->n_rows && f->rows[e].trip == t) e++;
        while (q < f->n_freqs && f->freqs[q].trip < t) q++;
        if (clean_trip(L, fi, f->rows, a, e, &b)) {
            uint32_t route = L->route_base[fi] + f->trip_route[t];
            if (q < f->n_freqs && f->freqs[q].trip == t) {
                /* frequencies.txt: the stop times are a template; copies start at start_time,
                 * start_time + headway, ... before end_time (exact_times 0 too: see gtfs.h) */
                long k = 0;
                tripbuf_reserve(&fb, b.n);
                fb.n = b.n;
                memcpy(fb.stop, b.stop, b.n * sizeof *b.stop);
                memcpy(fb.flags, b.flags, b.n * sizeof *b.flags);
                for (size_t r = q; r < f->n_freqs && f->freqs[r].trip == t; r++) {
                    for (int32_t s = f->freqs[r].start; s < f->freqs[r].end; s += f->freqs[r].headway) {
                        for (size_t i = 0; i < b.n; i++) {
                            fb.arr[i] = b.arr[i] - b.dep[0] + s;
                            fb.dep[i] = b.dep[i] - b.dep[0] + s;
                        }
                        char id[1100];
                        snprintf(id, sizeof id, "%s#%ld", f->trip_id[t], ++k);
                        if (f->trip_run[t] & RUN_TODAY) L->st.trips_from_frequencies++;
                        emit(L, route, f->trip_run[t], &fb, id);
                    }
                }
            } else {
                emit(L, route, f->trip_run[t], &b, f->trip_id[t]);
            }
        } else {
            L->st.trips_dropped++;
        }
        a = e;
    }
    tripbuf_free(&b);
    tripbuf_free(&fb);
    free(f->rows);
    f->rows = NULL;
    f->n_rows = f->cap_rows = 0;
}

/* Counted warnings for ids nobody uses: trips without stop times, stops no trip calls at
 * (kept: they do no harm), routes without trips. */
static void warn_unused(loader *L, feed *f)
{
    for (size_t t = 0; t < f->n_trips; t++)
        if (!f->trip_has_times[t])
            pl_warn(L->ctx, "gtfs-unused-id", "%s:trips.txt: trip '%s' has no stop times; it never runs", f->path,
                    f->trip_id[t]);
    for (size_t s = 0; s < f->n_stops; s++)
        if (f->loc[s] == 0 && !f->stop_used[s] && f->gstop[s] != NONE)
            pl_warn(L->ctx, "gtfs-unused-id", "%s:stops.txt: line %ld: stop '%s' has no stop times; kept, no trip "
                    "calls there", f->path, f->stop_line[s], f->stop_id[s]);
    uint8_t *has = pl_calloc(f->n_routes + 1, 1);
    for (size_t t = 0; t < f->n_trips; t++) has[f->trip_route[t]] = 1;
    for (size_t r = 0; r < f->n_routes; r++)
        if (!has[r])
            pl_warn(L->ctx, "gtfs-unused-id", "%s:routes.txt: route '%s' has no trips", f->path, f->route_id[r]);
    free(has);
}

/* ---------- patterns ---------- */

static int cmp_inst(const void *pa, const void *pb, void *user)
{
    const loader *L = user;
    const inst *x = &L->insts[*(const uint32_t *)pa], *y = &L->insts[*(const uint32_t *)pb];
    if (x->route != y->route) return x->route < y->route ? -1 : 1;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    int c = 0;
    for (uint32_t k = 0; k < x->n && !c; k++) {
        uint32_t s = L->p_stop[x->off + k], t = L->p_stop[y->off + k];
        if (s != t) c = s < t ? -1 : 1;
    }
    if (c) return c;
    c = memcmp(L->p_flags + x->off, L->p_flags + y->off, x->n);
    if (c) return c;
    int32_t dx = L->p_dep[x->off], dy = L->p_dep[y->off];
    if (dx != dy) return dx < dy ? -1 : 1;
    int32_t ax = L->p_arr[x->off + x->n - 1], ay = L->p_arr[y->off + y->n - 1];
    if (ax != ay) return ax < ay ? -1 : 1;
    c = strcmp(x->id, y->id);
    if (c) return c;
    return (x->order > y->order) - (x->order < y->order);
}

static int same_pattern(const loader *L, const inst *x, const inst *y)
{
    return x->route == y->route && x->n == y->n &&
           memcmp(L->p_stop + x->off, L->p_stop + y->off, x->n * sizeof *L->p_stop) == 0 &&
           memcmp(L->p_flags + x->off, L->p_flags + y->off, x->n) == 0;
}

/* y never overtakes x (x departs first): y is not earlier than x at any stop. */
static int follows(const loader *L, const inst *x, const inst *y)
{
    for (uint32_t k = 0; k < x->n; k++)
        if (L->p_arr[y->off + k] < L->p_arr[x->off + k] || L->p_dep[y->off + k] < L->p_dep[x->off + k]) return 0;
    return 1;
}

static char *prefixed(const char *prefix, const char *id, int use)
{
    if (!use) return pl_strdup(id);
    size_t n = strlen(prefix) + strlen(id) + 2;
    char *s = pl_malloc(n);
    snprintf(s, n, "%s:%s", prefix, id);
    return s;
}

static void build_patterns(loader *L, pl_timetable *tt, int prefix_trips)
{
    uint32_t *ord = pl_malloc((L->n_insts + 1) * sizeof *ord);
    for (size_t i = 0; i < L->n_insts; i++) ord[i] = (uint32_t)i;
    qsort_r(ord, L->n_insts, sizeof *ord, cmp_inst, L);

    /* chain[i]: the sub-pattern of ord[i] inside its group (first fit) */
    uint32_t *chain = pl_malloc((L->n_insts + 1) * sizeof *chain);
    uint32_t *last = NULL;
    size_t cap_last = 0;
    size_t n_pat = 0;
    uint32_t *group_start = pl_malloc((L->n_insts + 1) * sizeof *group_start);
    uint32_t *group_chains = pl_malloc((L->n_insts + 1) * sizeof *group_chains);
    size_t n_groups = 0;
    for (size_t a = 0; a < L->n_insts;) {
        size_t e = a + 1;
        while (e < L->n_insts && same_pattern(L, &L->insts[ord[a]], &L->insts[ord[e]])) e++;
        size_t n_chains = 0;
        for (size_t i = a; i < e; i++) {
            size_t c = 0;
            while (c < n_chains && !follows(L, &L->insts[last[c]], &L->insts[ord[i]])) c++;
            if (c == n_chains) {
                GROW(last, n_chains, cap_last);
                n_chains++;
            }
            last[c] = ord[i];
            chain[i] = (uint32_t)c;
        }
        group_start[n_groups] = (uint32_t)a;
        group_chains[n_groups++] = (uint32_t)n_chains;
        n_pat += n_chains;
        L->st.patterns_split += (long)n_chains - 1;
        a = e;
    }
    group_start[n_groups] = (uint32_t)L->n_insts;

    tt->n_patterns = (uint32_t)n_pat;
    tt->n_trips = (uint32_t)L->n_insts;
    tt->pattern_stop_start = pl_calloc(n_pat + 1, sizeof *tt->pattern_stop_start);
    tt->pattern_trip_start = pl_calloc(n_pat + 1, sizeof *tt->pattern_trip_start);
    tt->pattern_route = pl_calloc(n_pat + 1, sizeof *tt->pattern_route);
    tt->trip_time_start = pl_calloc(L->n_insts + 1, sizeof *tt->trip_time_start);
    tt->trip_id = pl_calloc(L->n_insts + 1, sizeof *tt->trip_id);
    size_t n_pstops = 0;
    for (size_t g = 0; g < n_groups; g++) n_pstops += (size_t)group_chains[g] * L->insts[ord[group_start[g]]].n;
    tt->pattern_stops = pl_malloc((n_pstops + 1) * sizeof *tt->pattern_stops);
    tt->pattern_stop_flags = pl_malloc(n_pstops + 1);
    tt->trip_arr = pl_malloc((L->n_pool + 1) * sizeof *tt->trip_arr);
    tt->trip_dep = pl_malloc((L->n_pool + 1) * sizeof *tt->trip_dep);
    size_t p = 0, ps = 0, tr = 0, tm = 0;
    for (size_t g = 0; g < n_groups; g++) {
        const inst *first = &L->insts[ord[group_start[g]]];
        for (uint32_t c = 0; c < group_chains[g]; c++, p++) {
            tt->pattern_stop_start[p] = (uint32_t)ps;
            tt->pattern_trip_start[p] = (uint32_t)tr;
            tt->pattern_route[p] = first->route;
            memcpy(tt->pattern_stops + ps, L->p_stop + first->off, first->n * sizeof *L->p_stop);
            memcpy(tt->pattern_stop_flags + ps, L->p_flags + first->off, first->n);
            ps += first->n;
            for (size_t i = group_start[g]; i < group_start[g + 1]; i++) {
                if (chain[i] != c) continue;
                inst *x = &L->insts[ord[i]];
                tt->trip_time_start[tr] = (uint32_t)tm;
                memcpy(tt->trip_arr + tm, L->p_arr + x->off, x->n * sizeof *tt->trip_arr);
                memcpy(tt->trip_dep + tm, L->p_dep + x->off, x->n * sizeof *tt->trip_dep);
                tm += x->n;
                tt->trip_id[tr++] = x->id;
                x->id = NULL;
            }
        }
    }
    tt->pattern_stop_start[p] = (uint32_t)ps;
    tt->pattern_trip_start[p] = (uint32_t)tr;
    /* trip ids: prefixed when two feeds share one (the instance ids carry the feed prefix
     * as "\x01FEEDPREFIX\x01" until here) */
    for (size_t t = 0; t < tr; t++) {
        char *id = tt->trip_id[t], *sep = strchr(id + 1, '\x01');
        *sep = '\0';
        char *out = prefixed(id + 1, sep + 1, prefix_trips);
        free(tt->trip_id[t]);
        tt->trip_id[t] = out;
    }
    free(ord);
    free(chain);
    free(last);
    free(group_start);
    free(group_chains);
}

static void build_stop_index(pl_timetable *tt)
{
    tt->stop_pattern_start = pl_calloc((size_t)tt->n_stops + 1, sizeof *tt->stop_pattern_start);
    size_t n = tt->pattern_stop_start[tt->n_patterns];
    for (size_t i = 0; i < n; i++) tt->stop_pattern_start[tt->pattern_stops[i] + 1]++;
    for (uint32_t s = 0; s < tt->n_stops; s++) tt->stop_pattern_start[s + 1] += tt->stop_pattern_start[s];
    tt->stop_patterns = pl_malloc((n + 1) * sizeof *tt->stop_patterns);
    tt->stop_pattern_pos = pl_malloc((n + 1) * sizeof *tt->stop_pattern_pos);
    uint32_t *fill = pl_malloc(((size_t)tt->n_stops + 1) * sizeof *fill);
    memcpy(fill, tt->stop_pattern_start, (size_t)tt->n_stops * sizeof *fill);
    for (uint32_t p = 0; p < tt->n_patterns; p++)
        for (uint32_t k = tt->pattern_stop_start[p]; k < tt->pattern_stop_start[p + 1]; k++) {
            uint32_t s = tt->pattern_stops[k];
            tt->stop_patterns[fill[s]] = p;
            tt->stop_pattern_pos[fill[s]++] = k - tt->pattern_stop_start[p];
        }
    free(fill);
}

static int cmp_xfer(const void *a, const void *b)
{
    const xfer *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    if (x->to != y->to) return x->to < y->to ? -1 : 1;
    return (x->s < y->s) - (x->s > y->s); /* the longest first: it is kept */
}

/* Transfers as CSR by from-stop; a pair given twice keeps its longest time. */
static void build_transfers(loader *L, pl_timetable *tt)
{
    if (L->n_xfers) qsort(L->xfers, L->n_xfers, sizeof *L->xfers, cmp_xfer);
    tt->transfer_start = pl_calloc((size_t)tt->n_stops + 1, sizeof *tt->transfer_start);
    tt->transfer_to = pl_malloc((L->n_xfers + 1) * sizeof *tt->transfer_to);
    tt->transfer_s = pl_malloc((L->n_xfers + 1) * sizeof *tt->transfer_s);
    size_t n = 0;
    for (size_t i = 0; i < L->n_xfers; i++) {
        if (n && L->xfers[i].from == L->xfers[i - 1].from && L->xfers[i].to == L->xfers[i - 1].to) continue;
        tt->transfer_to[n] = L->xfers[i].to;
        tt->transfer_s[n] = L->xfers[i].s;
        tt->transfer_start[L->xfers[i].from + 1]++;
        n++;
    }
    for (uint32_t s = 0; s < tt->n_stops; s++) tt->transfer_start[s + 1] += tt->transfer_start[s];
    tt->n_transfers = n;
}

/* Whether some id of one kind appears in two feeds. */
static int ids_collide(loader *L, int kind)
{
    idmap seen = {0};
    int clash = 0;
    for (size_t fi = 0; fi < L->n_feeds && !clash; fi++) {
        feed *f = &L->feeds[fi];
        size_t n = kind == 0 ? f->n_stops : kind == 1 ? f->n_routes : f->n_trips;
        char **ids = kind == 0 ? f->stop_id : kind == 1 ? f->route_id : f->trip_id;
        for (size_t i = 0; i < n && !clash; i++) {
            uint32_t v = idmap_put(&seen, ids[i], (uint32_t)fi);
            clash = v != NONE && v != fi;
        }
    }
    idmap_free(&seen);
    return clash;
}

static void feed_prefix(loader *L, size_t fi)
{
    feed *f = &L->feeds[fi];
    const char *p = f->path;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && p[b - 1] != '/') b--;
    size_t len = n - b;
    if (len > 4 && strncasecmp(p + n - 4, ".zip", 4) == 0) len -= 4;
    if (len > 200) len = 200;
    snprintf(f->prefix, sizeof f->prefix, "%.*s", (int)len, p + b);
    for (size_t k = 0; k < fi; k++)
        if (strcmp(L->feeds[k].prefix, f->prefix) == 0) {
            size_t m = strlen(f->prefix);
            snprintf(f->prefix + m, sizeof f->prefix - m, "-%zu", fi + 1);
            break;
        }
}

static int open_feed(feed *f, pl_error *err)
{
    VSIStatBufL sb;
    if (VSIStatL(f->path, &sb) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: no such file or folder; give a GTFS .zip or a folder of GTFS .txt "
                            "files", f->path);
    if (VSI_ISDIR(sb.st_mode)) {
        snprintf(f->base, sizeof f->base, "%s/", f->path);
        return 0;
    }
    snprintf(f->base, sizeof f->base, "/vsizip/%s/", f->path);
    char **ls = VSIReadDir(f->base);
    if (!ls) {
        CSLDestroy(ls);
        return pl_error_set(err, PL_EINPUT, "%s: not a zip archive (or an empty one); give a GTFS .zip or a folder of "
                            "GTFS .txt files", f->path);
    }
    /* some publishers zip a folder: take it when the files are only there */
    int top = CSLFindString(ls, "stops.txt") >= 0;
    if (!top && CSLCount(ls) == 1) {
        char sub[4096];
        snprintf(sub, sizeof sub, "/vsizip/%s/%s/stops.txt", f->path, ls[0]);
        if (VSIStatL(sub, &sb) == 0) snprintf(f->base, sizeof f->base, "/vsizip/%s/%s/", f->path, ls[0]);
    }
    CSLDestroy(ls);
    return 0;
}

static int load_feed(loader *L, uint32_t fi, pl_error *err)
{
    feed *f = &L->feeds[fi];
    int rc;
    if ((rc = open_feed(f, err)) || (rc = read_stops(L, fi, err)) || (rc = read_routes(L, f, err)) ||
        (rc = read_calendar(L, f, err)) || (rc = read_trips(L, f, err)) || (rc = read_frequencies(L, f, err)) ||
        (rc = read_stop_times(L, fi, err)) || (rc = read_transfers(L, f, err)))
        return rc < 0 ? PL_EINPUT : rc;
    warn_unused(L, f);
    return 0;
}

static void fill_stops_routes(loader *L, pl_timetable *tt)
{
    int pre_stops = ids_collide(L, 0), pre_routes = ids_collide(L, 1);
    tt->n_stops = (uint32_t)L->n_stops;
    tt->stop_id = pl_calloc(L->n_stops + 1, sizeof *tt->stop_id);
    tt->stop_name = pl_calloc(L->n_stops + 1, sizeof *tt->stop_name);
    tt->stop_lon = pl_malloc((L->n_stops + 1) * sizeof *tt->stop_lon);
    tt->stop_lat = pl_malloc((L->n_stops + 1) * sizeof *tt->stop_lat);
    for (size_t s = 0; s < L->n_stops; s++) {
        const feed *f = &L->feeds[L->stops[s].feed];
        uint32_t i = L->stops[s].local;
        tt->stop_id[s] = prefixed(f->prefix, f->stop_id[i], pre_stops);
        tt->stop_name[s] = pl_strdup(f->stop_name[i]);
        tt->stop_lon[s] = f->lon[i];
        tt->stop_lat[s] = f->lat[i];
    }
    size_t n = 0;
    for (size_t fi = 0; fi < L->n_feeds; fi++) n += L->feeds[fi].n_routes;
    tt->n_routes = (uint32_t)n;
    tt->route_id = pl_calloc(n + 1, sizeof *tt->route_id);
    tt->route_name = pl_calloc(n + 1, sizeof *tt->route_name);
    tt->route_type = pl_malloc((n + 1) * sizeof *tt->route_type);
    for (size_t fi = 0; fi < L->n_feeds; fi++) {
        const feed *f = &L->feeds[fi];
        for (size_t r = 0; r < f->n_routes; r++) {
            size_t g = L->route_base[fi] + r;
            tt->route_id[g] = prefixed(f->prefix, f->route_id[r], pre_routes);
            tt->route_name[g] = pl_strdup(f->route_name[r]);
            tt->route_type[g] = f->route_type[r];
        }
    }
}

static void loader_free(loader *L)
{
    for (size_t i = 0; i < L->n_feeds; i++) feed_free(&L->feeds[i]);
    free(L->feeds);
    free(L->stops);
    free(L->route_base);
    for (size_t i = 0; i < L->n_insts; i++) free(L->insts[i].id);
    free(L->insts);
    free(L->p_stop); free(L->p_flags); free(L->p_arr); free(L->p_dep);
    free(L->xfers);
}

int pl_gtfs_load(pl_ctx *ctx, const char *const *feeds, size_t n_feeds, const char *date, const pl_gtfs_opts *opts,
                 pl_timetable **out, pl_gtfs_stats *stats, pl_error *err)
{
    *out = NULL;
    if (stats) memset(stats, 0, sizeof *stats);
    if (n_feeds == 0) return pl_error_set(err, PL_EINPUT, "no GTFS feed given; give one or more with --gtfs FEED.zip");
    loader L = {0};
    L.ctx = ctx;
    L.previous_day = !(opts && opts->no_previous_day);
    if (!date || parse_date(date, 1, &L.today))
        return pl_error_set(err, PL_EINPUT, "date '%s' is not a date YYYY-MM-DD; give e.g. --date 2024-05-14",
                            date ? date : "");
    L.yesterday = L.today - 1;
    L.n_feeds = n_feeds;
    L.feeds = pl_calloc(n_feeds, sizeof *L.feeds);
    L.route_base = pl_calloc(n_feeds + 1, sizeof *L.route_base);
    for (size_t i = 0; i < n_feeds; i++) {
        L.feeds[i].path = feeds[i];
        feed_prefix(&L, i);
    }
    int rc = 0;
    for (uint32_t i = 0; i < n_feeds && !rc; i++) {
        rc = load_feed(&L, i, err);
        L.route_base[i + 1] = L.route_base[i] + (uint32_t)L.feeds[i].n_routes;
    }
    if (rc) {
        loader_free(&L);
        return rc;
    }
    int pre_trips = ids_collide(&L, 2);
    for (uint32_t i = 0; i < n_feeds; i++) {
        size_t before = L.n_insts;
        build_instances(&L, i);
        /* mark each instance id with its feed's prefix for build_patterns */
        for (size_t k = before; k < L.n_insts; k++) {
            size_t n = strlen(L.feeds[i].prefix) + strlen(L.insts[k].id) + 3;
            char *s = pl_malloc(n);
            snprintf(s, n, "\x01%s\x01%s", L.feeds[i].prefix, L.insts[k].id);
            free(L.insts[k].id);
            L.insts[k].id = s;
        }
    }
    if (L.st.stop_times_dropped > 0) {
        char m[256];
        snprintf(m, sizeof m, "%ld stop time(s) of running trips at stops without coordinates dropped; the trips "
                 "pass those stops by", L.st.stop_times_dropped);
        pl_warn_add(ctx, "gtfs-stop-times-dropped", L.st.stop_times_dropped, m, ctx->echo_warnings);
    }
    pl_timetable *tt = pl_calloc(1, sizeof *tt);
    format_date(L.today, tt->service_date);
    fill_stops_routes(&L, tt);
    build_patterns(&L, tt, pre_trips);
    build_stop_index(tt);
    build_transfers(&L, tt);
    if (stats) *stats = L.st;
    loader_free(&L);
    *out = tt;
    return 0;
}
