/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth --gtfs: a SYNTHETIC timetable over the synthetic roads, for transit benchmarks.
 *
 * Lines (all on the region's roads; a bus never leaves them, so every stop lies on a road):
 *  - town lines: in every tätort of at least 1,000 residents, east-west and north-south lines
 *    about 800 m apart across its built-up area (a circle of its real area), stops every ~500 m
 *    (a stop within ~400 m of most homes, the planning norm);
 *  - regional lines: every tätort to its 4 nearest tätorter within 40 km, by the quickest road,
 *    stops every ~500 m inside the two towns and every --gtfs-rural-spacing metres (default
 *    1,000) between them, never on a road closed to walkers (motorways): nobody could reach it;
 *  - trains: between the tätorter of at least 15,000 residents, each to its 2 nearest such
 *    towns within 150 km, along the quickest road (a stand-in for the track) at 120 km/h,
 *    stopping at the towns of that set the road passes through.
 * Stops closer than ~120 m (one merge cell) are one stop, so lines that cross share it.
 * Headways by population (the smaller end town for regional lines and trains): 10 min from 50,000
 * residents, 20 from 10,000, 30 from 2,000, else 60. Service 05:00-23:00, both directions, first
 * departure offset drawn from the seed. Bus speed: 85 % of the road's speed, at most 90 km/h,
 * plus 20 s at each stop. Buses use roads both ways (the one-way ramps too; a simplification).
 * Trips are written once per line and direction with frequencies.txt rows (exact_times=1), so a
 * county's feed stays a few MB; the GTFS loader expands them into the scheduled trips.
 * The zip is stored (no compression) with fixed timestamps: the same region and seed give the
 * same bytes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_srs_api.h>

#include "analyses/synth/synth_gtfs.h"
#include "analyses/synth/synth_internal.h"
#include "gis/commit.h"
#include "gis/util.h"

#define SALT_GTFS 0x67746673ULL   /* "gtfs": its own stream, after every other purpose */
#define TOWN_SPACING_M 500.0
#define TOWN_LINES_MIN_POP 1000
#define TOWN_LINE_GAP_M 800.0   /* a stop within ~400 m of most homes: the planning norm */
#define STOP_MERGE_M 120.0
#define BUS_DWELL_S 20.0
#define TRAIN_DWELL_S 60.0
#define TRAIN_KMH 120.0
#define SERVICE_START_S (5 * 3600)
#define SERVICE_END_S (23 * 3600)

/* ---------- a growable text buffer ---------- */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k >= 0 && b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap ? b->cap * 2 : 65536) + (size_t)(k > 0 ? k : 0);
        b->s = pl_realloc(b->s, b->cap);
    }
}

/* ---------- a stored (uncompressed) zip with fixed timestamps ---------- */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ (unsigned char)p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void put16(FILE *f, unsigned v) { fputc(v & 0xff, f); fputc((v >> 8) & 0xff, f); }
static void put32(FILE *f, uint32_t v) { put16(f, v & 0xffff); put16(f, v >> 16); }

#define ZIP_DOS_DATE (((2024 - 1980) << 9) | (12 << 5) | 31)   /* PL_SYNTH_TIMESTAMP's day */

typedef struct zip_entry {
    const char *name;
    const sbuf *data;
} zip_entry;

static void zip_header(FILE *f, uint32_t sig, const zip_entry *e, uint32_t crc, uint32_t offset, int central)
{
    size_t len = strlen(e->name);
    put32(f, sig);
    if (central)
        put16(f, 20);          /* made by */
    put16(f, 10);              /* version needed: stored */
    put16(f, 0);               /* flags */
    put16(f, 0);               /* method: stored */
    put16(f, 0);               /* time 00:00 */
    put16(f, ZIP_DOS_DATE);
    put32(f, crc);
    put32(f, (uint32_t)e->data->n);
    put32(f, (uint32_t)e->data->n);
    put16(f, (unsigned)len);
    put16(f, 0);               /* extra */
    if (central) {
        put16(f, 0);           /* comment */
        put16(f, 0);           /* disk */
        put16(f, 0);           /* internal attributes */
        put32(f, 0);           /* external attributes */
        put32(f, offset);
    }
    fwrite(e->name, 1, len, f);
}

