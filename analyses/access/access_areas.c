/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service areas: reached road pieces, buffered and unioned per band (see access_areas.h and
 * the README of this folder). Not a hull of reached points: a concave or convex hull of
 * the nodes reached claims the forest and lakes between two rural roads; a buffer of the
 * roads themselves claims only the land a walk-off width from a road actually reached. */
#include "access_areas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gis/util.h"

/* One target per node: a place at the node on one of its edges, with no access leg, so
 * that its label is the node's own time to the nearest source. */
static pl_snap *node_targets(const pl_graph *g)
{
    pl_snap *t = pl_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *t);
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        t[v].status = PL_SNAP_NONE;
        t[v].node_a = t[v].node_b = t[v].edge = t[v].road = UINT32_MAX;
    }
    for (uint32_t e = 0; e < g->n_edges; e++) {
        for (int end = 0; end < 2; end++) {
            uint32_t v = end ? g->edge_b[e] : g->edge_a[e];
            if (t[v].status != PL_SNAP_NONE)
                continue;
            pl_snap *s = &t[v];
            s->node_a = g->edge_a[e];
            s->node_b = g->edge_b[e];
            s->edge = e;
            s->road = g->edge_road[e];
            s->a_len_m = end ? g->edge_len_m[e] : 0;
            s->b_len_m = end ? 0 : g->edge_len_m[e];
            s->a_time_s = end ? g->edge_time_s[e] : 0;
            s->b_time_s = end ? 0 : g->edge_time_s[e];
            s->to_a = s->from_a = (uint8_t)!end;   /* only the node it stands on */
            s->to_b = s->from_b = (uint8_t)end;
            s->status = PL_SNAP_OK;
        }
    }
    return t;
}

/* The part of edge e from x0 to x1 metres along it (from node a), as a line. */
static GEOSGeometry *edge_piece(GEOSContextHandle_t h, const pl_graph *g, const pl_roads *roads, uint32_t e,
                                double x0, double x1)
{
    uint32_t v0 = g->edge_v0[e], v1 = g->edge_v1[e];
    double total = 0;
    for (uint32_t v = v0; v < v1; v++)
        total += hypot(roads->vx[v + 1] - roads->vx[v], roads->vy[v + 1] - roads->vy[v]);
    double scale = g->edge_len_m[e] > 0 ? total / g->edge_len_m[e] : 0;
    x0 = fmax(0, x0 * scale);
    x1 = fmin(total, x1 * scale);
    if (!(x1 > x0))
        return NULL;
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, v1 - v0 + 2, 2);
    unsigned n = 0;
    double at = 0;
    for (uint32_t v = v0; v < v1; v++) {
        double dx = roads->vx[v + 1] - roads->vx[v], dy = roads->vy[v + 1] - roads->vy[v];
        double len = hypot(dx, dy), end = at + len;
        if (end >= x0 && at <= x1 && len > 0) {
            double f0 = fmax(0, (x0 - at) / len), f1 = fmin(1, (x1 - at) / len);
            if (n == 0)
                GEOSCoordSeq_setXY_r(h, cs, n++, roads->vx[v] + f0 * dx, roads->vy[v] + f0 * dy);
            GEOSCoordSeq_setXY_r(h, cs, n++, roads->vx[v] + f1 * dx, roads->vy[v] + f1 * dy);
        }
        at = end;
    }
    if (n < 2) {
        GEOSCoordSeq_destroy_r(h, cs);
        return NULL;
    }
    /* A shorter sequence of the points set (GEOS sequences have a fixed size). */
    GEOSCoordSequence *cut = GEOSCoordSeq_create_r(h, n, 2);
    for (unsigned i = 0; i < n; i++) {
        double x, y;
        GEOSCoordSeq_getXY_r(h, cs, i, &x, &y);
        GEOSCoordSeq_setXY_r(h, cut, i, x, y);
    }
    GEOSCoordSeq_destroy_r(h, cs);
    return GEOSGeom_createLineString_r(h, cut);
}

/* Reached stretches of edges: (edge, from, to) in metres from node a. */
typedef struct stretch {
    uint32_t e;
    double x0, x1;
} stretch;

