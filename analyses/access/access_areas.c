/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service areas: reached road pieces, buffered and unioned per band (see access_areas.h and
 * the README of this folder). Not a hull of reached points: a concave or convex hull of
 * the nodes reached claims the forest and lakes between two rural roads; a buffer of the
 * roads themselves claims only the land a walk-off width from a road actually reached. */
#include "access_areas.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* ---------- reached pieces of road as coordinates ---------- */

/* The reached part of one edge, simplified, with the graph node at each end (UINT32_MAX where
 * the piece ends inside its edge: a band's limit). */
typedef struct piece {
    size_t at;          /* first point in pieces.xy */
    uint32_t n;         /* points, >= 2 */
    uint32_t node[2];
} piece;

typedef struct pieces {
    piece *v;
    size_t n, cap;
    double *xy;         /* x, y pairs of every piece */
    size_t n_xy, cap_xy;
    double len_m;       /* reached length (graph metres) */
} pieces;

static void xy_push(pieces *p, double x, double y)
{
    if (p->n_xy == p->cap_xy) {
        p->cap_xy = p->cap_xy ? p->cap_xy * 2 : 4096;
        p->xy = pl_realloc(p->xy, p->cap_xy * 2 * sizeof *p->xy);
    }
    if (p->n_xy > p->v[p->n].at && p->xy[2 * p->n_xy - 2] == x && p->xy[2 * p->n_xy - 1] == y)
        return;  /* no repeated points */
    p->xy[2 * p->n_xy] = x;
    p->xy[2 * p->n_xy + 1] = y;
    p->n_xy++;
}

/* Appends to p (as its next piece, p->v[p->n]) the points of edge e from x0 to x1 metres
 * along it (from node a). Whole segments keep their vertices exactly, so that pieces meeting
 * at a node share its coordinates. */
static void edge_points(pieces *p, const pl_graph *g, const pl_roads *roads, uint32_t e, double x0, double x1)
{
    uint32_t v0 = g->edge_v0[e], v1 = g->edge_v1[e];
    double total = 0;
    for (uint32_t v = v0; v < v1; v++)
        total += hypot(roads->vx[v + 1] - roads->vx[v], roads->vy[v + 1] - roads->vy[v]);
    double scale = g->edge_len_m[e] > 0 ? total / g->edge_len_m[e] : 0;
    x0 = fmax(0, x0 * scale);
    x1 = fmin(total, x1 * scale);
    if (!(x1 > x0))
        return;
    double at = 0;
    for (uint32_t v = v0; v < v1; v++) {
        double dx = roads->vx[v + 1] - roads->vx[v], dy = roads->vy[v + 1] - roads->vy[v];
        double len = hypot(dx, dy), end = at + len;
        if (end >= x0 && at <= x1 && len > 0) {
            double f0 = fmax(0, (x0 - at) / len), f1 = fmin(1, (x1 - at) / len);
            xy_push(p, f0 > 0 ? roads->vx[v] + f0 * dx : roads->vx[v], f0 > 0 ? roads->vy[v] + f0 * dy : roads->vy[v]);
            xy_push(p, f1 < 1 ? roads->vx[v] + f1 * dx : roads->vx[v + 1],
                    f1 < 1 ? roads->vy[v] + f1 * dy : roads->vy[v + 1]);
        }
        at = end;
    }
}

static double seg_dist(const double *p, const double *a, const double *b)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
}

/* Douglas-Peucker on the n points at xy (as GEOSSimplify on a line: distance to the segment,
 * ends kept), in place; returns the points kept. keep and stack: scratch of n entries. */
static uint32_t simplify_points(double *xy, uint32_t n, double tol, uint8_t *keep, uint32_t *stack)
{
    memset(keep, 0, n);
    keep[0] = keep[n - 1] = 1;
    uint32_t top = 0;
    stack[top++] = 0;
    stack[top++] = n - 1;
    while (top) {
        uint32_t j = stack[--top], i = stack[--top];
        double worst = -1;
        uint32_t at = i;
        for (uint32_t k = i + 1; k < j; k++) {
            double d = seg_dist(&xy[2 * k], &xy[2 * i], &xy[2 * j]);
            if (d > worst) {
                worst = d;
                at = k;
            }
        }
        if (worst > tol) {
            keep[at] = 1;
            stack[top++] = i;
            stack[top++] = at;
            stack[top++] = at;
            stack[top++] = j;
        }
    }
    uint32_t m = 0;
    for (uint32_t k = 0; k < n; k++)
        if (keep[k]) {
            xy[2 * m] = xy[2 * k];
            xy[2 * m + 1] = xy[2 * k + 1];
            m++;
        }
    return m;
}