static int zip_write(FILE *f, const zip_entry *e, size_t n, pl_error *err)
{
    crc_init();
    uint32_t crc[16], off[16];
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (pos + e[i].data->n + 1024 > 0xffffffffULL)
            return pl_error_set(err, PL_EINTERNAL, "synthetic GTFS: larger than 4 GB (no zip64 here)");
        crc[i] = crc32_of(e[i].data->s ? e[i].data->s : "", e[i].data->n);
        off[i] = (uint32_t)pos;
        zip_header(f, 0x04034b50u, &e[i], crc[i], 0, 0);
        if (e[i].data->n)
            fwrite(e[i].data->s, 1, e[i].data->n, f);
        pos += 30 + strlen(e[i].name) + e[i].data->n;
    }
    uint64_t cd_start = pos, cd_size = 0;
    for (size_t i = 0; i < n; i++) {
        zip_header(f, 0x02014b50u, &e[i], crc[i], off[i], 1);
        cd_size += 46 + strlen(e[i].name);
    }
    put32(f, 0x06054b50u);
    put16(f, 0);
    put16(f, 0);
    put16(f, (unsigned)n);
    put16(f, (unsigned)n);
    put32(f, (uint32_t)cd_size);
    put32(f, (uint32_t)cd_start);
    put16(f, 0);
    if (ferror(f))
        return pl_error_set(err, PL_EINTERNAL, "synthetic GTFS: write failed");
    return PL_OK;
}

/* ---------- the road graph (both ways on every road but ferries and paths) ---------- */
typedef struct rgraph {
    size_t n;
    double *x, *y;            /* node positions */
    uint32_t *first;          /* CSR, n+1 */
    uint32_t *road;           /* per arc: road index */
    uint32_t *head;
    uint8_t *fwd;             /* 1: along the road's digitised direction */
    float *sec;               /* bus seconds */
    double *len;              /* per road: metres */
} rgraph;

static double bus_kmh(const pl_roads *rd, size_t i)
{
    double v = rd->speed_kmh[i] > 0 ? rd->speed_kmh[i] : pl_road_default_speed_kmh(rd->road_class[i]);
    if (v > 90)
        v = 90;
    return 0.85 * v;
}

static int road_for_bus(const pl_roads *rd, size_t i)
{
    int c = rd->road_class[i];
    return c != PL_ROAD_FERRY && c != PL_ROAD_FOOTWAY && c != PL_ROAD_CYCLEWAY && c != PL_ROAD_PATH &&
           c != PL_ROAD_STEPS && c != PL_ROAD_PEDESTRIAN && c != PL_ROAD_TRACK;
}

static void rgraph_build(const pl_synth_region *r, rgraph *g)
{
    const pl_roads *rd = &r->roads;
    g->n = r->n_nodes;
    g->x = pl_calloc(g->n + 1, sizeof *g->x);
    g->y = pl_calloc(g->n + 1, sizeof *g->y);
    g->first = pl_calloc(g->n + 2, sizeof *g->first);
    g->len = pl_calloc(rd->n + 1, sizeof *g->len);
    for (size_t i = 0; i < rd->n; i++) {
        size_t a = rd->first_vertex[i], b = rd->first_vertex[i + 1] - 1;
        g->x[r->road_node_a[i]] = rd->vx[a];
        g->y[r->road_node_a[i]] = rd->vy[a];
        g->x[r->road_node_b[i]] = rd->vx[b];
        g->y[r->road_node_b[i]] = rd->vy[b];
        for (size_t k = a; k < b; k++)
            g->len[i] += hypot(rd->vx[k + 1] - rd->vx[k], rd->vy[k + 1] - rd->vy[k]);
        if (road_for_bus(rd, i) && r->road_node_a[i] != r->road_node_b[i]) {
            g->first[r->road_node_a[i] + 1]++;
            g->first[r->road_node_b[i] + 1]++;
        }
    }
    for (size_t v = 0; v < g->n; v++)
        g->first[v + 1] += g->first[v];
    size_t m = g->first[g->n];
    g->road = pl_malloc((m + 1) * sizeof *g->road);
    g->head = pl_malloc((m + 1) * sizeof *g->head);
    g->fwd = pl_malloc(m + 1);
    g->sec = pl_malloc((m + 1) * sizeof *g->sec);
    uint32_t *fill = pl_malloc((g->n + 1) * sizeof *fill);
    memcpy(fill, g->first, g->n * sizeof *fill);
    for (size_t i = 0; i < rd->n; i++) {
        if (!road_for_bus(rd, i) || r->road_node_a[i] == r->road_node_b[i])
            continue;
        float s = (float)(g->len[i] / (bus_kmh(rd, i) / 3.6));
        uint32_t a = r->road_node_a[i], b = r->road_node_b[i];
        uint32_t k = fill[a]++;
        g->road[k] = (uint32_t)i, g->head[k] = b, g->fwd[k] = 1, g->sec[k] = s;
        k = fill[b]++;
        g->road[k] = (uint32_t)i, g->head[k] = a, g->fwd[k] = 0, g->sec[k] = s;
    }
    free(fill);
}