typedef struct stretches {
    stretch *v;
    size_t n, cap;
} stretches;

static void stretch_push(stretches *s, uint32_t e, double x0, double x1)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = pl_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (stretch){e, x0, x1};
}

static void stretch_add(stretches *s, const pl_graph *g, uint32_t e, double x0, double x1)
{
    x0 = fmax(0, x0);
    x1 = fmin(g->edge_len_m[e], x1);
    if (x1 > x0)
        stretch_push(s, e, x0, x1);
}

static int cmp_stretch(const void *pa, const void *pb)
{
    const stretch *a = pa, *b = pb;
    if (a->e != b->e)
        return a->e < b->e ? -1 : 1;
    return (a->x0 > b->x0) - (a->x0 < b->x0);
}

/* Merges overlapping stretches of one edge (sorted first): each bit of road once, so the
 * length is right and GEOS gets fewer, longer lines. */
static void stretches_merge(stretches *s)
{
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_stretch);
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++) {
        if (s->v[i].e == s->v[k].e && s->v[i].x0 <= s->v[k].x1)
            s->v[k].x1 = fmax(s->v[k].x1, s->v[i].x1);
        else
            s->v[++k] = s->v[i];
    }
    s->n = k + 1;
}

/* The road stretches reached within T seconds: from each end node along the edge (a place on
 * the edge travels towards the node, so the edge's direction must allow it), and from the
 * sources standing on an edge. */
static void reached_stretches(const pl_graph *g, const double *node_s, const pl_snap *src, uint32_t n_src, double T,
                              stretches *out)
{
    out->n = 0;
    for (uint32_t e = 0; e < g->n_edges; e++) {
        double ta = node_s[g->edge_a[e]], tb = node_s[g->edge_b[e]];
        double len = g->edge_len_m[e], te = g->edge_time_s[e];
        int walk = g->mode == PL_MODE_WALK;
        int to_a = walk || (g->edge_dir[e] & 2), to_b = walk || (g->edge_dir[e] & 1);
        if (ta <= T && to_a)
            stretch_add(out, g, e, 0, te > 0 ? (T - ta) / te * len : len);
        if (tb <= T && to_b)
            stretch_add(out, g, e, te > 0 ? len - (T - tb) / te * len : 0, len);
    }
    for (uint32_t s = 0; s < n_src; s++) {
        const pl_snap *q = &src[s];
        if (!pl_snap_usable(g, q) || q->edge >= g->n_edges)
            continue;
        uint32_t e = q->edge;
        double len = g->edge_len_m[e], te = g->edge_time_s[e], left = T - q->access_s;
        if (left <= 0)
            continue;
        double reach = te > 0 ? left / te * len : len, xs = q->a_len_m;
        int walk = g->mode == PL_MODE_WALK;
        if (walk || (g->edge_dir[e] & 1))   /* places before the source drive a->b to it */
            stretch_add(out, g, e, xs - reach, xs);
        if (walk || (g->edge_dir[e] & 2))
            stretch_add(out, g, e, xs, xs + reach);
    }
    stretches_merge(out);
}

static double stretches_length(const stretches *s)
{
    double m = 0;
    for (size_t i = 0; i < s->n; i++)
        m += s->v[i].x1 - s->v[i].x0;
    return m;
}

/* out = cur minus prev, both merged and sorted by (edge, start). */
static void stretches_minus(const stretches *cur, const stretches *prev, stretches *out)
{
    out->n = 0;
    size_t j = 0;
    for (size_t i = 0; i < cur->n; i++) {
        stretch c = cur->v[i];
        while (j < prev->n && (prev->v[j].e < c.e || (prev->v[j].e == c.e && prev->v[j].x1 <= c.x0)))
            j++;
        double from = c.x0;
        for (size_t k = j; k < prev->n && prev->v[k].e == c.e && prev->v[k].x0 < c.x1; k++) {
            if (prev->v[k].x0 > from)
                stretch_push(out, c.e, from, prev->v[k].x0);
            from = fmax(from, prev->v[k].x1);
        }
        if (c.x1 > from)
            stretch_push(out, c.e, from, c.x1);
    }
}