/* The stretches s as pieces, each simplified by tol (which moves no edge of its buffer by
 * more than tol). Scratch for the simplification grows in keep/stack. */
static void stretches_to_pieces(const pl_graph *g, const pl_roads *roads, const stretches *s, double tol, pieces *p,
                                uint8_t **keep, uint32_t **stack, size_t *cap)
{
    p->n = p->n_xy = 0;
    p->len_m = 0;
    for (size_t i = 0; i < s->n; i++) {
        const stretch *q = &s->v[i];
        p->len_m += q->x1 - q->x0;
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 1024;
            p->v = pl_realloc(p->v, p->cap * sizeof *p->v);
        }
        piece *c = &p->v[p->n];
        c->at = p->n_xy;
        edge_points(p, g, roads, q->e, q->x0, q->x1);
        size_t n = p->n_xy - c->at;
        if (n < 2) {
            p->n_xy = c->at;
            continue;
        }
        if (n * 2 > *cap) {
            *cap = n * 2;
            *keep = pl_realloc(*keep, *cap);
            *stack = pl_realloc(*stack, *cap * sizeof **stack);
        }
        c->n = simplify_points(&p->xy[2 * c->at], (uint32_t)n, tol, *keep, *stack);
        p->n_xy = c->at + c->n;
        c->node[0] = q->x0 <= 0 ? g->edge_a[q->e] : UINT32_MAX;
        c->node[1] = q->x1 >= g->edge_len_m[q->e] ? g->edge_b[q->e] : UINT32_MAX;
        p->n++;
    }
}

/* ---------- trails: pieces joined end to end at the nodes ---------- */

/* A buffer of a line is the union of the buffers of its parts (round caps and joins), so
 * pieces that meet at a node can be buffered as one line: the union then has a quarter as
 * many polygons to join (about 4 pieces a trail on Örebro län), which is where the time
 * went. At each node the ends are paired straightest first (a trail runs along a street
 * rather than round a corner); a trail holds at most TRAIL_MAX pieces, so each buffer stays
 * local. Nothing is joined across a piece's mid-edge end. */
#define TRAIL_MAX 64

/* Unit direction from end `end` of piece c into the piece. */
static void end_dir(const pieces *p, const piece *c, int end, double *dx, double *dy)
{
    const double *a = &p->xy[2 * (end ? c->at + c->n - 1 : c->at)];
    const double *b = &p->xy[2 * (end ? c->at + c->n - 2 : c->at + 1)];
    double l = hypot(b[0] - a[0], b[1] - a[1]);
    *dx = l > 0 ? (b[0] - a[0]) / l : 0;
    *dy = l > 0 ? (b[1] - a[1]) / l : 0;
}

/* Pairs the ends (2 * piece + end) that meet at a node: partner[i] the end i continues
 * into, or -1. by_node/first: scratch (2 * p->n and n_nodes + 1 entries). */
static void pair_ends(const pieces *p, uint32_t n_nodes, int64_t *partner, uint32_t *first, size_t *by_node)
{
    memset(first, 0, (n_nodes + 1) * sizeof *first);
    for (size_t i = 0; i < 2 * p->n; i++) {
        partner[i] = -1;
        uint32_t v = p->v[i / 2].node[i % 2];
        if (v != UINT32_MAX)
            first[v + 1]++;
    }
    for (uint32_t v = 0; v < n_nodes; v++)
        first[v + 1] += first[v];
    for (size_t i = 0; i < 2 * p->n; i++) {  /* counting sort: ends by node, in piece order */
        uint32_t v = p->v[i / 2].node[i % 2];
        if (v != UINT32_MAX)
            by_node[first[v]++] = i;
    }
    size_t from = 0;
    for (uint32_t v = 0; v < n_nodes; v++) {  /* first[v] is now the end of node v's run */
        size_t to = first[v], d = to - from;
        double ux[16], uy[16];
        int used[16] = {0};
        if (d > 16)
            d = 16;  /* a busier node: its other ends start trails of their own */
        for (size_t k = 0; k < d; k++)
            end_dir(p, &p->v[by_node[from + k] / 2], (int)(by_node[from + k] % 2), &ux[k], &uy[k]);
        for (;;) {
            double best = 2;
            size_t bi = 0, bj = 0;
            for (size_t i = 0; i < d; i++)
                for (size_t j = i + 1; j < d; j++) {
                    double c = ux[i] * ux[j] + uy[i] * uy[j];  /* -1: straight on */
                    if (!used[i] && !used[j] && by_node[from + i] / 2 != by_node[from + j] / 2 && c < best) {
                        best = c;
                        bi = i;
                        bj = j;
                    }
                }
            if (best > 1)
                break;
            used[bi] = used[bj] = 1;
            partner[by_node[from + bi]] = (int64_t)by_node[from + bj];
            partner[by_node[from + bj]] = (int64_t)by_node[from + bi];
        }
        from = first[v];
    }
}

