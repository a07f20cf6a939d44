/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Roads loader: any GDAL lines source (OSM/OSMnx exports, Geofabrik shapefiles, NVDB-
 * style data, plain lines) into pl_roads arrays in the working CRS.
 *
 * Fields are found by name (case-insensitive), the first present of:
 *   class   highway, fclass, class, klass, vagklass, vägklass
 *           OSM highway values; OSMnx lists "['living_street', 'residential']" -> first;
 *           Geofabrik "track_grade3" -> track; a numeric class is taken as the Swedish
 *           functional road class (funktionell vägklass 0-9): 0-1 trunk, 2 primary,
 *           3 secondary, 4 tertiary, 5-6 unclassified, 7 residential, 8 service, 9 track.
 *           No class field: every line is "other" (50 km/h by car).
 *           proposed/construction/abandoned/disused/razed/planned lines are skipped.
 *   speed   maxspeed, hastighet, speed_kmh, speed, maxspeed_kmh
 *           "50", "50 km/h", "30 mph" (converted), "SE:urban" 50, "SE:rural" 70,
 *           "SE:motorway" 110, "SE:living_street"/"walk" 7; lists ("['50', '30']",
 *           "50;30") take the LOWEST value (the binding limit on part of the way);
 *           "none", "signals", "variable" and unparsable values mean unknown (class default).
 *   oneway  oneway, enkelriktad: yes/true/1/T(rue) -> along the line, -1/reverse -> against,
 *           no/false/0 -> both; Geofabrik F/T/B (forward/backward/both). A roundabout
 *           (junction=roundabout/circular) without a oneway value is one-way.
 *   access  access (no/private close every mode; psv/bus/agricultural/forestry/delivery/
 *           emergency close cars only), motor_vehicle and motorcar (no/private close cars),
 *           foot, bicycle (no closes; yes/designated/permissive reopen), motorroad=yes
 *           (motortrafikled: no bikes, no pedestrians), oneway:bicycle / oneway_bicycle = no.
 *           NVDB's Motorvag / Motortrafikled (any value but no/0/empty) close a road to bikes
 *           and pedestrians as motorroad=yes does; such roads carry no places by car either
 *           (pl_road_attachable: a car enters them at junctions only).
 *   bridge, tunnel  any value but no/false/0/F (OSM "yes", "viaduct", "building_passage",
 *           Geofabrik "T"); layer (integer, default 0); indoor (yes); route=ferry or class
 *           "ferry" marks a ferry.
 *   id      the --id field, else osm_id, osmid, id; else the feature id.
 *   source, target  topology ids (integers) of the line's first and last vertex, as pgRouting,
 *           osm2pgrouting and platsa import-osm write them (else OSMnx's u, v); taken when both
 *           are integer fields (or named by --source-field/--target-field): the graph joins lines where ids
 *           are equal and nowhere else (gis/graph.h). Every line needs both (an empty or non-
 *           integer id and a feature of several lines are refused, naming the feature); a
 *           zero-length line with source == target is skipped and counted, one between two
 *           ids kept (a connector).
 * MultiLineStrings are split into parts; consecutive repeated vertices are dropped; lines
 * with fewer than two distinct vertices are skipped with a counted warning, and so are lines
 * with a coordinate that is not a number or huge (geometry-bad-coordinates).
 *
 * Directed exports (OSMnx writes a two-way street as two records, u->v and v->u, with
 * reversed geometry and oneway=0): a two-way line whose geometry equals, vertex for vertex
 * in either direction, a two-way line already read is dropped, so each street is in the
 * graph once and a place on it can go both ways. */
#include "layers.h"
#include "gis/vector.h"
#include "internal.h"
#include "road_values.h"
#include "road_profiles.h"
#include "batch_reader.h"
#include "wkb.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

/* ---------- value parsing ---------- */

/* Copies the first element of an OSMnx stringified list ("['a', 'b']" -> "a"), or the
 * value itself trimmed, into buf. */
static const char *first_of(const char *s, char *buf, size_t size)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '[')
        s++;
    while (isspace((unsigned char)*s) || *s == '\'' || *s == '"')
        s++;
    size_t n = 0;
    while (s[n] && s[n] != ',' && s[n] != ']' && s[n] != '\'' && s[n] != '"' && s[n] != ';')
        n++;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static int is_no(const char *v)
{
    return !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "f") ||
           !strcasecmp(v, "n") || !strcasecmp(v, "nej");
}

static int is_yes(const char *v)
{
    return !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "t") ||
           !strcasecmp(v, "y") || !strcasecmp(v, "ja");
}

/* One speed value in km/h, 0 if unknown. */
static double parse_one_speed(const char *s)
{
    while (isspace((unsigned char)*s) || *s == '\'' || *s == '"')
        s++;
    static const struct {
        const char *name;
        double kmh;
    } zones[] = {{"SE:urban", 50}, {"SE:rural", 70}, {"SE:motorway", 110}, {"SE:trunk", 90},
                 {"SE:living_street", 7}, {"walk", 7}};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        if (!strncasecmp(s, zones[i].name, strlen(zones[i].name)))
            return zones[i].kmh;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v <= 0)
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (!strncasecmp(end, "mph", 3))
        v *= 1.609344;
    else if (!strncasecmp(end, "knots", 5))
        v *= 1.852;
    return v > 300 ? 0 : v;
}

/* maxspeed text: lists take the lowest value. */
static double parse_speed(const char *s)
{
    double best = 0;
    const char *p = s;
    while (*p) {
        while (*p == '[' || *p == ',' || *p == ';' || *p == '|' || isspace((unsigned char)*p))
            p++;
        if (!*p || *p == ']')
            break;
        double v = parse_one_speed(p);
        if (v > 0 && (best == 0 || v < best))
            best = v;
        while (*p && *p != ',' && *p != ';' && *p != '|' && *p != ']')
            p++;
    }
    return best;
}

/* Class from a field value; returns -1 for lines to skip (not built). */
static int parse_class(const char *raw, int *skip_not_built)
{
    char v[128];
    first_of(raw, v, sizeof v);
    *skip_not_built = 0;
    if (!*v)
        return PL_ROAD_OTHER;
    static const char *const not_built[] = {"proposed", "construction", "abandoned", "disused", "razed", "planned",
                                            "no"};
    for (size_t i = 0; i < sizeof not_built / sizeof not_built[0]; i++)
        if (!strcasecmp(v, not_built[i])) {
            *skip_not_built = 1;
            return -1;
        }
    char *end;
    long num = strtol(v, &end, 10);
    if (end != v && *end == '\0') {
        static const int frc[10] = {PL_ROAD_TRUNK,        PL_ROAD_TRUNK,        PL_ROAD_PRIMARY,  PL_ROAD_SECONDARY,
                                    PL_ROAD_TERTIARY,     PL_ROAD_UNCLASSIFIED, PL_ROAD_UNCLASSIFIED,
                                    PL_ROAD_RESIDENTIAL,  PL_ROAD_SERVICE,      PL_ROAD_TRACK};
        return num >= 0 && num <= 9 ? frc[num] : PL_ROAD_OTHER;
    }
    pl_road_class c = pl_road_class_from_name(v);
    if (c == PL_ROAD_OTHER && !strncasecmp(v, "track", 5))
        c = PL_ROAD_TRACK;
    return (int)c;
}

static int parse_oneway(const char *raw, int geofabrik)
{
    char v[64];
    first_of(raw, v, sizeof v);
    if (!*v)
        return 0;
    if (geofabrik && (!strcasecmp(v, "F") || !strcasecmp(v, "T") || !strcasecmp(v, "B")))
        return !strcasecmp(v, "F") ? 1 : !strcasecmp(v, "T") ? -1 : 0;
    if (!strcmp(v, "-1") || !strcasecmp(v, "reverse"))
        return -1;
    return is_yes(v) ? 1 : 0;
}

