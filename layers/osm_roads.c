/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The roads of an OSM extract read with readosm, keeping OSM node identity.
 *
 * GDAL's OSM driver gives lines without their node ids, so a graph built from them could only
 * join ways by coordinates: wrong under bridges and over tunnels, where ways cross without
 * meeting. Here the ways are split where they really meet, at shared nodes, and every piece
 * carries the ids of its end nodes (source, target).
 *
 * One pass over the file with readosm (nodes come before ways in a PBF, so a way's nodes are
 * known when it arrives, but which nodes roads need is known only at the end):
 *   nodes  every node's id and coordinates (int32 1e-7 degrees, OSM's own precision) are kept
 *          in one array, 16 bytes a node: ~1.6 GB for all of Sweden's ~100 M nodes;
 *   ways   road ways (and open natural=tree_row ways, for the trees layer) keep their tags
 *          mapped as before and their node refs.
 * Then: the road refs (ends counted twice) are radix-sorted; a node met two or more times is
 * a split point (shared by two ways, used twice by one, or a way's end). The needed nodes get
 * their coordinates by a merge with the (sorted) node array, which is then freed, are
 * projected once, and each way is cut into pieces at its split points.
 *
 * Rules, as GDAL's driver and share/osmconf.ini decide for the `lines` layer: a road is a
 * way with a routable highway value (pl_osm_road_included) or route=ferry, unless it is closed
 * (>= 4 refs, first = last) and tagged as an area (area=yes, or a key/key=value of
 * closed_ways_are_polygons, without area=no).
 *
 * Clipped extracts: a way's nodes missing from the file cut it; the runs of nodes present
 * (>= 2) are kept (osm-way-missing-nodes), a way with none is dropped (osm-way-dropped).
 * A piece whose nodes are all at one point has no length and is skipped (osm-zero-length). */
#include "osm_internal.h"

#include <geodesic.h>
#include <inttypes.h>
#include <math.h>
#include <readosm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gis/util.h"

/* Node ids as unsigned keys that sort like the signed ids (hand-made files use negative ids). */
#define KEY(id) ((uint64_t)(id) ^ UINT64_C(0x8000000000000000))
#define UNKEY(k) ((int64_t)((k) ^ UINT64_C(0x8000000000000000)))
#define MISSING INT32_MIN

typedef struct osm_node {
    uint64_t key;
    int32_t lat, lon;          /* 1e-7 degrees */
} osm_node;

typedef struct road_way {
    int64_t id;
    size_t ref0;               /* first ref in rd_state.refs */
    uint32_t n_refs;
    char *name, *maxspeed_tag;
    const char *highway;       /* class name (static) */
    double maxspeed_kmh;
    int8_t oneway, car, bike, foot, bridge, tunnel, indoor, layer;
} road_way;

typedef struct tree_way {
    int64_t id;
    size_t ref0;
    uint32_t n_refs;
    char *diameter_crown, *height;
} tree_way;

typedef struct rd_state {
    pl_ctx *ctx;
    const char *file;
    char **poly_keys;          /* closed_ways_are_polygons: "key" or "key=value" */
    size_t n_poly_keys;
    osm_node *nodes;
    size_t n_nodes, cap_nodes;
    int nodes_sorted;
    uint64_t *refs;            /* keys of the road ways' refs, way after way */
    size_t n_refs, cap_refs;
    road_way *ways;
    size_t n_ways, cap_ways;
    uint64_t *trefs;
    size_t n_trefs, cap_trefs;
    tree_way *tways;
    size_t n_tways, cap_tways;
    long long rchar0, file_size;
    long n_objects;
    int cancelled;
} rd_state;

#define GROW(arr, n, cap, extra) \
    do { \
        if ((n) + (extra) > (cap)) { \
            size_t nc_ = (cap) ? (cap) : 1024; \
            while (nc_ < (n) + (extra)) \
                nc_ *= 2; \
            (arr) = pl_realloc((arr), nc_ * sizeof *(arr)); \
            (cap) = nc_; \
        } \
    } while (0)

/* ---------- progress: bytes read by this process over the file size ---------- */

static long long rchar_now(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    if (!f)
        return -1;
    char line[128];
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &v) == 1)
            break;
    fclose(f);
    return v;
}