/* The line of pieces seq[0..k-1], each entered at end `in` (0: walked from its first point). */
static GEOSGeometry *trail_line(GEOSContextHandle_t h, const pieces *p, const size_t *seq, const uint8_t *in,
                                size_t k, double **buf, size_t *cap)
{
    size_t n = 1;
    for (size_t i = 0; i < k; i++)
        n += p->v[seq[i]].n - 1;
    if (n * 2 > *cap) {
        *cap = n * 2;
        *buf = pl_realloc(*buf, *cap * sizeof **buf);
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        const piece *c = &p->v[seq[i]];
        for (uint32_t j = i ? 1 : 0; j < c->n; j++) {
            size_t at = c->at + (in[i] ? c->n - 1 - j : j);
            (*buf)[2 * m] = p->xy[2 * at];
            (*buf)[2 * m + 1] = p->xy[2 * at + 1];
            m++;
        }
    }
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(h, *buf, (unsigned)m, 0, 0);
    return cs ? GEOSGeom_createLineString_r(h, cs) : NULL;
}

typedef struct trail_scratch {
    int64_t *partner;
    uint32_t *first;
    size_t *by_node, *seq;
    uint8_t *in, *done;
    double *buf;
    size_t buf_cap;
} trail_scratch;

/* Walks the chain of pieces from piece c entered at end e, emitting trails of at most
 * TRAIL_MAX pieces into out. */
static int walk_chain(GEOSContextHandle_t h, const pieces *p, trail_scratch *s, size_t c, int e, GEOSGeometry **out,
                      size_t *n_out)
{
    while (c != SIZE_MAX && !s->done[c]) {
        size_t k = 0;
        while (c != SIZE_MAX && !s->done[c] && k < TRAIL_MAX) {
            s->done[c] = 1;
            s->seq[k] = c;
            s->in[k++] = (uint8_t)e;
            int64_t q = s->partner[2 * c + !e];  /* leave by the other end */
            c = q < 0 ? SIZE_MAX : (size_t)q / 2;
            e = q < 0 ? 0 : (int)(q % 2);
        }
        GEOSGeometry *l = trail_line(h, p, s->seq, s->in, k, &s->buf, &s->buf_cap);
        if (!l)
            return -1;
        out[(*n_out)++] = l;
    }
    return 0;
}

/* The pieces joined into trails: chains from a free end first, then closed loops, each in
 * piece order (deterministic). out: room for p->n lines. Returns the trails, -1 if GEOS failed
 * (out then holds *n_out lines to free). */
static int make_trails(GEOSContextHandle_t h, const pieces *p, uint32_t n_nodes, trail_scratch *s,
                       GEOSGeometry **out, size_t *n_out)
{
    *n_out = 0;
    size_t n = p->n ? p->n : 1;
    s->partner = pl_realloc(s->partner, 2 * n * sizeof *s->partner);
    s->first = pl_realloc(s->first, ((size_t)n_nodes + 1) * sizeof *s->first);
    s->by_node = pl_realloc(s->by_node, 2 * n * sizeof *s->by_node);
    s->seq = pl_realloc(s->seq, TRAIL_MAX * sizeof *s->seq);
    s->in = pl_realloc(s->in, TRAIL_MAX);
    s->done = pl_realloc(s->done, n);
    memset(s->done, 0, n);
    pair_ends(p, n_nodes, s->partner, s->first, s->by_node);
    for (size_t c = 0; c < p->n; c++)
        for (int e = 0; e < 2; e++)
            if (!s->done[c] && s->partner[2 * c + e] < 0 && walk_chain(h, p, s, c, e, out, n_out) != 0)
                return -1;
    for (size_t c = 0; c < p->n; c++)
        if (!s->done[c] && walk_chain(h, p, s, c, 0, out, n_out) != 0)
            return -1;
    return 0;
}