/* ---------- loader state ---------- */

typedef struct fields {
    int cls, speed, oneway, access, motor_vehicle, motorcar, foot, bicycle, bridge, tunnel, layer, indoor, route,
        junction, oneway_bicycle, motorroad, id;
    int source, target;   /* topology ids of the line's first and last vertex, or -1 */
    int car, bike;        /* platsa import-osm's 0/1 access flags per mode */
    /* road profiles beyond OSM's tags (share/road_profiles.ini: NVDB) */
    int speed_back, forbid_fwd, forbid_back, forbid_dir, ferry, motorway, car_net;
    char *const *car_net_values; /* car_net values that mean open to cars */
    int geofabrik_oneway; /* the oneway field uses F/T/B */
} fields;

/* Every field index of F, for the batch reader and the attribute memo. */
#define FIELD_LIST(F)                                                                                            \
    {(F)->cls, (F)->speed, (F)->oneway, (F)->access, (F)->motor_vehicle, (F)->motorcar, (F)->foot, (F)->bicycle, \
     (F)->bridge, (F)->tunnel, (F)->layer, (F)->indoor, (F)->route, (F)->junction, (F)->oneway_bicycle,          \
     (F)->motorroad, (F)->car, (F)->bike, (F)->speed_back, (F)->forbid_fwd, (F)->forbid_back, (F)->forbid_dir,   \
     (F)->ferry, (F)->motorway, (F)->car_net}

/* A kept two-way line: its geometry hash and line + 1 (0: empty slot), side by side so a
 * probe is one cache miss. */
typedef struct dup_slot {
    uint64_t hash;
    uint32_t line1;
} dup_slot;

typedef struct builder {
    pl_roads *r;
    size_t cap_lines, cap_vertices;
    /* two-way duplicate detection: open addressing over canonical geometry hashes */
    dup_slot *dup;        /* calloc'd: untouched slots cost no memory */
    size_t dup_cap, dup_used;
    size_t n_dups;
    /* batch reads: two-way lines kept with their hashes, copies removed at the end
     * (dedup_deferred): sorting beats a probe per line into a table of a few hundred MB */
    int deferred;
    dup_slot *two_way;
    size_t n_two_way, cap_two_way;
    /* topology ids (fields source/target): the first refusal ends the read */
    int topo;
    int failed;
    pl_error *err;
    size_t n_zero_loops;
} builder;

/* Asks for transparent huge pages on a big array: millions of lines fault in and miss the
 * TLB far less (a third of a large load went to page faults). Only advice. */
static void want_huge_pages(void *p, size_t bytes)
{
    const uintptr_t page = 4096;
    if (bytes < ((size_t)4 << 20))
        return;
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE);
}

static void builder_reserve(builder *b, size_t lines, size_t vertices)
{
    pl_roads *r = b->r;
    if (r->n + lines > b->cap_lines) {
        size_t cap = b->cap_lines ? b->cap_lines : 1024;
        while (cap < r->n + lines)
            cap *= 2;
        r->first_vertex = pl_realloc(r->first_vertex, (cap + 1) * sizeof *r->first_vertex);
        r->id = pl_realloc(r->id, cap * sizeof *r->id);
        r->road_class = pl_realloc(r->road_class, cap);
        r->speed_kmh = pl_realloc(r->speed_kmh, cap * sizeof *r->speed_kmh);
        r->oneway = pl_realloc(r->oneway, cap);
        r->flags = pl_realloc(r->flags, cap);
        r->layer = pl_realloc(r->layer, cap);
        if (b->topo) {
            r->node_source = pl_realloc(r->node_source, cap * sizeof *r->node_source);
            r->node_target = pl_realloc(r->node_target, cap * sizeof *r->node_target);
        }
        b->cap_lines = cap;
        want_huge_pages(r->first_vertex, (cap + 1) * sizeof *r->first_vertex);
        want_huge_pages(r->id, cap * sizeof *r->id);
    }
    size_t nv = r->first_vertex[r->n];
    if (nv + vertices > b->cap_vertices) {
        size_t cap = b->cap_vertices ? b->cap_vertices : 8192;
        while (cap < nv + vertices)
            cap *= 2;
        r->vx = pl_realloc(r->vx, cap * sizeof *r->vx);
        r->vy = pl_realloc(r->vy, cap * sizeof *r->vy);
        b->cap_vertices = cap;
        want_huge_pages(r->vx, cap * sizeof *r->vx);
        want_huge_pages(r->vy, cap * sizeof *r->vy);
    }
}

static uint64_t geom_hash(const double *x, const double *y, size_t n, int reversed)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (size_t k = 0; k < n; k++) {
        size_t i = reversed ? n - 1 - k : k;
        uint64_t w[2];
        memcpy(&w[0], &x[i], 8);
        memcpy(&w[1], &y[i], 8);
        for (int j = 0; j < 2; j++) {
            h ^= w[j] * 0xff51afd7ed558ccdULL;
            h = ((h << 31) | (h >> 33)) * 0xc4ceb9fe1a85ec53ULL;
        }
    }
    return h ^ (h >> 29);
}

/* Canonical orientation: the one starting at the lexicographically smaller end. */
static int canon_reversed(const double *x, const double *y, size_t n)
{
    return x[n - 1] < x[0] || (x[n - 1] == x[0] && y[n - 1] < y[0]);
}

static int same_geometry(const pl_roads *r, uint32_t line, const double *x, const double *y, size_t n)
{
    size_t f = r->first_vertex[line], m = r->first_vertex[line + 1] - f;
    if (m != n)
        return 0;
    int fwd = 1, rev = 1;
    for (size_t i = 0; i < n && (fwd || rev); i++) {
        if (r->vx[f + i] != x[i] || r->vy[f + i] != y[i])
            fwd = 0;
        if (r->vx[f + i] != x[n - 1 - i] || r->vy[f + i] != y[n - 1 - i])
            rev = 0;
    }
    return fwd || rev;
}

/* Sorts one bucket of two-way lines by hash, then line (insertion sort: buckets are small). */
static void sort_bucket(dup_slot *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        dup_slot t = e[i];
        size_t j = i;
        while (j > 0 && (e[j - 1].hash > t.hash || (e[j - 1].hash == t.hash && e[j - 1].line1 > t.line1))) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = t;
    }
}

/* Marks in drop[] the lines of one run of equal hashes (in line order) that copy an earlier
 * kept line of the run: what dup_check decides line by line. */
static size_t mark_copies(const pl_roads *r, const dup_slot *e, size_t n, uint8_t *drop)
{
    size_t dropped = 0;
    for (size_t i = 1; i < n; i++) {
        uint32_t li = e[i].line1;
        size_t f = r->first_vertex[li], m = r->first_vertex[li + 1] - f;
        for (size_t k = 0; k < i; k++)
            if (!drop[e[k].line1] && same_geometry(r, e[k].line1, r->vx + f, r->vy + f, m)) {
                drop[li] = 1;
                dropped++;
                break;
            }
    }
    return dropped;
}

/* Removes the marked lines, keeping the order of the rest. */
static void compact_lines(pl_roads *r, const uint8_t *drop)
{
    size_t out = 0, vout = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t f = r->first_vertex[i], m = r->first_vertex[i + 1] - f;
        if (drop[i])
            continue;
        memmove(r->vx + vout, r->vx + f, m * sizeof *r->vx);
        memmove(r->vy + vout, r->vy + f, m * sizeof *r->vy);
        r->first_vertex[out] = vout;
        r->id[out] = r->id[i];
        r->road_class[out] = r->road_class[i];
        r->speed_kmh[out] = r->speed_kmh[i];
        r->oneway[out] = r->oneway[i];
        r->flags[out] = r->flags[i];
        r->layer[out] = r->layer[i];
        if (r->node_source) {
            r->node_source[out] = r->node_source[i];
            r->node_target[out] = r->node_target[i];
        }
        vout += m;
        out++;
    }
    r->first_vertex[out] = vout;
    r->n = out;
}