static int tick(rd_state *s)
{
    double frac = 0;
    long long now = rchar_now();
    if (now >= 0 && s->rchar0 >= 0 && s->file_size > 0)
        frac = (double)(now - s->rchar0) / (double)s->file_size;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    if (pl_progress(s->ctx, 0.5 * frac, "reading OSM roads")) {
        s->cancelled = 1;
        return 1;
    }
    return 0;
}

/* ---------- readosm callbacks ---------- */

static int on_node(const void *user, const readosm_node *n)
{
    rd_state *s = (rd_state *)user;
    GROW(s->nodes, s->n_nodes, s->cap_nodes, 1);
    osm_node *o = &s->nodes[s->n_nodes];
    o->key = KEY(n->id);
    o->lat = (int32_t)lround(n->latitude * 1e7);
    o->lon = (int32_t)lround(n->longitude * 1e7);
    if (s->n_nodes && o->key < s->nodes[s->n_nodes - 1].key)
        s->nodes_sorted = 0;
    s->n_nodes++;
    if ((++s->n_objects & 0xFFFFF) == 0 && tick(s))
        return READOSM_ABORT;
    return READOSM_OK;
}

static const char *way_tag(const readosm_way *w, const char *key)
{
    for (int i = 0; i < w->tag_count; i++)
        if (!strcmp(w->tags[i].key, key))
            return w->tags[i].value;
    return NULL;
}

/* A closed way tagged as an area goes to GDAL's multipolygons layer, not to lines. */
static int tagged_as_area(const rd_state *s, const readosm_way *w)
{
    const char *area = way_tag(w, "area");
    if (area && !strcmp(area, "yes"))
        return 1;
    if (area && !strcmp(area, "no"))
        return 0;
    for (int i = 0; i < w->tag_count; i++) {
        const char *k = w->tags[i].key, *v = w->tags[i].value;
        size_t kl = strlen(k);
        for (size_t j = 0; j < s->n_poly_keys; j++) {
            const char *p = s->poly_keys[j];
            if (!strncmp(p, k, kl) && (p[kl] == '\0' || (p[kl] == '=' && !strcmp(p + kl + 1, v))))
                return 1;
        }
    }
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? pl_strdup(s) : NULL;
}

static void map_road(rd_state *s, const readosm_way *w, int ferry, const char *highway)
{
    GROW(s->ways, s->n_ways, s->cap_ways, 1);
    road_way *rw = &s->ways[s->n_ways++];
    memset(rw, 0, sizeof *rw);
    rw->id = w->id;
    rw->ref0 = s->n_refs;
    rw->n_refs = (uint32_t)w->node_ref_count;
    GROW(s->refs, s->n_refs, s->cap_refs, (size_t)w->node_ref_count);
    for (int i = 0; i < w->node_ref_count; i++)
        s->refs[s->n_refs++] = KEY(w->node_refs[i]);

    rw->name = dup_or_null(way_tag(w, "name"));
    const char *cls_tag = ferry ? "ferry" : highway;
    rw->highway = pl_osm_road_class(cls_tag);
    const char *ms = way_tag(w, "maxspeed");
    rw->maxspeed_tag = dup_or_null(ms);
    double kmh = NAN;
    int speed_rc = pl_osm_parse_maxspeed(ms, &kmh);
    if (speed_rc == PL_OSM_SPEED_BAD)
        pl_warn(s->ctx, "osm-maxspeed-unparsed",
                "%s: way %lld: maxspeed '%s' not understood; left NULL (the class default speed applies)", s->file,
                w->id, ms);
    rw->maxspeed_kmh = speed_rc == PL_OSM_SPEED_OK ? kmh : NAN;
    int dir = 0;
    const char *ow = way_tag(w, "oneway");
    if (pl_osm_parse_oneway(ow, highway, way_tag(w, "junction"), &dir) != 0)
        pl_warn(s->ctx, "osm-oneway-unparsed", "%s: way %lld: oneway '%s' not understood; both ways assumed", s->file,
                w->id, ow);
    rw->oneway = (int8_t)dir;
    pl_osm_access_tags at = {
        .highway = cls_tag, .access = way_tag(w, "access"), .vehicle = way_tag(w, "vehicle"),
        .motor_vehicle = way_tag(w, "motor_vehicle"), .motorcar = way_tag(w, "motorcar"),
        .bicycle = way_tag(w, "bicycle"), .foot = way_tag(w, "foot"), .motorroad = way_tag(w, "motorroad"),
    };
    int car, bike, foot;
    pl_osm_access(&at, &car, &bike, &foot);
    rw->car = (int8_t)car;
    rw->bike = (int8_t)bike;
    rw->foot = (int8_t)foot;
    const char *bridge = way_tag(w, "bridge"), *tunnel = way_tag(w, "tunnel"), *indoor = way_tag(w, "indoor");
    rw->bridge = (int8_t)(bridge && strcmp(bridge, "no") != 0);
    rw->tunnel = (int8_t)(tunnel && strcmp(tunnel, "no") != 0);
    rw->indoor = (int8_t)((indoor && strcmp(indoor, "no") != 0) || (highway && !strcmp(highway, "corridor")));
    rw->layer = (int8_t)pl_osm_parse_layer(way_tag(w, "layer"));
}