typedef struct pieces {
    GEOSGeometry **v;
    size_t n;
    double len_m;
} pieces;

static void stretches_to_pieces(GEOSContextHandle_t h, const pl_graph *g, const pl_roads *roads,
                                const stretches *s, pieces *p)
{
    p->v = pl_malloc((s->n ? s->n : 1) * sizeof *p->v);
    p->n = 0;
    p->len_m = 0;
    for (size_t i = 0; i < s->n; i++) {
        GEOSGeometry *l = edge_piece(h, g, roads, s->v[i].e, s->v[i].x0, s->v[i].x1);
        if (l)
            p->v[p->n++] = l;
        p->len_m += s->v[i].x1 - s->v[i].x0;
    }
}

/* The pieces buffered by width and unioned: each piece (simplified by a tenth of the width,
 * which moves no edge of the buffer by more than that) buffered on its own, then one
 * GEOSUnaryUnion of them all (a cascaded union over an STRtree). Buffering the whole
 * multi-line at once looked simpler but GEOS then nodes every offset curve against every
 * other, and on the demo's Örebro län (127,000 roads) fell back to reduced precision and ran
 * for more than ten minutes. Takes the pieces. NULL when there are none or GEOS failed. */
static GEOSGeometry *buffer_pieces(GEOSContextHandle_t h, pieces *p, double width)
{
    if (p->n == 0)
        return NULL;
    GEOSBufferParams *bp = GEOSBufferParams_create_r(h);
    GEOSBufferParams_setQuadrantSegments_r(h, bp, 4);
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        GEOSGeometry *simple = GEOSSimplify_r(h, p->v[i], width / 10);
        GEOSGeom_destroy_r(h, p->v[i]);
        GEOSGeometry *b = simple ? GEOSBufferWithParams_r(h, simple, bp, width) : NULL;
        if (simple)
            GEOSGeom_destroy_r(h, simple);
        if (b)
            p->v[k++] = b;
    }
    GEOSBufferParams_destroy_r(h, bp);
    size_t n = p->n;
    p->n = 0;
    if (k < n) {  /* a piece GEOS could not buffer: fail rather than leave a hole */
        for (size_t i = 0; i < k; i++)
            GEOSGeom_destroy_r(h, p->v[i]);
        return NULL;
    }
    GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, p->v, (unsigned)k);
    GEOSGeometry *u = all ? GEOSUnaryUnion_r(h, all) : NULL;
    if (all)
        GEOSGeom_destroy_r(h, all);
    return u;
}

/* Residents per band from the units' own written nearest times (the cells' band column). */
static void band_residents(const pl_access_result *r, const pl_population *pop, int t, pl_service_area *a)
{
    const pl_access_type *at = &r->types[t];
    for (size_t c = 0; c < r->n_cells; c++) {
        if (!r->cell_in_region[c])
            continue;
        int b = pl_band_index(pl_access_min_written(&at->by_time[c * 2]), at->bands_min, at->n_bands_min);
        if (b < 0 || b >= at->n_bands_min)
            continue;
        a[b].pop += pop->pop[c];
        a[b].pop_age += pop->age_pop ? pop->age_pop[c] : 0;
        a[b].n_cells++;
    }
}