static void trail_scratch_free(trail_scratch *s)
{
    free(s->partner);
    free(s->first);
    free(s->by_node);
    free(s->seq);
    free(s->in);
    free(s->done);
    free(s->buf);
}

/* The trails buffered by width (4 segments a quarter circle: a chord is at most 3.8 m inside
 * a 200 m circle) and unioned (GEOSUnaryUnion: a cascaded union over an STRtree). Buffering
 * the whole multi-line at once looked simpler but GEOS then nodes every offset curve against
 * every other, and on the demo's Örebro län (127,000 roads) fell back to reduced precision
 * and ran for more than ten minutes. NULL when there are no pieces or GEOS failed. */
static GEOSGeometry *buffer_pieces(GEOSContextHandle_t h, const pieces *p, uint32_t n_nodes, double width,
                                   trail_scratch *s)
{
    if (p->n == 0)
        return NULL;
    GEOSGeometry **v = pl_malloc(p->n * sizeof *v);
    size_t n = 0;
    int bad = make_trails(h, p, n_nodes, s, v, &n) != 0;
    GEOSBufferParams *bp = GEOSBufferParams_create_r(h);
    GEOSBufferParams_setQuadrantSegments_r(h, bp, 4);
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *b = bad ? NULL : GEOSBufferWithParams_r(h, v[i], bp, width);
        GEOSGeom_destroy_r(h, v[i]);
        v[i] = b;
        bad |= !b;  /* a trail GEOS could not buffer: fail rather than leave a hole */
    }
    GEOSBufferParams_destroy_r(h, bp);
    GEOSGeometry *u = NULL;
    if (!bad) {
        GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, v, (unsigned)n);
        u = all ? GEOSUnaryUnion_r(h, all) : NULL;
        if (all)
            GEOSGeom_destroy_r(h, all);
    } else {
        for (size_t i = 0; i < n; i++)
            if (v[i])
                GEOSGeom_destroy_r(h, v[i]);
    }
    free(v);
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