static void map_tree_row(rd_state *s, const readosm_way *w)
{
    GROW(s->tways, s->n_tways, s->cap_tways, 1);
    tree_way *t = &s->tways[s->n_tways++];
    t->id = w->id;
    t->ref0 = s->n_trefs;
    t->n_refs = (uint32_t)w->node_ref_count;
    t->diameter_crown = dup_or_null(way_tag(w, "diameter_crown"));
    t->height = dup_or_null(way_tag(w, "height"));
    GROW(s->trefs, s->n_trefs, s->cap_trefs, (size_t)w->node_ref_count);
    for (int i = 0; i < w->node_ref_count; i++)
        s->trefs[s->n_trefs++] = KEY(w->node_refs[i]);
}

static int on_way(const void *user, const readosm_way *w)
{
    rd_state *s = (rd_state *)user;
    if ((++s->n_objects & 0xFFFF) == 0 && tick(s))
        return READOSM_ABORT;
    const char *highway = NULL, *route = NULL, *natural = NULL;
    for (int i = 0; i < w->tag_count; i++) {
        const char *k = w->tags[i].key;
        if (k[0] == 'h' && !strcmp(k, "highway"))
            highway = w->tags[i].value;
        else if (k[0] == 'r' && !strcmp(k, "route"))
            route = w->tags[i].value;
        else if (k[0] == 'n' && !strcmp(k, "natural"))
            natural = w->tags[i].value;
    }
    int ferry = route && !strcmp(route, "ferry");
    int road = ferry || pl_osm_road_included(highway);
    int tree_row = natural && !strcmp(natural, "tree_row");
    if ((!road && !tree_row) || w->node_ref_count < 1)
        return READOSM_OK;
    int n = w->node_ref_count;
    if (n >= 4 && w->node_refs[0] == w->node_refs[n - 1] && tagged_as_area(s, w))
        return READOSM_OK;
    if (road)
        map_road(s, w, ferry, highway);
    if (tree_row)
        map_tree_row(s, w);
    return READOSM_OK;
}

/* ---------- after reading ---------- */

static int cmp_node(const void *a, const void *b)
{
    uint64_t x = ((const osm_node *)a)->key, y = ((const osm_node *)b)->key;
    return x < y ? -1 : x > y;
}

/* Index of key in sorted keys[0..n), or n. */
static size_t find_key(const uint64_t *keys, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo] == key ? lo : n;
}