static void rgraph_free(rgraph *g)
{
    free(g->x), free(g->y), free(g->first), free(g->road), free(g->head), free(g->fwd), free(g->sec), free(g->len);
}

/* ---------- A* by bus time (heuristic: straight line at 90 km/h) ---------- */
typedef struct hent {
    double k;
    uint32_t v;
} hent;

typedef struct astar {
    double *d;
    uint32_t *via;            /* arc into the node */
    uint32_t *stamp, epoch;
    hent *h;
    size_t hn, hcap;
} astar;

static int hless(hent a, hent b) { return a.k < b.k || (a.k == b.k && a.v < b.v); }

static void hpush(astar *s, hent e)
{
    if (s->hn == s->hcap) {
        s->hcap = s->hcap ? 2 * s->hcap : 4096;
        s->h = pl_realloc(s->h, s->hcap * sizeof *s->h);
    }
    size_t i = s->hn++;
    while (i > 0 && hless(e, s->h[(i - 1) / 2])) {
        s->h[i] = s->h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->h[i] = e;
}

static hent hpop(astar *s)
{
    hent top = s->h[0], last = s->h[--s->hn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->hn)
            break;
        if (c + 1 < s->hn && hless(s->h[c + 1], s->h[c]))
            c++;
        if (!hless(s->h[c], last))
            break;
        s->h[i] = s->h[c];
        i = c;
    }
    if (s->hn)
        s->h[i] = last;
    return top;
}

/* Quickest path from a to b: the arcs in order (*arcs, *n). 0 when b cannot be reached. */
static int astar_path(const rgraph *g, astar *s, uint32_t a, uint32_t b, uint32_t **arcs, size_t *n)
{
    const double inv_v = 3.6 / (0.85 * 90.0);
    if (++s->epoch == 0) {
        memset(s->stamp, 0, g->n * sizeof *s->stamp);
        s->epoch = 1;
    }
    s->hn = 0;
    s->stamp[a] = s->epoch, s->d[a] = 0, s->via[a] = UINT32_MAX;
    hpush(s, (hent){hypot(g->x[a] - g->x[b], g->y[a] - g->y[b]) * inv_v, a});
    int found = 0;
    while (s->hn) {
        hent e = hpop(s);
        uint32_t u = e.v;
        double hu = hypot(g->x[u] - g->x[b], g->y[u] - g->y[b]) * inv_v;
        if (e.k > s->d[u] + hu + 1e-9)
            continue;
        if (u == b) {
            found = 1;
            break;
        }
        for (uint32_t k = g->first[u]; k < g->first[u + 1]; k++) {
            uint32_t v = g->head[k];
            double nd = s->d[u] + g->sec[k];
            if (s->stamp[v] != s->epoch || nd < s->d[v]) {
                s->stamp[v] = s->epoch, s->d[v] = nd, s->via[v] = k;
                hpush(s, (hent){nd + hypot(g->x[v] - g->x[b], g->y[v] - g->y[b]) * inv_v, v});
            }
        }
    }
    *n = 0;
    if (!found)
        return 0;
    /* walk back: the tail of arc k is the node whose CSR range holds k */
    size_t cnt = 0, cap = 64;
    uint32_t *out = pl_malloc(cap * sizeof *out);
    for (uint32_t v = b; v != a;) {
        uint32_t k = s->via[v];
        if (cnt == cap)
            out = pl_realloc(out, (cap *= 2) * sizeof *out);
        out[cnt++] = k;
        uint32_t lo = 0, hi = (uint32_t)g->n;   /* binary search for the CSR row holding k */
        while (hi - lo > 1) {
            uint32_t mid = (lo + hi) / 2;
            if (g->first[mid] <= k)
                lo = mid;
            else
                hi = mid;
        }
        v = lo;
    }
    for (size_t i = 0; i < cnt / 2; i++) {
        uint32_t t = out[i];
        out[i] = out[cnt - 1 - i];
        out[cnt - 1 - i] = t;
    }
    *arcs = out;
    *n = cnt;
    return 1;
}