/* One in-place radix pass (American flag sort) over `bits` bits of the hash below bit
 * `shift`: e[0..n) grouped by those bits, the group sizes in count[1 << bits]. */
static void flag_pass(dup_slot *e, size_t n, int shift, int bits, size_t *count)
{
    enum { MAX_BUCKETS = 1 << 11 };
    size_t nb = (size_t)1 << bits, mask = nb - 1, next[MAX_BUCKETS], end[MAX_BUCKETS];
    shift -= bits;
    memset(count, 0, nb * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[(e[i].hash >> shift) & mask]++;
    for (size_t k = 0, s = 0; k < nb; k++) {
        next[k] = s;
        s += count[k];
        end[k] = s;
    }
    for (size_t k = 0; k < nb; k++)
        while (next[k] < end[k]) {
            dup_slot t = e[next[k]];
            size_t d = (t.hash >> shift) & mask;
            while (d != k) { /* carry t to its bucket, take what was there */
                dup_slot u = e[next[d]];
                e[next[d]++] = t;
                t = u;
                d = (t.hash >> shift) & mask;
            }
            e[next[k]++] = t;
        }
}

static int cmp_line(const void *pa, const void *pb)
{
    uint32_t a = ((const dup_slot *)pa)->line1, b = ((const dup_slot *)pb)->line1;
    return (a > b) - (a < b);
}

/* Sorts e[0..n) by hash, then line: radix passes over the hash from bit `shift` down (about
 * 8 entries per bucket), insertion sort once a bucket is small. In place: a sorted copy (16
 * bytes per two-way line, 62 MB on grid-2M) cost more in fresh pages and scattered writes
 * than the sort itself (0.4 s of a cold run's critical path). */
static void sort_slots(dup_slot *e, size_t n, int shift)
{
    if (n <= 32) {
        sort_bucket(e, n);
        return;
    }
    if (shift <= 0) { /* one hash (many copies of one line): by line, in n log n */
        qsort(e, n, sizeof *e, cmp_line);
        return;
    }
    /* 8 bits over a big array: more buckets scatter the carries over more pages than the
     * TLB holds */
    int bits = 1, most = n > ((size_t)1 << 16) ? 8 : 11;
    while (bits < most && bits < shift && (n >> bits) > 8)
        bits++;
    size_t count[1 << 11];
    flag_pass(e, n, shift, bits, count);
    for (size_t k = 0, from = 0; k < ((size_t)1 << bits); from += count[k], k++)
        if (count[k] > 1)
            sort_slots(e + from, count[k], shift - bits);
}

/* One part of the deferred check: the entries e[0..n), whole groups of the top 8 bits of
 * the hash, sorted and their runs of equal hashes checked. Lines of different runs differ, so
 * the two parts mark different bytes of drop[]. */
typedef struct dedup_job {
    const pl_roads *r;
    dup_slot *e;
    size_t n;
    uint8_t *drop;
    size_t dropped;
} dedup_job;

static void dedup_part(void *arg, int p)
{
    dedup_job *J = (dedup_job *)arg + p;
    sort_slots(J->e, J->n, 56);  /* the top 8 bits are equal within a group */
    for (size_t i = 0; i < J->n;) {
        size_t j = i + 1;
        while (j < J->n && J->e[j].hash == J->e[i].hash)
            j++;
        if (j - i > 1)
            J->dropped += mark_copies(J->r, J->e + i, j - i, J->drop);
        i = j;
    }
}

static _Atomic long dedup_two_threads;

long pl_roads_dedup_two_threads(void)
{
    return dedup_two_threads;
}

/* The deferred duplicate check: two-way lines sorted by (hash, line) and in each run of
 * equal hashes a line that copies an earlier kept one dropped. The groups of the hash's top
 * 8 bits go to two parts of about equal size, the second on a thread of its own when there
 * is a second core: the same marks either way. */
static void dedup_deferred(builder *b)
{
    size_t m = b->n_two_way;
    if (m < 2)
        return;
    uint8_t *drop = pl_calloc(b->r->n + 1, 1);
    size_t count[256], cut = 0, k = 0;
    flag_pass(b->two_way, m, 64, 8, count);
    while (k < 256 && 2 * (cut + count[k]) <= m)
        cut += count[k++];
    dedup_job J[2] = {{b->r, b->two_way, cut, drop, 0}, {b->r, b->two_way + cut, m - cut, drop, 0}};
    if (pl_run_two(dedup_part, J, m >= 65536 ? pl_build_threads() : 1))
        dedup_two_threads++;
    b->n_dups += J[0].dropped + J[1].dropped;
    if (b->n_dups)
        compact_lines(b->r, drop);
    free(drop);
}

/* Rehashes the duplicate table into cap slots (a power of two). Whether a line is a copy
 * does not depend on the table's size: all lines of one hash are on its probe run. */
static void dup_grow(builder *b, size_t cap)
{
    dup_slot *old = b->dup;
    size_t old_cap = b->dup_cap;
    b->dup = pl_calloc(cap, sizeof *b->dup);
    want_huge_pages(b->dup, cap * sizeof *b->dup);
    b->dup_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].line1) {
            size_t j = (size_t)(old[i].hash >> 7) & (cap - 1);
            while (b->dup[j].line1)
                j = (j + 1) & (cap - 1);
            b->dup[j] = old[i];
        }
    free(old);
}

/* Returns 1 if this two-way geometry duplicates one already kept (then it is dropped);
 * otherwise remembers it as line `line`. */
static int dup_check(builder *b, const double *x, const double *y, size_t n, uint32_t line)
{
    if (2 * (b->dup_used + 1) > b->dup_cap)
        dup_grow(b, b->dup_cap ? 2 * b->dup_cap : 4096);
    uint64_t h = geom_hash(x, y, n, canon_reversed(x, y, n));
    size_t j = (size_t)(h >> 7) & (b->dup_cap - 1);
    while (b->dup[j].line1) {
        if (b->dup[j].hash == h && same_geometry(b->r, b->dup[j].line1 - 1, x, y, n))
            return 1;
        j = (j + 1) & (b->dup_cap - 1);
    }
    b->dup[j].hash = h;
    b->dup[j].line1 = line + 1;
    b->dup_used++;
    return 0;
}

static const char *field_str(const pl_row *f, int i, char *buf, size_t size)
{
    return pl_row_str(f, i, buf, size);
}

/* Attributes of one feature. Returns 0 when the feature is to be skipped. */
typedef struct attrs {
    int cls;
    float speed;
    int oneway;
    uint8_t flags;
    int layer;
    int64_t id;
    uint8_t notes;   /* NOTE_*: counted by note_attrs for every feature, memo hits too */
    float speed_fwd, speed_back;
    int64_t source, target; /* topology ids (builder.topo), set per row after the cached part */
} attrs;

enum { NOTE_SPEED_BY_DIRECTION = 1, NOTE_FORBIDDEN_BOTH = 2, NOTE_NOT_CAR_NETWORK = 4 };

/* The id: the id field's first number, else the feature id. */
static int64_t read_id(const fields *F, const pl_row *f)
{
    char buf[512], val[128];
    int64_t id = pl_row_fid(f);
    if (F->id >= 0) {
        first_of(field_str(f, F->id, buf, sizeof buf), val, sizeof val);
        char *end;
        long long n = strtoll(val, &end, 10);
        if (end != val)
            id = n;
    }
    return id;
}