static const osm_node *find_node(const rd_state *s, uint64_t key)
{
    size_t lo = 0, hi = s->n_nodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->nodes[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_nodes && s->nodes[lo].key == key ? &s->nodes[lo] : NULL;
}

static void warn_missing(rd_state *s, int64_t id, size_t present, size_t total, int kept)
{
    if (kept)
        pl_warn(s->ctx, "osm-way-missing-nodes",
                "%s: way %" PRId64 ": only %zu of its %zu nodes are in the extract; kept the pieces with nodes present",
                s->file, id, present, total);
    else
        pl_warn(s->ctx, "osm-way-dropped", "%s: way %" PRId64 ": %zu node(s) in the extract; dropped", s->file, id,
                present);
}

/* Projects n lon/lat points in place (x = lon, y = lat on entry); ok[i] = 0 where it failed. */
static void project(OGRCoordinateTransformationH ct, size_t n, double *x, double *y, int *ok)
{
    const size_t chunk = 1 << 20;
    for (size_t i = 0; i < n; i += chunk) {
        size_t m = n - i < chunk ? n - i : chunk;
        OCTTransformEx(ct, (int)m, x + i, y + i, NULL, ok + i);
    }
}

static GEOSGeometry *make_line(pl_ctx *ctx, const double *xy, size_t n)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, xy, (unsigned)n, 0, 0);
    return cs ? GEOSGeom_createLineString_r(ctx->geos, cs) : NULL;
}

static void build_tree_rows(rd_state *s, OGRCoordinateTransformationH ct, pl_osm_lines *out)
{
    out->rows = pl_calloc(s->n_tways ? s->n_tways : 1, sizeof *out->rows);
    for (size_t t = 0; t < s->n_tways; t++) {
        tree_way *tw = &s->tways[t];
        size_t n = tw->n_refs, m = 0;
        double *x = pl_calloc(n, sizeof *x), *y = pl_calloc(n, sizeof *y);
        int *ok = pl_calloc(n, sizeof *ok);
        for (size_t i = 0; i < n; i++) {
            const osm_node *nd = find_node(s, s->trefs[tw->ref0 + i]);
            if (nd) {
                x[m] = nd->lon / 1e7;
                y[m++] = nd->lat / 1e7;
            }
        }
        if (m < n)
            warn_missing(s, tw->id, m, n, m >= 2);
        project(ct, m, x, y, ok);
        double *xy = pl_calloc(2 * (m ? m : 1), sizeof *xy);
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (ok[i]) {
                xy[2 * k] = x[i];
                xy[2 * k + 1] = y[i];
                k++;
            }
        if (k >= 2) {
            pl_osm_tree_row *r = &out->rows[out->n_rows++];
            r->osm_id = tw->id;
            r->line = make_line(s->ctx, xy, k);
            r->diameter_crown = tw->diameter_crown;
            r->height = tw->height;
            tw->diameter_crown = tw->height = NULL;
        }
        free(xy);
        free(x);
        free(y);
        free(ok);
    }
}

/* The nodes the roads use: sorted unique keys, whether each is a split point, coordinates. */
typedef struct road_nodes {
    uint64_t *key;
    uint8_t *split;
    int32_t *lat, *lon;        /* MISSING when the node is not in the file */
    double *x, *y;             /* working CRS */
    size_t n, n_split;
} road_nodes;

static void road_nodes_free(road_nodes *rn)
{
    free(rn->key);
    free(rn->split);
    free(rn->lat);
    free(rn->lon);
    free(rn->x);
    free(rn->y);
}

static void count_road_nodes(rd_state *s, road_nodes *rn)
{
    /* Every ref once, a way's two ends once more: a key met twice or more is a split point. */
    size_t n = s->n_refs + 2 * s->n_ways;
    uint64_t *keys = pl_malloc((n ? n : 1) * sizeof *keys);
    if (s->n_refs)  /* an extract without road ways has no refs array at all */
        memcpy(keys, s->refs, s->n_refs * sizeof *keys);
    size_t k = s->n_refs;
    for (size_t w = 0; w < s->n_ways; w++) {
        const road_way *rw = &s->ways[w];
        if (!rw->n_refs)
            continue;
        keys[k++] = s->refs[rw->ref0];
        keys[k++] = s->refs[rw->ref0 + rw->n_refs - 1];
    }
    pl_sort_u64(keys, k);
    size_t u = 0;
    rn->split = pl_malloc(k ? k : 1);
    for (size_t i = 0; i < k;) {
        size_t j = i + 1;
        while (j < k && keys[j] == keys[i])
            j++;
        rn->split[u] = j - i >= 2;
        rn->n_split += rn->split[u];
        keys[u++] = keys[i];
        i = j;
    }
    rn->key = pl_realloc(keys, (u ? u : 1) * sizeof *keys);
    rn->split = pl_realloc(rn->split, u ? u : 1);
    rn->n = u;
}