/* ---------- stops and lines ---------- */
typedef struct feed {
    /* stops */
    double *sx, *sy;
    uint8_t *s_train;
    size_t ns, caps;
    sy_ihash stop_at;         /* merge cell -> stop */
    /* lines: stop sequence and seconds from the first stop */
    uint32_t *lstop;
    int32_t *lsec;
    size_t nl_items, capl;
    uint32_t *lfirst;         /* per line: into lstop/lsec; nl+1 */
    int *lheadway;            /* minutes */
    uint8_t *ltype;           /* 3 bus, 2 rail */
    char **lname;
    size_t nl, caplines;
    size_t n_town_lines, n_regional_lines, n_train_lines;
} feed;

static uint32_t feed_stop(feed *f, double x, double y, int train)
{
    int64_t cx = (int64_t)floor(x / STOP_MERGE_M), cy = (int64_t)floor(y / STOP_MERGE_M);
    uint64_t key = ((uint64_t)(cx & 0x3fffffff) << 31) ^ (uint64_t)(cy & 0x3fffffff) ^ ((uint64_t)train << 62);
    uint32_t s = sy_ihash_get(&f->stop_at, key);
    if (s != UINT32_MAX)
        return s;
    if (f->ns == f->caps) {
        f->caps = f->caps ? 2 * f->caps : 4096;
        f->sx = pl_realloc(f->sx, f->caps * sizeof *f->sx);
        f->sy = pl_realloc(f->sy, f->caps * sizeof *f->sy);
        f->s_train = pl_realloc(f->s_train, f->caps);
    }
    f->sx[f->ns] = x, f->sy[f->ns] = y, f->s_train[f->ns] = (uint8_t)train;
    sy_ihash_put(&f->stop_at, key, (uint32_t)f->ns);
    return (uint32_t)f->ns++;
}

static void line_item(feed *f, uint32_t stop, double sec)
{
    size_t start = f->lfirst[f->nl];
    if (f->nl_items > start && f->lstop[f->nl_items - 1] == stop)
        return;   /* merged into the previous stop */
    if (f->nl_items == f->capl) {
        f->capl = f->capl ? 2 * f->capl : 65536;
        f->lstop = pl_realloc(f->lstop, f->capl * sizeof *f->lstop);
        f->lsec = pl_realloc(f->lsec, f->capl * sizeof *f->lsec);
    }
    f->lstop[f->nl_items] = stop;
    f->lsec[f->nl_items] = (int32_t)lround(sec);
    f->nl_items++;
}

/* Closes the line begun at lfirst[nl]: kept when it has at least two stops. */
static void line_end(feed *f, int headway, int type, char *name)
{
    if (f->nl_items - f->lfirst[f->nl] < 2) {
        f->nl_items = f->lfirst[f->nl];
        free(name);
        return;
    }
    if (f->nl + 2 > f->caplines) {
        f->caplines = f->caplines ? 2 * f->caplines : 1024;
        f->lfirst = pl_realloc(f->lfirst, (f->caplines + 1) * sizeof *f->lfirst);
        f->lheadway = pl_realloc(f->lheadway, f->caplines * sizeof *f->lheadway);
        f->ltype = pl_realloc(f->ltype, f->caplines);
        f->lname = pl_realloc(f->lname, f->caplines * sizeof *f->lname);
    }
    f->lheadway[f->nl] = headway;
    f->ltype[f->nl] = (uint8_t)type;
    f->lname[f->nl] = name;
    f->nl++;
    f->lfirst[f->nl] = (uint32_t)f->nl_items;
    if (type == 2)
        f->n_train_lines++;
}

static void feed_init(feed *f)
{
    memset(f, 0, sizeof *f);
    sy_ihash_init(&f->stop_at, 1 << 16);
    f->caplines = 1024;
    f->lfirst = pl_calloc(f->caplines + 1, sizeof *f->lfirst);
    f->lheadway = pl_malloc(f->caplines * sizeof *f->lheadway);
    f->ltype = pl_malloc(f->caplines);
    f->lname = pl_malloc(f->caplines * sizeof *f->lname);
}