static int type_areas(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const pl_population *pop,
                      const pl_access_result *r, int t, const pl_snap *targets, double width, pl_service_area *a,
                      pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    const pl_access_type *at = &r->types[t];
    uint32_t ns = at->n_services;
    pl_snap *src = pl_malloc((ns ? ns : 1) * sizeof *src);
    for (uint32_t s = 0; s < ns; s++)
        src[s] = r->svc_snap[at->service_index[s]];
    pl_label *lab = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *lab);
    double T_max = at->bands_min[at->n_bands_min - 1] * 60;
    pl_search_opts so = {.metric = PL_METRIC_TIME, .k = 1, .cutoff = T_max};
    int rc = pl_graph_nearest_k(NULL, g, src, ns, targets, g->n_nodes, &so, lab, err);
    double *node_s = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *node_s);
    for (uint32_t v = 0; v < g->n_nodes; v++)
        node_s[v] = lab[v].time_s;
    free(lab);
    /* Band by band, only what the band adds: D = the union of the buffered stretches reached
     * now but not in the band before (a buffer of a union is the union of the buffers, so
     * this loses nothing), the ring = D minus all before, all before = all before plus D.
     * Each road is buffered and unioned about once per type instead of once per band. */
    GEOSGeometry *before = NULL;
    stretches st = {0}, prev_st = {0}, delta = {0};
    for (int b = 0; rc == PL_OK && b < at->n_bands_min; b++) {
        a[b].slot = t;
        a[b].band = b;
        a[b].lo_min = b ? at->bands_min[b - 1] : 0;
        a[b].hi_min = at->bands_min[b];
        reached_stretches(g, node_s, src, ns, at->bands_min[b] * 60, &st);
        stretches_minus(&st, &prev_st, &delta);
        pieces p = {0};
        a[b].road_km = stretches_length(&st) / 1000;
        stretches_to_pieces(h, g, roads, &delta, &p);
        double new_m = p.len_m;
        GEOSGeometry *d = buffer_pieces(h, &p, width);
        free(p.v);
        if (new_m > 0 && !d) {
            rc = pl_error_set(err, PL_EINTERNAL, "service areas: GEOS could not buffer the roads of band %d", b + 1);
            break;
        }
        if (d && before) {
            a[b].geom = GEOSDifference_r(h, d, before);
            GEOSGeometry *all = b + 1 < at->n_bands_min ? GEOSUnion_r(h, before, d) : NULL;
            GEOSGeom_destroy_r(h, d);
            if (b + 1 < at->n_bands_min) {
                GEOSGeom_destroy_r(h, before);
                before = all;
            }
            if (!a[b].geom || (b + 1 < at->n_bands_min && !before)) {
                rc = pl_error_set(err, PL_EINTERNAL, "service areas: GEOS could not join band %d to the ones before",
                                  b + 1);
                break;
            }
        } else if (d) {
            a[b].geom = d;
            before = GEOSGeom_clone_r(h, d);
        }
        stretches swap = prev_st;  /* this band's stretches are the next one's "before" */
        prev_st = st;
        st = swap;
    }
    if (before)
        GEOSGeom_destroy_r(h, before);
    free(st.v);
    free(prev_st.v);
    free(delta.v);
    if (rc == PL_OK)
        band_residents(r, pop, t, a);
    free(node_s);
    free(src);
    return rc;
}

int pl_access_service_areas(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const pl_population *pop,
                            const pl_access_result *r, double width_m, pl_service_areas **out, pl_error *err)
{
    *out = NULL;
    if (!(width_m > 0))
        return pl_error_set(err, PL_EINTERNAL, "service areas: width must be positive");
    pl_service_areas *sa = pl_calloc(1, sizeof *sa);
    for (int t = 0; t < r->n_types; t++)
        sa->n += r->types[t].n_bands_min;
    sa->a = pl_calloc((size_t)(sa->n ? sa->n : 1), sizeof *sa->a);
    pl_snap *targets = node_targets(g);
    int rc = PL_OK;
    for (int t = 0, k = 0; rc == PL_OK && t < r->n_types; k += r->types[t].n_bands_min, t++) {
        if (pl_progress(ctx, (double)t / r->n_types, "service areas"))
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
        else
            rc = type_areas(ctx, g, roads, pop, r, t, targets, width_m, &sa->a[k], err);
    }
    pl_progress(ctx, 1.0, "service areas");
    free(targets);
    if (rc != PL_OK) {
        pl_service_areas_free(ctx, sa);
        return rc;
    }
    *out = sa;
    return PL_OK;
}

void pl_service_areas_free(pl_ctx *ctx, pl_service_areas *sa)
{
    if (!sa)
        return;
    for (int i = 0; i < sa->n; i++)
        if (sa->a[i].geom)
            GEOSGeom_destroy_r(ctx->geos, sa->a[i].geom);
    free(sa->a);
    free(sa);
}