/* Coordinates of the road nodes by a merge of two sorted lists. */
static void locate_road_nodes(const rd_state *s, road_nodes *rn)
{
    rn->lat = pl_malloc((rn->n ? rn->n : 1) * sizeof *rn->lat);
    rn->lon = pl_malloc((rn->n ? rn->n : 1) * sizeof *rn->lon);
    size_t j = 0;
    for (size_t i = 0; i < rn->n; i++) {
        while (j < s->n_nodes && s->nodes[j].key < rn->key[i])
            j++;
        if (j < s->n_nodes && s->nodes[j].key == rn->key[i]) {
            rn->lat[i] = s->nodes[j].lat;
            rn->lon[i] = s->nodes[j].lon;
        } else {
            rn->lat[i] = rn->lon[i] = MISSING;
        }
    }
}

static void project_road_nodes(rd_state *s, OGRCoordinateTransformationH ct, road_nodes *rn)
{
    size_t n = rn->n ? rn->n : 1;
    rn->x = pl_malloc(n * sizeof *rn->x);
    rn->y = pl_malloc(n * sizeof *rn->y);
    int *ok = pl_malloc(n * sizeof *ok);
    for (size_t i = 0; i < rn->n; i++) {
        rn->x[i] = rn->lat[i] == MISSING ? 0 : rn->lon[i] / 1e7;
        rn->y[i] = rn->lat[i] == MISSING ? 0 : rn->lat[i] / 1e7;
    }
    project(ct, rn->n, rn->x, rn->y, ok);
    for (size_t i = 0; i < rn->n; i++)
        if (!ok[i] && rn->lat[i] != MISSING) {
            pl_warn(s->ctx, "osm-transform-failed", "%s: node %" PRId64 ": cannot be transformed to %s; treated as "
                    "missing", s->file, UNKEY(rn->key[i]), s->ctx->work_crs);
            rn->lat[i] = rn->lon[i] = MISSING;
        }
    free(ok);
}

typedef struct piece_buf {
    size_t *idx;               /* road node indices of the piece */
    size_t n, cap;
} piece_buf;

/* Appends the piece (>= 2 nodes) as a road; returns 1 if kept, 0 if of zero length. */
static int emit_piece(rd_state *s, const road_way *rw, const road_nodes *rn, piece_buf *pb, pl_osm_data *d,
                      const struct geod_geodesic *geod)
{
    double len = 0;
    for (size_t i = 1; i < pb->n; i++) {
        size_t a = pb->idx[i - 1], b = pb->idx[i];
        if (rn->lat[a] == rn->lat[b] && rn->lon[a] == rn->lon[b])
            continue;
        double s12 = 0;
        geod_inverse(geod, rn->lat[a] / 1e7, rn->lon[a] / 1e7, rn->lat[b] / 1e7, rn->lon[b] / 1e7, &s12, NULL, NULL);
        len += s12;
    }
    int64_t src = UNKEY(rn->key[pb->idx[0]]), tgt = UNKEY(rn->key[pb->idx[pb->n - 1]]);
    if (!(len > 0)) {
        pl_warn(s->ctx, "osm-zero-length",
                "%s: way %" PRId64 ": the piece from node %" PRId64 " to node %" PRId64 " has all its nodes at one "
                "point (zero length); skipped", s->file, rw->id, src, tgt);
        return 0;
    }
    /* Vertices are counted in pairs in road_xy (n_road_xy = doubles). */
    GROW(d->road_xy, d->n_road_xy, d->cap_road_xy, 2 * pb->n);
    size_t xy0 = d->n_road_xy / 2;
    for (size_t i = 0; i < pb->n; i++) {
        d->road_xy[d->n_road_xy++] = rn->x[pb->idx[i]];
        d->road_xy[d->n_road_xy++] = rn->y[pb->idx[i]];
    }
    GROW(d->roads, d->n_roads, d->cap_roads, 1);
    pl_osm_road *r = &d->roads[d->n_roads++];
    memset(r, 0, sizeof *r);
    r->xy0 = xy0;
    r->n_xy = (uint32_t)pb->n;
    r->osm_id = rw->id;
    r->source = src;
    r->target = tgt;
    r->name = rw->name ? pl_strdup(rw->name) : NULL;
    r->highway = rw->highway;
    r->length_m = len;
    r->maxspeed_kmh = rw->maxspeed_kmh;
    r->maxspeed_tag = rw->maxspeed_tag ? pl_strdup(rw->maxspeed_tag) : NULL;
    r->oneway = rw->oneway;
    r->car = rw->car;
    r->bike = rw->bike;
    r->foot = rw->foot;
    r->bridge = rw->bridge;
    r->tunnel = rw->tunnel;
    r->indoor = rw->indoor;
    r->layer = rw->layer;
    return 1;
}