static void feed_free(feed *f)
{
    free(f->sx), free(f->sy), free(f->s_train), free(f->lstop), free(f->lsec), free(f->lfirst), free(f->lheadway);
    free(f->ltype);
    for (size_t i = 0; i < f->nl; i++)
        free(f->lname[i]);
    free(f->lname);
    sy_ihash_free(&f->stop_at);
}

typedef struct town_zone {
    double x, y, r;
} town_zone;

static int in_zone(const town_zone *z, int nz, double x, double y)
{
    for (int i = 0; i < nz; i++)
        if (hypot(x - z[i].x, y - z[i].y) <= z[i].r)
            return 1;
    return 0;
}

/* A bus line along the arcs: stops at the start, every spacing metres (town or rural), at the end. */
static void bus_line(feed *f, const pl_synth_region *r, const rgraph *g, const uint32_t *arcs, size_t n,
                     const town_zone *z, int nz, double rural_m)
{
    const pl_roads *rd = &r->roads;
    double since = 0, sec = 0, dwell = 0;
    int first = 1;
    double lx = 0, ly = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = arcs[i], ri = g->road[k];
        size_t a = rd->first_vertex[ri], b = rd->first_vertex[ri + 1] - 1;
        double ms = bus_kmh(rd, ri) / 3.6;
        /* no stop on a road closed to walkers: nobody could walk to it */
        int walkable = !(rd->flags[ri] & PL_ROAD_NO_FOOT) && rd->road_class[ri] != PL_ROAD_MOTORWAY;
        for (size_t j = 0; j <= b - a; j++) {
            size_t v = g->fwd[k] ? a + j : b - j;
            double x = rd->vx[v], y = rd->vy[v];
            if (first) {
                line_item(f, feed_stop(f, x, y, 0), 0);
                first = 0;
                lx = x, ly = y;
                continue;
            }
            if (j == 0)
                continue;
            double d = hypot(x - lx, y - ly);
            since += d;
            sec += d / ms;
            lx = x, ly = y;
            double want = in_zone(z, nz, x, y) ? TOWN_SPACING_M : rural_m;
            int last = i + 1 == n && j == b - a;
            if ((since >= want && walkable) || last) {
                dwell += BUS_DWELL_S;
                line_item(f, feed_stop(f, x, y, 0), sec + dwell);
                since = 0;
            }
        }
    }
}

static int headway_for(int64_t pop)
{
    return pop >= 50000 ? 10 : pop >= 10000 ? 20 : pop >= 2000 ? 30 : 60;
}

static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return pl_strdup(buf);
}

static double town_radius(const pl_synth_region *r, size_t t)
{
    double rad = sqrt((double)r->loc_area_ha[t] * 1e4 / 3.14159265358979);
    return rad < 400 ? 400 : rad;
}

static int node_has_arcs(uint32_t j, void *user)
{
    const rgraph *g = user;
    return g->first[j + 1] > g->first[j];
}

/* Nearest road node with a bus arc to (x, y), within max_d. */
static uint32_t nearest_node(const sy_grid *gi, const rgraph *g, double x, double y, double max_d)
{
    double d;
    return sy_grid_nearest(gi, x, y, max_d, node_has_arcs, (void *)g, &d);
}

static void town_lines(feed *f, const pl_synth_region *r, const rgraph *g, astar *s, const sy_grid *gi)
{
    for (size_t t = 0; t < r->n_localities; t++) {
        if (r->loc_pop[t] < TOWN_LINES_MIN_POP || r->loc_node[t] < 0)
            continue;
        double R = town_radius(r, t), cx = r->loc_x[t], cy = r->loc_y[t];
        int L = (int)lround(2 * R / TOWN_LINE_GAP_M);
        L = L < 1 ? 1 : L > 30 ? 30 : L;
        town_zone z = {cx, cy, R * 1.1};
        for (int axis = 0; axis < 2; axis++)
            for (int k = 0; k < L; k++) {
                double o = (k - (L - 1) / 2.0) * (2 * R / L);
                double x0 = axis ? cx + o : cx - R, y0 = axis ? cy - R : cy + o;
                double x1 = axis ? cx + o : cx + R, y1 = axis ? cy + R : cy + o;
                uint32_t a = nearest_node(gi, g, x0, y0, R), b = nearest_node(gi, g, x1, y1, R);
                uint32_t *arcs = NULL;
                size_t n = 0;
                if (a == UINT32_MAX || b == UINT32_MAX || a == b || !astar_path(g, s, a, b, &arcs, &n))
                    continue;
                bus_line(f, r, g, arcs, n, &z, 1, TOWN_SPACING_M);
                free(arcs);
                size_t before = f->nl;
                line_end(f, headway_for(r->loc_pop[t]), 3,
                         str_printf("SYNTHETIC %s %s %d", r->loc_name[t], axis ? "N-S" : "E-W", k + 1));
                f->n_town_lines += f->nl - before;
            }
    }
}