/* A flag value that is set: yes/true/1/ja, any other non-zero number, or a text that is
 * not a no (NVDB's Motorvag may hold "Motorväg"). */
static int is_set(const char *v)
{
    if (!*v || is_no(v) || !strcmp(v, "-1"))
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (end != v && *end == '\0')
        return d != 0;
    return 1;
}

/* NVDB's backward speed limit: one speed per line, so the lower of two different limits
 * applies both ways (counted: roads-speed-by-direction). */
static void speed_backward(attrs *a, float back)
{
    a->speed_fwd = a->speed;
    a->speed_back = back;
    if (back <= 0 || back == a->speed)
        return;
    if (a->speed > 0)
        a->notes |= NOTE_SPEED_BY_DIRECTION;
    if (a->speed <= 0 || back < a->speed)
        a->speed = back;
}

/* The roles of the NVDB profiles: forbidden directions, ferries, motorways, the car network. */
static void read_profile_attrs(const fields *F, const pl_row *f, attrs *a)
{
    char buf[512], val[128];
    int fwd = F->forbid_fwd >= 0 && is_set(first_of(field_str(f, F->forbid_fwd, buf, sizeof buf), val, sizeof val));
    int back = F->forbid_back >= 0 && is_set(first_of(field_str(f, F->forbid_back, buf, sizeof buf), val, sizeof val));
    if (F->forbid_dir >= 0) {
        first_of(field_str(f, F->forbid_dir, buf, sizeof buf), val, sizeof val);
        if (!strcasecmp(val, "med och mot"))
            fwd = back = 1;
        else if (!strcasecmp(val, "med"))
            fwd = 1;
        else if (!strcasecmp(val, "mot"))
            back = 1;
    }
    if (fwd && back) {
        a->flags |= PL_ROAD_NO_CAR;
        a->notes |= NOTE_FORBIDDEN_BOTH;
    } else if (fwd) {
        a->oneway = -1;
    } else if (back) {
        a->oneway = 1;
    }
    if (F->ferry >= 0 && is_set(first_of(field_str(f, F->ferry, buf, sizeof buf), val, sizeof val))) {
        a->cls = PL_ROAD_FERRY;
        a->flags |= PL_ROAD_IS_FERRY;
    }
    if (F->motorway >= 0 && is_set(first_of(field_str(f, F->motorway, buf, sizeof buf), val, sizeof val))) {
        a->cls = PL_ROAD_MOTORWAY;
        a->flags |= PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT;
    }
    if (F->car_net >= 0) {
        first_of(field_str(f, F->car_net, buf, sizeof buf), val, sizeof val);
        int open = !*val || !F->car_net_values || !F->car_net_values[0];
        for (int i = 0; !open && F->car_net_values[i]; i++)
            open = !strcasecmp(val, F->car_net_values[i]);
        if (!open) {
            a->flags |= PL_ROAD_NO_CAR;
            a->notes |= NOTE_NOT_CAR_NETWORK;
        }
    }
}

/* The counted warnings of one feature's attributes (also on attribute memo hits). */
static void note_attrs(pl_ctx *ctx, const pl_vector *v, long long fid, const attrs *a)
{
    if (a->notes & NOTE_SPEED_BY_DIRECTION)
        pl_warn(ctx, "roads-speed-by-direction", "%s: feature %lld: speed limit %.0f km/h along the line and "
                "%.0f km/h against it; platsa keeps one speed per line and uses the lower both ways", v->label,
                fid, a->speed_fwd, a->speed_back);
    if (a->notes & NOTE_FORBIDDEN_BOTH)
        pl_warn(ctx, "roads-forbidden-both-ways", "%s: feature %lld: travel is forbidden in both directions; "
                "the line is closed to cars", v->label, fid);
    if (a->notes & NOTE_NOT_CAR_NETWORK)
        pl_warn(ctx, "roads-not-car-network", "%s: feature %lld is not part of the car network (its network "
                "field is not one of the profile's car_network_values); closed to cars", v->label, fid);
}

static int read_attrs(pl_ctx *ctx, const pl_vector *v, const fields *F, const pl_row *f, attrs *a)
{
    char buf[512], val[128];
    memset(a, 0, sizeof *a);
    a->cls = PL_ROAD_OTHER;
    if (F->cls >= 0) {
        int skip;
        int c = parse_class(field_str(f, F->cls, buf, sizeof buf), &skip);
        if (skip) {
            pl_warn(ctx, "roads-not-built", "%s: feature %lld: class '%s' is not a built road; skipped", v->label,
                    (long long)pl_row_fid(f), buf);
            return 0;
        }
        a->cls = c;
    }
    if (F->route >= 0 && !strcasecmp(first_of(field_str(f, F->route, buf, sizeof buf), val, sizeof val), "ferry"))
        a->cls = PL_ROAD_FERRY;
    if (a->cls == PL_ROAD_FERRY)
        a->flags |= PL_ROAD_IS_FERRY;
    if (F->speed >= 0)
        a->speed = (float)parse_speed(field_str(f, F->speed, buf, sizeof buf));
    if (F->speed_back >= 0)
        speed_backward(a, (float)parse_speed(field_str(f, F->speed_back, buf, sizeof buf)));
    if (F->oneway >= 0) {
        a->oneway = parse_oneway(field_str(f, F->oneway, buf, sizeof buf), F->geofabrik_oneway);
    }
    if (F->oneway < 0 || !*field_str(f, F->oneway, buf, sizeof buf)) {
        if (F->junction >= 0) {
            first_of(field_str(f, F->junction, buf, sizeof buf), val, sizeof val);
            if (!strcasecmp(val, "roundabout") || !strcasecmp(val, "circular"))
                a->oneway = 1;
        }
    }
    if (F->access >= 0) {
        first_of(field_str(f, F->access, buf, sizeof buf), val, sizeof val);
        if (!strcasecmp(val, "no") || !strcasecmp(val, "private"))
            a->flags |= PL_ROAD_NO_CAR | PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT;
        else if (!strcasecmp(val, "psv") || !strcasecmp(val, "bus") || !strncasecmp(val, "agricultural", 12) ||
                 !strncasecmp(val, "forestry", 8) || !strcasecmp(val, "delivery") || !strcasecmp(val, "emergency"))
            a->flags |= PL_ROAD_NO_CAR;
    }
    const int car_fields[3] = {F->motor_vehicle, F->motorcar, F->car};
    for (int k = 0; k < 3; k++) {
        if (car_fields[k] < 0)
            continue;
        first_of(field_str(f, car_fields[k], buf, sizeof buf), val, sizeof val);
        if (!*val)
            continue;
        if (is_no(val) || !strcasecmp(val, "private"))
            a->flags |= PL_ROAD_NO_CAR;
        else if (is_yes(val) || !strcasecmp(val, "destination") || !strcasecmp(val, "permissive") ||
                 !strcasecmp(val, "designated"))
            a->flags &= (uint8_t)~PL_ROAD_NO_CAR;
    }
    const int mode_fields[3] = {F->foot, F->bicycle, F->bike};
    const uint8_t mode_flags[3] = {PL_ROAD_NO_FOOT, PL_ROAD_NO_BIKE, PL_ROAD_NO_BIKE};
    for (int k = 0; k < 3; k++) {
        if (mode_fields[k] < 0)
            continue;
        first_of(field_str(f, mode_fields[k], buf, sizeof buf), val, sizeof val);
        if (!*val)
            continue;
        if (is_no(val) || !strcasecmp(val, "private") || !strcasecmp(val, "use_sidepath"))
            a->flags |= mode_flags[k];
        else if (is_yes(val) || !strcasecmp(val, "designated") || !strcasecmp(val, "permissive") ||
                 !strcasecmp(val, "destination"))
            a->flags &= (uint8_t)~mode_flags[k];
    }
    if (F->motorroad >= 0 && is_set(first_of(field_str(f, F->motorroad, buf, sizeof buf), val, sizeof val)))
        a->flags |= PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT;
    read_profile_attrs(F, f, a);
    if (F->oneway_bicycle >= 0 && is_no(first_of(field_str(f, F->oneway_bicycle, buf, sizeof buf), val, sizeof val)))
        a->flags |= PL_ROAD_BIKE_BOTH_WAYS;
    if (F->bridge >= 0) {
        first_of(field_str(f, F->bridge, buf, sizeof buf), val, sizeof val);
        if (*val && !is_no(val))
            a->flags |= PL_ROAD_BRIDGE;
    }
    if (F->tunnel >= 0) {
        first_of(field_str(f, F->tunnel, buf, sizeof buf), val, sizeof val);
        if (*val && !is_no(val))
            a->flags |= PL_ROAD_TUNNEL;
    }
    if (F->indoor >= 0) {
        first_of(field_str(f, F->indoor, buf, sizeof buf), val, sizeof val);
        if (*val && !is_no(val))
            a->flags |= PL_ROAD_INDOOR;
    }
    if (F->layer >= 0) {
        first_of(field_str(f, F->layer, buf, sizeof buf), val, sizeof val);
        char *end;
        long l = strtol(val, &end, 10);
        if (end != val)
            a->layer = l < -5 ? -5 : l > 5 ? 5 : (int)l;
    }
    a->id = read_id(F, f);
    return 1;
}