/* Cuts one way at its split points and at its missing nodes. */
static void split_way(rd_state *s, const road_way *rw, const road_nodes *rn, piece_buf *pb, pl_osm_data *d,
                      const struct geod_geodesic *geod)
{
    size_t present = 0, kept = 0, pieces = 0;
    pb->n = 0;
    for (uint32_t k = 0; k < rw->n_refs; k++) {
        size_t j = find_key(rn->key, rn->n, s->refs[rw->ref0 + k]);
        if (rn->lat[j] == MISSING) {
            if (pb->n >= 2) {
                pieces++;
                kept += (size_t)emit_piece(s, rw, rn, pb, d, geod);
            }
            pb->n = 0;
            continue;
        }
        present++;
        if (pb->n && pb->idx[pb->n - 1] == j)
            continue; /* the same node twice in a row */
        GROW(pb->idx, pb->n, pb->cap, 1);
        pb->idx[pb->n++] = j;
        if (pb->n >= 2 && rn->split[j]) {
            pieces++;
            kept += (size_t)emit_piece(s, rw, rn, pb, d, geod);
            pb->idx[0] = j;
            pb->n = 1;
        }
    }
    if (pb->n >= 2) {
        pieces++;
        kept += (size_t)emit_piece(s, rw, rn, pb, d, geod);
    }
    if (present < rw->n_refs)
        warn_missing(s, rw->id, present, rw->n_refs, pieces > 0);
    else if (pieces == 0 && rw->n_refs < 2) /* as GDAL: a way of one node (cut so by the extract) */
        warn_missing(s, rw->id, present, rw->n_refs, 0);
    else if (pieces == 0) /* the same node repeated */
        pl_warn(s->ctx, "osm-zero-length", "%s: way %" PRId64 ": all its nodes are node %" PRId64 " (zero length); "
                "skipped", s->file, rw->id, UNKEY(s->refs[rw->ref0]));
    (void)kept;
}