typedef struct pair {
    uint32_t a, b;
} pair;

static int pair_cmp(const void *x, const void *y)
{
    const pair *p = x, *q = y;
    return p->a != q->a ? (p->a < q->a ? -1 : 1) : p->b != q->b ? (p->b < q->b ? -1 : 1) : 0;
}

/* Pairs of towns: each (of those passing keep) to its k nearest within max_m. Sorted, unique. */
static pair *town_pairs(const pl_synth_region *r, int64_t min_pop, int k, double max_m, size_t *n_out)
{
    size_t cap = 1024, n = 0;
    pair *p = pl_malloc(cap * sizeof *p);
    for (size_t i = 0; i < r->n_localities; i++) {
        if (r->loc_pop[i] < min_pop || r->loc_node[i] < 0)
            continue;
        size_t best[8];
        double bd[8];
        int nb = 0;
        for (size_t j = 0; j < r->n_localities; j++) {
            if (j == i || r->loc_pop[j] < min_pop || r->loc_node[j] < 0 || r->loc_node[j] == r->loc_node[i])
                continue;
            double d = hypot(r->loc_x[i] - r->loc_x[j], r->loc_y[i] - r->loc_y[j]);
            if (d > max_m || (nb == k && d >= bd[nb - 1]))
                continue;
            int q = nb < k ? nb++ : nb - 1;
            while (q > 0 && bd[q - 1] > d) {
                bd[q] = bd[q - 1], best[q] = best[q - 1];
                q--;
            }
            bd[q] = d, best[q] = j;
        }
        for (int q = 0; q < nb; q++) {
            if (n == cap)
                p = pl_realloc(p, (cap *= 2) * sizeof *p);
            p[n++] = (pair){(uint32_t)(i < best[q] ? i : best[q]), (uint32_t)(i < best[q] ? best[q] : i)};
        }
    }
    qsort(p, n, sizeof *p, pair_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || pair_cmp(&p[u - 1], &p[i]))
            p[u++] = p[i];
    *n_out = u;
    return p;
}

static void regional_lines(feed *f, const pl_synth_region *r, const rgraph *g, astar *s, double rural_m)
{
    size_t np;
    pair *p = town_pairs(r, 0, 4, 40000, &np);
    for (size_t i = 0; i < np; i++) {
        size_t a = p[i].a, b = p[i].b;
        uint32_t *arcs = NULL;
        size_t n = 0;
        if (!astar_path(g, s, (uint32_t)r->loc_node[a], (uint32_t)r->loc_node[b], &arcs, &n))
            continue;
        town_zone z[2] = {{r->loc_x[a], r->loc_y[a], town_radius(r, a)}, {r->loc_x[b], r->loc_y[b], town_radius(r, b)}};
        bus_line(f, r, g, arcs, n, z, 2, rural_m);
        free(arcs);
        size_t before = f->nl;
        int32_t pop = r->loc_pop[a] < r->loc_pop[b] ? r->loc_pop[a] : r->loc_pop[b];
        line_end(f, headway_for(pop), 3, str_printf("SYNTHETIC %s - %s", r->loc_name[a], r->loc_name[b]));
        f->n_regional_lines += f->nl - before;
    }
    free(p);
}