static int type_areas(GEOSContextHandle_t h, const pl_graph *g, const pl_roads *roads, const pl_population *pop,
                      const pl_access_result *r, int t, const pl_snap *targets, double width, pl_service_area *a,
                      pl_error *err)
{
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
    pieces p = {0};
    trail_scratch ts = {0};
    uint8_t *keep = NULL;
    uint32_t *stack = NULL;
    size_t cap = 0;
    for (int b = 0; rc == PL_OK && b < at->n_bands_min; b++) {
        a[b].slot = t;
        a[b].band = b;
        a[b].lo_min = b ? at->bands_min[b - 1] : 0;
        a[b].hi_min = at->bands_min[b];
        reached_stretches(g, node_s, src, ns, at->bands_min[b] * 60, &st);
        stretches_minus(&st, &prev_st, &delta);
        a[b].road_km = stretches_length(&st) / 1000;
        stretches_to_pieces(g, roads, &delta, width / 10, &p, &keep, &stack, &cap);
        double new_m = p.len_m;
        GEOSGeometry *d = buffer_pieces(h, &p, g->n_nodes, width, &ts);
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
    free(p.v);
    free(p.xy);
    free(keep);
    free(stack);
    trail_scratch_free(&ts);
    if (rc == PL_OK)
        band_residents(r, pop, t, a);
    free(node_s);
    free(src);
    return rc;
}

/* ---------- the types on up to 2 threads ---------- */

/* The types are independent (each reads the graph and result and writes its own rows), so
 * they run on worker threads, each with a GEOS context of its own (GEOS's _r functions are
 * thread-safe per context). A type's rows come from the same single-threaded code whichever
 * thread runs it, so the output is byte for byte that of a serial run. */
typedef struct areas_job {
    pl_ctx *ctx;                 /* progress and cancellation: the calling thread only */
    const pl_graph *g;
    const pl_roads *roads;
    const pl_population *pop;
    const pl_access_result *r;
    const pl_snap *targets;
    double width;
    pl_service_area **rows;      /* per type: its first row */
    atomic_int next, done, failed;
    int *rc;                     /* per type */
    pl_error *errs;              /* per type */
    atomic_int oom;              /* a worker ran out of memory: oom_err (the first one's) */
    pl_error oom_err;
} areas_job;

typedef struct areas_worker {
    areas_job *J;
    pl_ctx *geos;                /* this worker's GEOS context */
} areas_worker;

static void run_types(areas_job *J, GEOSContextHandle_t h, int reporter)
{
    int n = J->r->n_types;
    for (;;) {
        if (atomic_load(&J->failed))
            break;
        int t = atomic_fetch_add(&J->next, 1);
        if (t >= n)
            break;
        J->rc[t] = type_areas(h, J->g, J->roads, J->pop, J->r, t, J->targets, J->width, J->rows[t], &J->errs[t]);
        int done = atomic_fetch_add(&J->done, 1) + 1;
        if (J->rc[t] != PL_OK)
            atomic_store(&J->failed, 1);
        if (reporter && pl_progress(J->ctx, (double)done / n, "service areas")) {
            J->rc[t] = pl_error_set(&J->errs[t], PL_EINPUT, "cancelled");
            atomic_store(&J->failed, 1);
        }
    }
}

static int areas_work(void *arg)
{
    areas_worker *w = arg;
    run_types(w->J, w->geos->geos, 0);
    return PL_OK;
}

/* Out of memory on a worker stops the run and is its error, seen after the join. */
static void *areas_thread(void *arg)
{
    areas_worker *w = arg;
    pl_error oom = {0};
    if (pl_oom_guard(areas_work, w, NULL, &oom) != PL_OK) {
        atomic_store(&w->J->failed, 1);
        if (atomic_exchange(&w->J->oom, 1) == 0)
            w->J->oom_err = oom;
    }
    return NULL;
}

typedef struct areas_waiter {
    areas_job *J;
    pthread_t *tid;
    int *started;
} areas_waiter;

static void stop_areas_threads(void *arg)
{
    areas_waiter *w = arg;
    atomic_store(&w->J->failed, 1);
    for (int i = 1; i <= *w->started; i++)
        pthread_join(w->tid[i], NULL);
    *w->started = 0;
}

/* Runs every type of J on up to pl_access_threads threads; the first error in type order. */
static int run_all_types(areas_job *J, pl_error *err)
{
    int n = J->r->n_types, n_threads = pl_access_threads(n);
    pthread_t *tid = pl_calloc((size_t)n_threads, sizeof *tid);
    areas_worker *w = pl_calloc((size_t)n_threads, sizeof *w);
    for (int i = 1; i < n_threads; i++)
        w[i] = (areas_worker){J, pl_ctx_new_child(J->ctx)};
    int started = 0;
    areas_waiter waiter = {J, tid, &started};
    pl_oom_hold_wait(stop_areas_threads, &waiter);  /* the workers share J, on the caller's stack */
    for (int i = 1; i < n_threads; i++)
        if (pthread_create(&tid[i], NULL, areas_thread, &w[i]) == 0)
            started++;
        else
            break;
    run_types(J, J->ctx->geos, 1);  /* this thread works too, and reports progress */
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    pl_oom_release();
    for (int i = 1; i < n_threads; i++)
        pl_ctx_free(w[i].geos);
    free(w);
    free(tid);
    if (atomic_load(&J->oom)) {
        if (err)
            *err = J->oom_err;
        return PL_EINTERNAL;
    }
    for (int t = 0; t < n; t++)
        if (J->rc[t] != PL_OK) {
            if (err)
                *err = J->errs[t];
            return J->rc[t];
        }
    return PL_OK;
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
    size_t n_types = (size_t)(r->n_types > 0 ? r->n_types : 1);
    areas_job J = {.ctx = ctx, .g = g, .roads = roads, .pop = pop, .r = r, .width = width_m};
    atomic_init(&J.next, 0);
    atomic_init(&J.done, 0);
    atomic_init(&J.failed, 0);
    atomic_init(&J.oom, 0);
    J.rows = pl_calloc(n_types, sizeof *J.rows);
    J.rc = pl_calloc(n_types, sizeof *J.rc);
    J.errs = pl_calloc(n_types, sizeof *J.errs);
    for (int t = 0, k = 0; t < r->n_types; k += r->types[t].n_bands_min, t++)
        J.rows[t] = &sa->a[k];
    pl_snap *targets = node_targets(g);
    J.targets = targets;
    int rc = pl_progress(ctx, 0, "service areas") ? pl_error_set(err, PL_EINPUT, "cancelled") : run_all_types(&J, err);
    pl_progress(ctx, 1.0, "service areas");
    free(targets);
    free(J.rows);
    free(J.rc);
    free(J.errs);
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