/* ---------- batch rows: attributes memoised by their values ---------- */

/* Road attributes repeat (a few classes, speeds, 0/1 flags): read_attrs depends only on the
 * fields' texts, so rows whose field values are equal share its result. The key holds the
 * values exactly (integers and reals as numbers, text as bytes), a finer key than the texts
 * read_attrs sees, so a hit is never wrong. */
enum { ATTR_SLOTS = 4096, ATTR_KEY_MAX = 480 };

typedef struct attr_slot {
    uint64_t hash;
    uint16_t len;
    uint8_t used, skip;
    attrs a;
    uint8_t key[ATTR_KEY_MAX];
} attr_slot;

typedef struct attr_cache {
    attr_slot *slots;
    int fields[32];
    int n_fields;
    uint8_t key[ATTR_KEY_MAX];
} attr_cache;

static void attr_cache_init(attr_cache *c, const fields *F)
{
    const int all[] = FIELD_LIST(F);
    c->n_fields = 0;
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (all[k] >= 0)
            c->fields[c->n_fields++] = all[k];
    c->slots = pl_calloc(ATTR_SLOTS, sizeof *c->slots);
}

/* The row's key in c->key; its length, or 0 when too long to keep. */
static size_t attr_key(attr_cache *c, const pl_row *row)
{
    pl_batch_reader *br = row->b;
    size_t n = 0;
    for (int k = 0; k < c->n_fields; k++) {
        int fld = c->fields[k];
        if (n + 13 > ATTR_KEY_MAX)
            return 0;
        if (pl_batch_null(br, fld, row->i)) {
            c->key[n++] = 0;
        } else if (pl_batch_is_int(br, fld) || pl_batch_is_real(br, fld)) {
            int is_int = pl_batch_is_int(br, fld);
            int64_t iv = is_int ? pl_batch_int(br, fld, row->i) : 0;
            double dv = is_int ? 0 : pl_batch_real(br, fld, row->i);
            c->key[n++] = is_int ? 1 : 2;
            memcpy(c->key + n, is_int ? (const void *)&iv : (const void *)&dv, 8);
            n += 8;
        } else {
            size_t len;
            const char *t = pl_batch_text(br, fld, row->i, &len);
            if (n + 5 + len > ATTR_KEY_MAX)
                return 0;
            uint32_t l32 = (uint32_t)len;
            c->key[n++] = 3;
            memcpy(c->key + n, &l32, 4);
            memcpy(c->key + n + 4, t, len);
            n += 4 + len;
        }
    }
    return n ? n : 0;
}

static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

/* read_id for a batch row: an integer id column is its value (what strtoll would read from
 * its text). */
static int64_t batch_id(const fields *F, const pl_row *row)
{
    if (F->id >= 0 && pl_batch_is_int(row->b, F->id) && !pl_batch_null(row->b, F->id, row->i))
        return pl_batch_int(row->b, F->id, row->i);
    return read_id(F, row);
}

/* read_attrs for a batch row, through the cache. */
static int batch_attrs(pl_ctx *ctx, const pl_vector *v, const fields *F, attr_cache *c, const pl_row *row, attrs *a)
{
    size_t n = attr_key(c, row);
    if (n == 0)
        return read_attrs(ctx, v, F, row, a);
    uint64_t h = key_hash(c->key, n);
    attr_slot *sl = &c->slots[h & (ATTR_SLOTS - 1)];
    if (!(sl->used && sl->hash == h && sl->len == n && memcmp(sl->key, c->key, n) == 0)) {
        int keep = read_attrs(ctx, v, F, row, a);
        sl->used = 1;
        sl->hash = h;
        sl->len = (uint16_t)n;
        memcpy(sl->key, c->key, n);
        sl->skip = !keep;
        sl->a = *a;
        return keep;
    }
    if (sl->skip) {
        char buf[512];
        pl_warn(ctx, "roads-not-built", "%s: feature %lld: class '%s' is not a built road; skipped", v->label,
                (long long)pl_row_fid(row), field_str(row, F->cls, buf, sizeof buf));
        return 0;
    }
    *a = sl->a;
    a->id = batch_id(F, row);
    return 1;
}

/* Adds one line part (already in the working CRS). */
static void add_part(pl_ctx *ctx, builder *b, const pl_vector *v, long long fid, const double *px, const double *py,
                     int np, const attrs *a)
{
    /* Like every loader (layers.h, geometry-bad-coordinates): a line with a coordinate that is
     * not a number or huge (beyond 1e8 m) is skipped whole, not joined across the bad vertex. */
    for (int i = 0; i < np; i++) {
        double x = px[i], y = py[i];
        if (!isfinite(x) || !isfinite(y) || fabs(x) > 1e8 || fabs(y) > 1e8) {
            pl_warn(ctx, "geometry-bad-coordinates", "%s: feature %lld has coordinates that are not numbers, are "
                    "huge or cannot be transformed to %s; skipped", v->label, fid, ctx->work_crs);
            return;
        }
    }
    pl_roads *r = b->r;
    builder_reserve(b, 1, (size_t)(np > 0 ? np : 0));
    size_t base = r->first_vertex[r->n], n = 0;
    for (int i = 0; i < np; i++) {
        double x = px[i], y = py[i];
        if (n && r->vx[base + n - 1] == x && r->vy[base + n - 1] == y)
            continue;
        r->vx[base + n] = x;
        r->vy[base + n] = y;
        n++;
    }
    if (n == 1 && b->topo && a->source != a->target) {
        /* A connector of no length between two ids: kept (1 mm in the graph), as pgRouting
         * keeps such an edge; dropping it would split the network at that place. */
        r->vx[base + 1] = r->vx[base];
        r->vy[base + 1] = r->vy[base];
        n = 2;
    } else if (n < 2 && b->topo && np > 0) {
        pl_warn(ctx, "roads-topology-zero-loop", "%s: feature %lld: source and target are both %lld and the line "
                "has no length; skipped", v->label, fid, (long long)a->source);
        b->n_zero_loops++;
        return;
    }
    if (n < 2) {
        pl_warn(ctx, "roads-short", "%s: feature %lld: line with fewer than two distinct vertices; skipped", v->label,
                fid);
        return;
    }
    if (a->oneway == 0 && b->deferred) {
        if (pl_grow_cap(&b->cap_two_way, b->n_two_way + 1))
            b->two_way = pl_realloc(b->two_way, b->cap_two_way * sizeof *b->two_way);
        uint64_t h = geom_hash(r->vx + base, r->vy + base, n, canon_reversed(r->vx + base, r->vy + base, n));
        b->two_way[b->n_two_way++] = (dup_slot){h, (uint32_t)r->n}; /* line1: the line itself here */
    } else if (a->oneway == 0 && dup_check(b, r->vx + base, r->vy + base, n, (uint32_t)r->n)) {
        b->n_dups++;
        return;
    }
    size_t i = r->n++;
    r->first_vertex[i + 1] = base + n;
    r->id[i] = a->id;
    r->road_class[i] = (uint8_t)a->cls;
    r->speed_kmh[i] = a->speed;
    r->oneway[i] = (int8_t)a->oneway;
    r->flags[i] = a->flags;
    r->layer[i] = (int8_t)a->layer;
    if (b->topo) {
        r->node_source[i] = a->source;
        r->node_target[i] = a->target;
    }
}