static void train_lines(feed *f, const pl_synth_region *r, const rgraph *g, astar *s)
{
    size_t np;
    pair *p = town_pairs(r, 15000, 2, 150000, &np);
    /* the train towns by node, to stop where the road passes one */
    sy_ihash town_at;
    sy_ihash_init(&town_at, 256);
    for (size_t t = 0; t < r->n_localities; t++)
        if (r->loc_pop[t] >= 15000 && r->loc_node[t] >= 0 && sy_ihash_get(&town_at, (uint64_t)r->loc_node[t]) == UINT32_MAX)
            sy_ihash_put(&town_at, (uint64_t)r->loc_node[t], (uint32_t)t);
    for (size_t i = 0; i < np; i++) {
        size_t a = p[i].a, b = p[i].b;
        uint32_t *arcs = NULL;
        size_t n = 0;
        uint32_t na = (uint32_t)r->loc_node[a];
        if (!astar_path(g, s, na, (uint32_t)r->loc_node[b], &arcs, &n))
            continue;
        double m = 0, dwell = 0;
        line_item(f, feed_stop(f, g->x[na], g->y[na], 1), 0);
        for (size_t k = 0; k < n; k++) {
            m += g->len[g->road[arcs[k]]];
            uint32_t v = g->head[arcs[k]];
            if (sy_ihash_get(&town_at, v) != UINT32_MAX) {
                line_item(f, feed_stop(f, g->x[v], g->y[v], 1), m / (TRAIN_KMH / 3.6) + dwell);
                dwell += TRAIN_DWELL_S;
            }
        }
        free(arcs);
        int32_t pop = r->loc_pop[a] < r->loc_pop[b] ? r->loc_pop[a] : r->loc_pop[b];
        line_end(f, pop >= 50000 ? 30 : 60, 2, str_printf("SYNTHETIC tåg %s - %s", r->loc_name[a], r->loc_name[b]));
    }
    sy_ihash_free(&town_at);
    free(p);
}

/* ---------- writing ---------- */
static int stops_lonlat(const feed *f, double **lon, double **lat, pl_error *err)
{
    OGRSpatialReferenceH from = OSRNewSpatialReference(NULL), to = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = NULL;
    if (OSRImportFromEPSG(from, 3006) == OGRERR_NONE && OSRImportFromEPSG(to, 4326) == OGRERR_NONE)
        ct = OCTNewCoordinateTransformation(from, to);
    OSRDestroySpatialReference(from);
    OSRDestroySpatialReference(to);
    if (!ct)
        return pl_error_set(err, PL_EINTERNAL, "synthetic GTFS: cannot transform EPSG:3006 to WGS84 (PROJ data?)");
    *lon = pl_malloc((f->ns + 1) * sizeof **lon);
    *lat = pl_malloc((f->ns + 1) * sizeof **lat);
    memcpy(*lon, f->sx, f->ns * sizeof **lon);
    memcpy(*lat, f->sy, f->ns * sizeof **lat);
    int ok = f->ns == 0 || OCTTransform(ct, (int)f->ns, *lon, *lat, NULL);
    OCTDestroyCoordinateTransformation(ct);
    if (!ok) {
        free(*lon), free(*lat);
        return pl_error_set(err, PL_EINTERNAL, "synthetic GTFS: stops could not be transformed to WGS84");
    }
    return PL_OK;
}

/* A CSV field, quoted (tätort names may hold commas or quotes). */
static void csv_field(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; *s; s++)
        sb_printf(b, *s == '"' ? "\"\"" : "%c", *s);
    sb_printf(b, "\"");
}