static int load_poly_keys(rd_state *s, const char *list)
{
    if (!list)
        return 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\r' || p[len - 1] == '\n'))
            len--;
        if (len) {
            s->poly_keys = pl_realloc(s->poly_keys, (s->n_poly_keys + 1) * sizeof *s->poly_keys);
            char *k = pl_malloc(len + 1);
            memcpy(k, p, len);
            k[len] = '\0';
            s->poly_keys[s->n_poly_keys++] = k;
        }
        p += strcspn(p, ",");
        if (*p == ',')
            p++;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static const char *readosm_message(int rc)
{
    switch (rc) {
    case READOSM_INVALID_SUFFIX: return "not a .osm or .pbf name";
    case READOSM_FILE_NOT_FOUND: return "file not found";
    case READOSM_INSUFFICIENT_MEMORY: return "out of memory";
    case READOSM_READ_ERROR: return "read error (truncated file?)";
    case READOSM_XML_ERROR: return "XML parse error";
    case READOSM_INVALID_PBF_HEADER: return "invalid PBF header";
    case READOSM_UNZIP_ERROR: return "compressed block cannot be unpacked";
    default: return "cannot parse it";
    }
}

static void state_free(rd_state *s)
{
    for (size_t i = 0; i < s->n_poly_keys; i++)
        free(s->poly_keys[i]);
    free(s->poly_keys);
    free(s->nodes);
    free(s->refs);
    for (size_t i = 0; i < s->n_ways; i++) {
        free(s->ways[i].name);
        free(s->ways[i].maxspeed_tag);
    }
    free(s->ways);
    free(s->trefs);
    for (size_t i = 0; i < s->n_tways; i++) {
        free(s->tways[i].diameter_crown);
        free(s->tways[i].height);
    }
    free(s->tways);
}

int pl_osm_read_lines(pl_ctx *ctx, const char *path, const char *file, const char *closed_polygon_keys,
                      OGRCoordinateTransformationH to_work, pl_osm_data *d, pl_osm_lines *out, pl_error *err)
{
    memset(out, 0, sizeof *out);
    rd_state s = {.ctx = ctx, .file = file, .nodes_sorted = 1, .rchar0 = rchar_now()};
    struct stat st;
    if (stat(path, &st) == 0)
        s.file_size = (long long)st.st_size;
    load_poly_keys(&s, closed_polygon_keys);

    const void *h = NULL;
    int rc = readosm_open(path, &h);
    if (rc == READOSM_OK) {
        pl_progress(ctx, 0.0, "reading OSM roads");
        rc = readosm_parse(h, &s, on_node, on_way, NULL);
    }
    readosm_close(h);
    if (s.cancelled) {
        state_free(&s);
        return pl_error_set(err, PL_EINPUT, "cancelled");
    }
    if (rc != READOSM_OK) {
        state_free(&s);
        return pl_error_set(err, PL_EINPUT, "%s: readosm cannot read it (%s); check that it is a complete OSM "
                            "PBF/XML file", file, readosm_message(rc));
    }
    pl_progress(ctx, 0.5, "splitting roads at shared nodes");
    if (!s.nodes_sorted)
        qsort(s.nodes, s.n_nodes, sizeof *s.nodes, cmp_node);

    build_tree_rows(&s, to_work, out);
    road_nodes rn = {0};
    count_road_nodes(&s, &rn);
    locate_road_nodes(&s, &rn);
    free(s.nodes); /* the largest array: gone before the pieces are built */
    s.nodes = NULL;
    s.n_nodes = 0;
    project_road_nodes(&s, to_work, &rn);

    struct geod_geodesic geod;
    geod_init(&geod, 6378137.0, 1.0 / 298.257223563);
    piece_buf pb = {0};
    for (size_t w = 0; w < s.n_ways; w++) {
        split_way(&s, &s.ways[w], &rn, &pb, d, &geod);
        if ((w & 0xFFFF) == 0xFFFF && pl_progress(ctx, 0.5 + 0.5 * (double)w / (double)s.n_ways,
                                                  "splitting roads at shared nodes")) {
            free(pb.idx);
            road_nodes_free(&rn);
            state_free(&s);
            return pl_error_set(err, PL_EINPUT, "cancelled");
        }
    }
    free(pb.idx);
    size_t n_split = rn.n_split;
    road_nodes_free(&rn);

    out->n_way_ids = s.n_ways + s.n_tways;
    out->way_ids = pl_malloc((out->n_way_ids ? out->n_way_ids : 1) * sizeof *out->way_ids);
    for (size_t i = 0; i < s.n_ways; i++)
        out->way_ids[i] = KEY(s.ways[i].id);
    for (size_t i = 0; i < s.n_tways; i++)
        out->way_ids[s.n_ways + i] = KEY(s.tways[i].id);
    pl_sort_u64(out->way_ids, out->n_way_ids);
    if (d->n_roads) /* else the caller refuses the file */
        pl_info(ctx, "%s: %zu road ways cut into %zu pieces at %zu shared nodes and way ends", file, s.n_ways,
                d->n_roads, n_split);
    state_free(&s);
    pl_progress(ctx, 1.0, "splitting roads at shared nodes");
    return PL_OK;
}

void pl_osm_lines_free(pl_ctx *ctx, pl_osm_lines *l)
{
    for (size_t i = 0; i < l->n_rows; i++) {
        if (l->rows[i].line)
            GEOSGeom_destroy_r(ctx->geos, l->rows[i].line);
        free(l->rows[i].diameter_crown);
        free(l->rows[i].height);
    }
    free(l->rows);
    free(l->way_ids);
    memset(l, 0, sizeof *l);
}

int pl_osm_lines_has_way(const pl_osm_lines *l, int64_t id)
{
    return find_key(l->way_ids, l->n_way_ids, KEY(id)) < l->n_way_ids;
}