/* Refuses a feature of several lines when the roads carry topology: one source and one
 * target cannot name the ends of each. Returns 1 when refused. */
static int topo_parts_refused(builder *b, const pl_vector *v, long long fid, size_t parts)
{
    if (!b->topo || parts <= 1)
        return 0;
    pl_error_set(b->err, PL_EINPUT, "%s: feature %lld: %zu lines in one feature with one source and target; "
                 "split it into single lines, each with the ids of its ends", v->label, fid, parts);
    b->failed = 1;
    return 1;
}

/* add_part for an OGR line. */
static void add_ogr_part(pl_ctx *ctx, builder *b, const pl_vector *v, long long fid, OGRGeometryH part,
                         const attrs *a, pl_wkb *tmp)
{
    int np = OGR_G_GetPointCount(part);
    tmp->n_pts = 0;
    if (np > 0 && (size_t)np > tmp->cap_pts) {
        tmp->cap_pts = (size_t)np;
        tmp->x = pl_realloc(tmp->x, tmp->cap_pts * sizeof *tmp->x);
        tmp->y = pl_realloc(tmp->y, tmp->cap_pts * sizeof *tmp->y);
        tmp->z = pl_realloc(tmp->z, tmp->cap_pts * sizeof *tmp->z);
    }
    for (int i = 0; i < np; i++) {
        tmp->x[i] = OGR_G_GetX(part, i);
        tmp->y[i] = OGR_G_GetY(part, i);
    }
    add_part(ctx, b, v, fid, tmp->x, tmp->y, np, a);
}

/* The lines of one feature's geometry g (NULL: empty, missing or not reprojected), which
 * is the caller's. */
static void add_ogr_geometry(pl_ctx *ctx, builder *b, const pl_vector *v, long long fid, OGRGeometryH g,
                             const attrs *a, pl_wkb *tmp)
{
    if (!g) {
        pl_warn(ctx, "roads-no-geometry", "%s: feature %lld: empty geometry or failed reprojection; skipped",
                v->label, fid);
        return;
    }
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbLineString) {
        add_ogr_part(ctx, b, v, fid, g, a, tmp);
    } else if (t == wkbMultiLineString || t == wkbGeometryCollection) {
        int nparts = OGR_G_GetGeometryCount(g);
        if (topo_parts_refused(b, v, fid, (size_t)(nparts > 0 ? nparts : 0)))
            return;
        for (int i = 0; i < nparts; i++) {
            OGRGeometryH part = OGR_G_GetGeometryRef(g, i);
            if (wkbFlatten(OGR_G_GetGeometryType(part)) == wkbLineString)
                add_ogr_part(ctx, b, v, fid, part, a, tmp);
            else
                pl_warn(ctx, "roads-not-line", "%s: feature %lld: a %s part is not a line; skipped", v->label,
                        fid, OGR_G_GetGeometryName(part));
        }
    } else {
        pl_warn(ctx, "roads-not-line", "%s: feature %lld: %s is not a line; skipped", v->label, fid,
                OGR_G_GetGeometryName(g));
    }
}

/* The row's topology ids into a; 0 (b->err set, b->failed) when either is empty or not an
 * integer: lines without ids cannot be joined to the others, and guessing by position would
 * mix two rules in one network. */
static int read_topo(builder *b, const pl_vector *v, const fields *F, const pl_row *row, attrs *a)
{
    if (!b->topo)
        return 1;
    const int fld[2] = {F->source, F->target};
    int64_t *out[2] = {&a->source, &a->target};
    for (int k = 0; k < 2; k++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), fld[k]));
        if (row->b && pl_batch_is_int(row->b, fld[k]) && !pl_batch_null(row->b, fld[k], row->i)) {
            *out[k] = pl_batch_int(row->b, fld[k], row->i);
            continue;
        }
        char buf[128];
        const char *t = pl_row_null(row, fld[k]) ? "" : field_str(row, fld[k], buf, sizeof buf);
        char *end;
        errno = 0;
        long long n = *t ? strtoll(t, &end, 10) : 0;
        if (!*t || *end || errno) {
            pl_error_set(b->err, PL_EINPUT, "%s: feature %lld: %s %s; every line needs integer %s and %s ids of its "
                         "ends (or remove both fields to join lines by position)", v->label,
                         (long long)pl_row_fid(row), name, *t ? "is not an integer" : "is empty",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), F->source)),
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), F->target)));
            b->failed = 1;
            return 0;
        }
        *out[k] = n;
    }
    return 1;
}

/* The old reader: feature by feature through OGR. Returns PL_OK or an error (err set). */
static int read_features(pl_ctx *ctx, pl_vector *v, const fields *F, builder *b, long long *done, pl_error *err)
{
    long long total = OGR_L_GetFeatureCount(v->layer, 0);
    pl_wkb tmp = {0};
    OGR_L_ResetReading(v->layer);
    OGRFeatureH f;
    while ((f = pl_layer_next(v)) != NULL) {
        ++*done;
        if ((*done & 0x3fff) == 0 && total > 0)
            pl_progress(ctx, (double)*done / (double)total, "reading roads");
        pl_row row = {.f = f};
        attrs a;
        if (read_attrs(ctx, v, F, &row, &a) && read_topo(b, v, F, &row, &a)) {
            note_attrs(ctx, v, (long long)OGR_F_GetFID(f), &a);
            OGRGeometryH g = pl_vector_geometry(v, f);
            add_ogr_geometry(ctx, b, v, (long long)OGR_F_GetFID(f), g, &a, &tmp);
            if (g)
                OGR_G_DestroyGeometry(g);
        }
        OGR_F_Destroy(f);
        if (b->failed)
            break;
    }
    pl_wkb_free(&tmp);
    if (b->failed)
        return PL_EINPUT;
    return pl_layer_read_failed(v, (long)*done, err);
}

/* A batch row's geometry: lines straight from the WKB (reprojected in one call per
 * feature); any other shape through OGR as the old reader does. */