static void hms(sbuf *b, long s)
{
    sb_printf(b, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

static int write_feed(const feed *f, const pl_synth_region *r, const char *path, size_t *n_expanded, pl_error *err)
{
    double *lon = NULL, *lat = NULL;
    if (stops_lonlat(f, &lon, &lat, err) != PL_OK)
        return err->code;
    sbuf agency = {0}, info = {0}, stops = {0}, routes = {0}, trips = {0}, st = {0}, freq = {0}, cal = {0};
    unsigned long long seed = (unsigned long long)r->opts.seed;
    sb_printf(&agency, "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
              "SYN,SYNTHETIC platsa synth %s seed %llu (not a real timetable),https://example.invalid/platsa-synth,"
              "Europe/Stockholm,sv\n", r->region_code, seed);
    sb_printf(&info, "feed_publisher_name,feed_publisher_url,feed_lang,feed_version\n"
              "SYNTHETIC platsa synth,https://example.invalid/platsa-synth,sv,SYNTHETIC %s seed %llu\n",
              r->region_code, seed);
    sb_printf(&cal, "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
              "WEEKDAY,1,1,1,1,1,0,0,20240101,20261231\n");
    sb_printf(&stops, "stop_id,stop_name,stop_lat,stop_lon,location_type\n");
    for (size_t i = 0; i < f->ns; i++)
        sb_printf(&stops, "%c%06zu,SYNTHETIC %s %zu,%.6f,%.6f,0\n", f->s_train[i] ? 'T' : 'S', i,
                  f->s_train[i] ? "station" : "stop", i, lat[i], lon[i]);
    free(lon), free(lat);
    sb_printf(&routes, "route_id,agency_id,route_short_name,route_long_name,route_type\n");
    sb_printf(&trips, "route_id,service_id,trip_id,direction_id\n");
    sb_printf(&st, "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n");
    sb_printf(&freq, "trip_id,start_time,end_time,headway_secs,exact_times\n");
    for (size_t l = 0; l < f->nl; l++) {
        sb_printf(&routes, "R%zu,SYN,%zu,", l, l + 1);
        csv_field(&routes, f->lname[l]);
        sb_printf(&routes, ",%d\n", f->ltype[l]);
        uint32_t a = f->lfirst[l], b = f->lfirst[l + 1];
        int32_t total = f->lsec[b - 1];
        for (int dir = 0; dir < 2; dir++) {
            sy_rng rng = sy_stream(r->opts.seed, SALT_GTFS, l, (uint64_t)dir);
            long hw = 60L * f->lheadway[l];
            long start = SERVICE_START_S + 60L * (long)sy_below(&rng, (uint32_t)f->lheadway[l]);
            sb_printf(&trips, "R%zu,WEEKDAY,R%zu_%d,%d\n", l, l, dir, dir);
            *n_expanded += (size_t)((SERVICE_END_S - start + hw - 1) / hw);
            for (uint32_t i = a; i < b; i++) {
                uint32_t k = dir ? b - 1 - (i - a) : i;
                long t = dir ? total - f->lsec[k] : f->lsec[k];
                sb_printf(&st, "R%zu_%d,", l, dir);
                hms(&st, start + t);
                sb_printf(&st, ",");
                hms(&st, start + t);
                sb_printf(&st, ",%c%06u,%u\n", f->s_train[f->lstop[k]] ? 'T' : 'S', f->lstop[k], i - a + 1);
            }
            sb_printf(&freq, "R%zu_%d,", l, dir);
            hms(&freq, start);
            sb_printf(&freq, ",");
            hms(&freq, SERVICE_END_S);
            sb_printf(&freq, ",%ld,1\n", hw);
        }
    }
    zip_entry e[] = {{"agency.txt", &agency}, {"feed_info.txt", &info}, {"calendar.txt", &cal},
                     {"stops.txt", &stops}, {"routes.txt", &routes}, {"trips.txt", &trips},
                     {"stop_times.txt", &st}, {"frequencies.txt", &freq}};
    pl_commit *c = pl_commit_new();
    FILE *out = pl_commit_temp_open(c, path, err);
    int rc = out ? zip_write(out, e, sizeof e / sizeof e[0], err) : (int)err->code;
    if (rc == PL_OK)
        rc = pl_commit_run(c, err);
    pl_commit_free(c);
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        free(e[i].data->s);
    return rc;
}

int pl_synth_write_gtfs(pl_ctx *ctx, const pl_synth_region *r, const char *path, double rural_spacing_m,
                        pl_synth_gtfs_stats *stats, pl_error *err)
{
    (void)ctx;
    rgraph g;
    rgraph_build(r, &g);
    astar s = {0};
    s.d = pl_malloc((g.n + 1) * sizeof *s.d);
    s.via = pl_malloc((g.n + 1) * sizeof *s.via);
    s.stamp = pl_calloc(g.n + 1, sizeof *s.stamp);
    sy_grid gi;
    sy_grid_build(&gi, g.x, g.y, g.n, 500.0);
    feed f;
    feed_init(&f);
    town_lines(&f, r, &g, &s, &gi);
    regional_lines(&f, r, &g, &s, rural_spacing_m);
    train_lines(&f, r, &g, &s);
    size_t n_expanded = 0;
    int rc = write_feed(&f, r, path, &n_expanded, err);
    if (rc == PL_OK && stats) {
        memset(stats, 0, sizeof *stats);
        stats->n_stops = f.ns;
        stats->n_routes = f.nl;
        stats->n_trips = 2 * f.nl;
        stats->n_trips_expanded = n_expanded;
        stats->n_stop_times = f.nl_items * 2;
        stats->n_town_lines = f.n_town_lines;
        stats->n_regional_lines = f.n_regional_lines;
        stats->n_train_lines = f.n_train_lines;
    }
    feed_free(&f);
    sy_grid_free(&gi);
    free(s.d), free(s.via), free(s.stamp), free(s.h);
    rgraph_free(&g);
    return rc;
}