static void add_wkb_geometry(pl_ctx *ctx, builder *b, const pl_vector *v, long long fid, const uint8_t *wkb,
                             size_t len, const attrs *a, pl_wkb *w, int **ok, size_t *ok_cap)
{
    if (wkb && pl_wkb_parse(w, wkb, len) == 0 && (w->type == PL_WKB_LINE || w->type == PL_WKB_MULTILINE)) {
        if (v->to_work) {
            if (pl_grow_cap(ok_cap, w->n_pts))
                *ok = pl_realloc(*ok, *ok_cap * sizeof **ok);
            /* OGR_G_Transform: every point must transform (z is 0 for 2D lines) */
            int all = OCTTransformEx(v->to_work, (int)w->n_pts, w->x, w->y, w->z, *ok);
            for (size_t i = 0; all && i < w->n_pts; i++)
                all = (*ok)[i] != 0;
            if (!all) {
                add_ogr_geometry(ctx, b, v, fid, NULL, a, w);
                return;
            }
        }
        if (topo_parts_refused(b, v, fid, w->n_parts))
            return;
        for (size_t k = 0; k < w->n_parts; k++)
            add_part(ctx, b, v, fid, w->x + w->part_start[k], w->y + w->part_start[k],
                     (int)(w->part_start[k + 1] - w->part_start[k]), a);
        return;
    }
    OGRGeometryH g = NULL;
    if (wkb && OGR_G_CreateFromWkb(wkb, NULL, &g, (int)len) != OGRERR_NONE)
        g = NULL;
    if (g && (OGR_G_IsEmpty(g) || (v->to_work && OGR_G_Transform(g, v->to_work) != OGRERR_NONE))) {
        OGR_G_DestroyGeometry(g);
        g = NULL;
    }
    pl_wkb tmp = {0};
    add_ogr_geometry(ctx, b, v, fid, g, a, &tmp);
    pl_wkb_free(&tmp);
    if (g)
        OGR_G_DestroyGeometry(g);
}

/* The batch reader. Returns PL_OK, or 1 when the layer must be read feature by feature
 * (not supported here, or a read error: the old reader then reports it as before). */
static int read_batches(pl_ctx *ctx, pl_vector *v, const fields *F, builder *b, long long *done)
{
    const int listed[] = FIELD_LIST(F);
    int wanted[sizeof listed / sizeof listed[0] + 3];
    memcpy(wanted, listed, sizeof listed);
    wanted[sizeof listed / sizeof listed[0]] = F->id;
    wanted[sizeof listed / sizeof listed[0] + 1] = F->source;
    wanted[sizeof listed / sizeof listed[0] + 2] = F->target;
    pl_batch_reader br;
    if (pl_batch_open(&br, v, wanted, (int)(sizeof wanted / sizeof wanted[0])) != 0)
        return 1;
    long long total = OGR_L_GetFeatureCount(v->layer, 0);
    b->deferred = 1;
    attr_cache cache;
    attr_cache_init(&cache, F);
    pl_wkb w = {0};
    int *ok = NULL;
    size_t ok_cap = 0;
    int rc;
    /* arrays sized once (every feature a line; vertices as the first batch goes): growing
     * them copied hundreds of MB */
    if (total > 0)
        builder_reserve(b, (size_t)total, 0);
    int sized = 0;
    while ((rc = pl_batch_next(&br)) == 1) {
        if (!sized && *done > 0 && total > *done) {
            double per_line = (double)b->r->first_vertex[b->r->n] / (double)*done;
            builder_reserve(b, 0, (size_t)(per_line * 1.05 * (double)(total - *done)) + 1024);
            sized = 1;
        }
        for (long i = 0; i < br.n_rows; i++) {
            ++*done;
            if ((*done & 0x3fff) == 0 && total > 0)
                pl_progress(ctx, (double)*done / (double)total, "reading roads");
            pl_row row = {.b = &br, .i = i};
            attrs a;
            if (!batch_attrs(ctx, v, F, &cache, &row, &a))
                continue;
            if (a.notes)
                note_attrs(ctx, v, (long long)pl_batch_fid(&br, i), &a);
            if (!read_topo(b, v, F, &row, &a))
                break;
            size_t len = 0;
            const uint8_t *wkb = pl_batch_wkb(&br, i, &len);
            add_wkb_geometry(ctx, b, v, (long long)pl_batch_fid(&br, i), wkb, len, &a, &w, &ok, &ok_cap);
            if (b->failed)
                break;
        }
        if (b->failed)
            break;
    }
    pl_wkb_free(&w);
    free(ok);
    free(cache.slots);
    pl_batch_close(&br);
    if (b->failed)
        return 2;
    /* A stream that ended early without an error would be part of the layer. */
    if (rc == 0 && OGR_L_GetFeatureCount(v->layer, 1) != *done)
        rc = -1;
    if (rc == 0)
        dedup_deferred(b);
    return rc == 0 ? PL_OK : 1;
}

static void builder_init(builder *b, const pl_vector *v, const fields *F, pl_error *err)
{
    memset(b, 0, sizeof *b);
    b->topo = F->source >= 0 && F->target >= 0;
    b->err = err;
    b->r = pl_calloc(1, sizeof *b->r);
    b->r->first_vertex = pl_calloc(1, sizeof *b->r->first_vertex);
    b->r->source = pl_strdup(v->label);
    builder_reserve(b, 1, 2);
}

static void builder_free(builder *b)
{
    free(b->dup);
    b->dup = NULL;
    free(b->two_way);
    b->two_way = NULL;
}

/* Reads all lines: batches when the layer allows, else (or after a read error) feature by
 * feature. Returns PL_OK or an error. */
static int read_roads(pl_ctx *ctx, pl_vector *v, const fields *F, builder *b, long long *done, pl_error *err)
{
    pl_ctx *bctx = pl_batch_ctx(ctx);
    builder_init(b, v, F, err);
    int rc = read_batches(bctx, v, F, b, done);
    pl_batch_ctx_end(ctx, bctx, rc == PL_OK);
    if (rc == PL_OK)
        return PL_OK;
    if (rc == 2)
        return PL_EINPUT; /* a refused feature (err set) */
    builder_free(b);
    pl_roads_free(b->r);
    builder_init(b, v, F, err);
    *done = 0;
    return read_features(ctx, v, F, b, done, err);
}

/* A user's --X-field: it must exist. */
static int field_given(const pl_vector *v, const char *given, const char *flag, int *index, pl_error *err)
{
    if (!given || !*given)
        return PL_OK;
    *index = pl_vector_field(v, given);
    if (*index < 0)
        return pl_error_set(err, PL_EINPUT, "%s: no field '%s' (from --%s); fields are: %s; check the name",
                            v->label, given, flag, pl_vector_field_list(v));
    return PL_OK;
}

/* The fields of every role, from the road profile the layer fits (or the user names) and the
 * user's --class-field, --speed-field, --oneway-field. */
static int pick_fields(pl_ctx *ctx, const pl_vector *v, const pl_load_opts *o, fields *F,
                       pl_road_profiles **profiles, pl_error *err)
{
    const pl_road_fields *rf = o ? &o->road : NULL;
    const pl_road_profile *pr = pl_road_profile_pick(v, rf, profiles, err);
    if (!pr)
        return err && err->code ? (int)err->code : PL_EINPUT;
#define ROLE(r) pl_vector_field_auto(v, (const char *const *)pr->fields[r])
    F->cls = ROLE(PL_RF_CLASS);
    F->speed = ROLE(PL_RF_SPEED);
    F->oneway = ROLE(PL_RF_ONEWAY);
    F->access = ROLE(PL_RF_ACCESS);
    F->motor_vehicle = ROLE(PL_RF_MOTOR_VEHICLE);
    F->motorcar = ROLE(PL_RF_MOTORCAR);
    F->foot = ROLE(PL_RF_FOOT);
    F->bicycle = ROLE(PL_RF_BICYCLE);
    F->bridge = ROLE(PL_RF_BRIDGE);
    F->tunnel = ROLE(PL_RF_TUNNEL);
    F->layer = ROLE(PL_RF_LAYER);
    F->indoor = ROLE(PL_RF_INDOOR);
    F->route = ROLE(PL_RF_ROUTE);
    F->junction = ROLE(PL_RF_JUNCTION);
    F->oneway_bicycle = ROLE(PL_RF_ONEWAY_BICYCLE);
    F->motorroad = ROLE(PL_RF_MOTORROAD);
    F->car = ROLE(PL_RF_CAR);
    F->bike = ROLE(PL_RF_BIKE);
    F->speed_back = ROLE(PL_RF_SPEED_BACKWARD);
    F->forbid_fwd = ROLE(PL_RF_FORBIDDEN_FORWARD);
    F->forbid_back = ROLE(PL_RF_FORBIDDEN_BACKWARD);
    F->forbid_dir = ROLE(PL_RF_FORBIDDEN_DIRECTION);
    F->ferry = ROLE(PL_RF_FERRY);
    F->motorway = ROLE(PL_RF_MOTORWAY);
    F->car_net = ROLE(PL_RF_CAR_NETWORK);
    F->car_net_values = pr->car_network_values;
#undef ROLE
    /* a speed the user names is the one speed: no backward limit of the profile beside it */
    if (rf && rf->speed_field && *rf->speed_field)
        F->speed_back = -1;
    if (rf && rf->oneway_field && *rf->oneway_field)
        F->forbid_fwd = F->forbid_back = F->forbid_dir = -1;
    if (field_given(v, rf ? rf->class_field : NULL, "class-field", &F->cls, err) != PL_OK ||
        field_given(v, rf ? rf->speed_field : NULL, "speed-field", &F->speed, err) != PL_OK ||
        field_given(v, rf ? rf->oneway_field : NULL, "oneway-field", &F->oneway, err) != PL_OK) {
        pl_road_profiles_free(*profiles);
        *profiles = NULL;
        return PL_EINPUT;
    }
    F->id = pl_vector_field_pick(v, o ? o->id_field : NULL, (const char *const *)pr->fields[PL_RF_ID], "id-field",
                                 0, err);
    if (o && o->id_field && F->id < 0) {
        pl_road_profiles_free(*profiles);
        *profiles = NULL;
        return PL_EINPUT;
    }
    if (strcmp(pr->name, "osm") != 0 || (rf && rf->profile))
        pl_info(ctx, "%s: road profile %s (%s)", v->label, pr->name, pr->description);
    return PL_OK;
}

static int integer_field(const pl_vector *v, int i)
{
    OGRFieldType t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), i));
    return t == OFTInteger || t == OFTInteger64;
}

/* The topology fields: --source-field/--target-field when given (both, existing), else
 * `source` and `target` when both are integer fields (pgRouting, osm2pgrouting, platsa
 * import-osm), else `u` and `v` when both are (OSMnx). Sets F->source/target (-1: none,
 * lines join by position). */
static int topology_fields(pl_ctx *ctx, const pl_vector *v, const pl_load_opts *o, fields *F, pl_error *err)
{
    static const char *const none[] = {NULL};
    static const char *const c_src[] = {"source", NULL};
    static const char *const c_dst[] = {"target", NULL};
    const char *gs = o ? o->source_field : NULL, *gt = o ? o->target_field : NULL;
    F->source = F->target = -1;
    if (gs || gt) {
        if (!gs || !gt)
            return pl_error_set(err, PL_EINPUT, "%s: --source-field and --target-field go together; give both",
                                v->label);
        F->source = pl_vector_field_pick(v, gs, none, "source-field", 1, err);
        if (F->source < 0)
            return PL_EINPUT;
        F->target = pl_vector_field_pick(v, gt, none, "target-field", 1, err);
        if (F->target < 0)
            return PL_EINPUT;
    } else {
        int s = pl_vector_field_auto(v, c_src), t = pl_vector_field_auto(v, c_dst);
        if (s < 0 || t < 0) { /* OSMnx edges: u and v, the node ids of the first and last vertex */
            static const char *const c_u[] = {"u", NULL}, *const c_v[] = {"v", NULL};
            s = pl_vector_field_auto(v, c_u);
            t = pl_vector_field_auto(v, c_v);
            if (s < 0 || t < 0 || !integer_field(v, s) || !integer_field(v, t))
                return PL_OK;
        }
        if (!integer_field(v, s) || !integer_field(v, t)) {
            pl_info(ctx, "%s: fields source/target are not integers: not taken as topology ids; lines are joined "
                    "by position (give --source-field/--target-field to use them)", v->label);
            return PL_OK;
        }
        F->source = s;
        F->target = t;
    }
    pl_info(ctx, "%s: lines joined by their topology ids (fields %s, %s), not by position", v->label,
            OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), F->source)),
            OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), F->target)));
    return PL_OK;
}

pl_roads *pl_roads_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err)
{
    pl_vector_opts vo = {.layer = o ? o->layer : NULL, .assume_crs = o ? o->assume_crs : NULL, .role = "roads",
                         .within = o ? o->within : NULL};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return NULL;
    OGRwkbGeometryType gt = wkbFlatten(OGR_L_GetGeomType(v->layer));
    if (gt != wkbLineString && gt != wkbMultiLineString && gt != wkbUnknown && gt != wkbGeometryCollection) {
        pl_error_set(err, PL_EINPUT, "%s: roads must be lines, this layer holds %s; give the road network layer",
                     v->label, OGRGeometryTypeToName(gt));
        pl_vector_close(v);
        return NULL;
    }
    fields F;
    pl_road_profiles *profiles = NULL;
    if (pick_fields(ctx, v, o, &F, &profiles, err) != PL_OK) {
        pl_vector_close(v);
        return NULL;
    }
    if (topology_fields(ctx, v, o, &F, err) != PL_OK) {
        pl_road_profiles_free(profiles);
        pl_vector_close(v);
        return NULL;
    }
    /* Geofabrik shapefiles have fclass and an F/T/B oneway. */
    F.geofabrik_oneway = F.cls >= 0 && !strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(
                                            OGR_L_GetLayerDefn(v->layer), F.cls)), "fclass");
    if (F.cls < 0)
        pl_info(ctx, "%s: no road class field (highway, fclass, class, klass, vagklass); every line counts as "
                "'other' (%.0f km/h by car)", v->label, pl_road_default_speed_kmh(PL_ROAD_OTHER));

    builder b;
    long long done = 0;
    int rc = read_roads(ctx, v, &F, &b, &done, err);
    pl_road_profiles_free(profiles);  /* F's car_net_values point into it */
    pl_progress(ctx, 1.0, "reading roads");
    builder_free(&b);
    pl_roads *r = b.r;
    if (rc != PL_OK) {
        pl_roads_free(r);
        pl_vector_close(v);
        return NULL;
    }
    if (b.n_dups)
        pl_info(ctx, "%s: %zu two-way lines were copies of another (a directed export such as OSMnx's writes each "
                "two-way street twice); each street kept once", v->label, b.n_dups);
    if (r->n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: no usable road lines (%lld features read); check the layer", v->label,
                     done);
        pl_roads_free(r);
        pl_vector_close(v);
        return NULL;
    }
    pl_info(ctx, "%s: %zu road lines, %zu vertices", v->label, r->n, r->first_vertex[r->n]);
    pl_vector_close(v);
    return r;
}

/* ---------- the value parsers, for tests and fuzzing (road_values.h) ---------- */

double pl_roads_parse_speed(const char *text)
{
    return parse_speed(text ? text : "");
}

int pl_roads_parse_oneway(const char *text, int geofabrik)
{
    return parse_oneway(text ? text : "", geofabrik);
}

int pl_roads_parse_class(const char *text, int *skip_not_built)
{
    return parse_class(text ? text : "", skip_not_built);
}
