/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rule 300: kept green areas (public, dissolved, large enough), their entries, the walking
 * distance from every home to the nearest entry and the straight-line distance beside it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "green_internal.h"

/* ---------- kept areas ---------- */

static int kind_ok(const char *kind, const char *const *kinds)
{
    if (!kinds || !kinds[0])
        return 1;
    if (!kind)
        return 0;
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kind, kinds[i]))
            return 1;
    return 0;
}

typedef struct part_rec {
    GEOSGeometry *geom;
    double area;
    size_t first;      /* lowest input index among its constituents */
} part_rec;

typedef struct keep_rec {
    size_t first, k;
} keep_rec;

static int cmp_keep(const void *a, const void *b)
{
    const keep_rec *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

static void append(char **s, size_t *len, size_t *cap, const char *text)
{
    size_t n = strlen(text);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *s = pl_realloc(*s, *cap);
    }
    memcpy(*s + *len, text, n + 1);
    *len += n;
}

/* The size and width rules of a dissolved green part; counts the parts too small or narrow. */
static int part_kept(GEOSContextHandle_t h, const GEOSGeometry *geom, double area, const pl_green_params *p,
                     pl_green_result *r)
{
    int ok = area >= p->min_green_ha * 10000.0;
    if (!ok)
        r->n_areas_small++;
    if (ok && p->min_green_width_m > 0) {
        GEOSGeometry *core = GEOSBuffer_r(h, geom, -0.5 * p->min_green_width_m, 8);
        ok = core && GEOSisEmpty_r(h, core) == 0;
        if (core)
            GEOSGeom_destroy_r(h, core);
        if (!ok)
            r->n_areas_narrow++;
    }
    return ok;
}

static int keep_areas(pl_ctx *ctx, const pl_green_areas *G, const pl_green_params *p, pl_green_result *r,
                      pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    size_t n = G->n, ne = 0;
    long n_private = 0, n_kind = 0;
    size_t *elig = pl_malloc((n ? n : 1) * sizeof *elig);
    GEOSGeometry **clones = pl_malloc((n ? n : 1) * sizeof *clones);
    for (size_t i = 0; i < n; i++) {
        if (!p->include_private && !G->is_public[i]) {
            n_private++;
            continue;
        }
        if (!kind_ok(G->kind[i], p->green_kinds)) {
            n_kind++;
            continue;
        }
        elig[ne] = i;
        clones[ne] = GEOSGeom_clone_r(h, G->geom[i]);
        ne++;
    }
    if (n_private)
        pl_info(ctx, "green areas: %ld private areas left out (--include-private counts them)", n_private);
    if (n_kind)
        pl_info(ctx, "green areas: %ld areas of other kinds than --green-kinds left out", n_kind);
    if (ne == 0) {
        free(elig);
        free(clones);
        return PL_OK;
    }
    GEOSGeometry *u;
    if (ne == 1) {
        u = clones[0];
    } else {
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, clones, (unsigned int)ne);
        u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
    }
    free(clones);
    if (!u) {
        free(elig);
        return pl_error_set(err, PL_EINPUT, "%s: the green areas could not be dissolved (GEOS union failed); check "
                            "their geometry", G->source ? G->source : "green areas");
    }
    /* The dissolved parts. */
    int np = GEOSGetNumGeometries_r(h, u);
    part_rec *parts = pl_calloc(np > 0 ? (size_t)np : 1, sizeof *parts);
    size_t n_parts = 0;
    for (int k = 0; k < np; k++) {
        const GEOSGeometry *g = GEOSGetGeometryN_r(h, u, k);
        if (GEOSGeomTypeId_r(h, g) != GEOS_POLYGON)
            continue;
        parts[n_parts].geom = GEOSGeom_clone_r(h, g);
        GEOSArea_r(h, parts[n_parts].geom, &parts[n_parts].area);
        parts[n_parts].first = SIZE_MAX;
        n_parts++;
    }
    GEOSGeom_destroy_r(h, u);
    /* Constituents: each eligible polygon's point on surface lies in exactly one part. */
    GEOSGeometry **pg = pl_malloc((n_parts ? n_parts : 1) * sizeof *pg);
    for (size_t k = 0; k < n_parts; k++)
        pg[k] = parts[k].geom;
    pl_flatpoly fp;
    pl_flatpoly_build(h, pg, n_parts, &fp);
    free(pg);
    pl_cells cells;
    pl_cells_boxes(&cells, fp.bbox, n_parts, 500.0);
    pl_cells_hits q;
    pl_cells_hits_init(&q, &cells, 1);
    long *owner = pl_malloc((ne ? ne : 1) * sizeof *owner);
    for (size_t j = 0; j < ne; j++) {
        owner[j] = -1;
        GEOSGeometry *pt = GEOSPointOnSurface_r(h, G->geom[elig[j]]);
        double x, y;
        if (pt && GEOSGeomGetX_r(h, pt, &x) == 1 && GEOSGeomGetY_r(h, pt, &y) == 1) {
            pl_cells_query(&cells, &q, x, y, x, y);
            double best = INFINITY;
            for (size_t c = 0; c < q.n; c++) {
                double d = pl_flatpoly_dist(&fp, q.items[c], x, y);
                if (d < best || (d == best && (long)q.items[c] < owner[j])) {
                    best = d;
                    owner[j] = q.items[c];
                }
            }
        }
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        if (owner[j] >= 0 && parts[owner[j]].first == SIZE_MAX)
            parts[owner[j]].first = elig[j];
    }
    pl_cells_hits_free(&q);
    pl_cells_free(&cells);
    pl_flatpoly_free(&fp);
    /* Size and width rules; kept parts ordered by their first constituent. */
    size_t kept = 0;
    keep_rec *keep = pl_malloc((n_parts ? n_parts : 1) * sizeof *keep);
    for (size_t k = 0; k < n_parts; k++) {
        if (part_kept(h, parts[k].geom, parts[k].area, p, r)) {
            keep[kept].first = parts[k].first;
            keep[kept].k = k;
            kept++;
        }
        else
            GEOSGeom_destroy_r(h, parts[k].geom);
    }
    qsort(keep, kept, sizeof *keep, cmp_keep);
    r->n_areas = kept;
    r->area_geom = pl_malloc((kept ? kept : 1) * sizeof *r->area_geom);
    r->area_ha = pl_malloc((kept ? kept : 1) * sizeof *r->area_ha);
    r->area_ids = pl_malloc((kept ? kept : 1) * sizeof *r->area_ids);
    r->area_name = pl_malloc((kept ? kept : 1) * sizeof *r->area_name);
    r->area_entries = pl_calloc(kept ? kept : 1, sizeof *r->area_entries);
    r->area_sampled = pl_calloc(kept ? kept : 1, 1);
    for (size_t s = 0; s < kept; s++) {
        size_t k = keep[s].k;
        r->area_geom[s] = parts[k].geom;
        r->area_ha[s] = parts[k].area / 10000.0;
        char *ids = NULL;
        const char *name = NULL;
        size_t len = 0, cap = 0;
        int listed = 0;
        for (size_t j = 0; j < ne; j++) {
            if (owner[j] != (long)k)
                continue;
            size_t i = elig[j];
            if (listed < 20) {
                if (listed)
                    append(&ids, &len, &cap, ",");
                append(&ids, &len, &cap, G->id[i]);
            } else if (listed == 20) {
                append(&ids, &len, &cap, ",...");
            }
            listed++;
            if (!name && G->name[i] && *G->name[i])
                name = G->name[i];
        }
        r->area_ids[s] = ids ? ids : pl_strdup("");
        r->area_name[s] = pl_strdup(name ? name : "");
    }
    free(keep);
    free(parts);
    free(owner);
    free(elig);
    return PL_OK;
}

/* ---------- entries ---------- */

static int road_ok(const pl_roads *roads, uint32_t r)
{
    return !(roads->flags[r] & (PL_ROAD_TUNNEL | PL_ROAD_INDOOR | PL_ROAD_IS_FERRY)) && roads->layer[r] >= 0 &&
           roads->road_class[r] != PL_ROAD_FERRY;
}

typedef struct pts {
    size_t n, cap;
    double *x, *y;
} pts;

static void pts_add(pts *P, double x, double y)
{
    if (P->n == P->cap) {
        P->cap = P->cap ? 2 * P->cap : 64;
        P->x = pl_realloc(P->x, P->cap * sizeof *P->x);
        P->y = pl_realloc(P->y, P->cap * sizeof *P->y);
    }
    P->x[P->n] = x;
    P->y[P->n] = y;
    P->n++;
}

typedef struct xy_key {
    double x, y;
} xy_key;

static int cmp_xy(const void *a, const void *b)
{
    const xy_key *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

/* Sorts the points and drops those within 1 cm of the previous one kept. */
static void pts_unique(pts *P)
{
    if (P->n < 2)
        return;
    xy_key *k = pl_malloc(P->n * sizeof *k);
    for (size_t i = 0; i < P->n; i++) {
        k[i].x = round(P->x[i] * 100.0) / 100.0;
        k[i].y = round(P->y[i] * 100.0) / 100.0;
    }
    qsort(k, P->n, sizeof *k, cmp_xy);
    size_t m = 0;
    for (size_t i = 0; i < P->n; i++) {
        if (m > 0 && k[i].x == P->x[m - 1] && k[i].y == P->y[m - 1])
            continue;
        P->x[m] = k[i].x;
        P->y[m] = k[i].y;
        m++;
    }
    P->n = m;
    free(k);
}

/* Intersection of boundary segment p0-p1 with road segment q0-q1: crossing or touching
 * points, and along a shared stretch its ends and points every `spacing` between. */
static void seg_intersections(double p0x, double p0y, double p1x, double p1y, double q0x, double q0y, double q1x,
                              double q1y, double spacing, pts *out)
{
    double rx = p1x - p0x, ry = p1y - p0y, sx = q1x - q0x, sy = q1y - q0y;
    double rl = hypot(rx, ry), sl = hypot(sx, sy);
    if (rl <= 0 || sl <= 0)
        return;
    double d = rx * sy - ry * sx;
    double wx = q0x - p0x, wy = q0y - p0y;
    const double tol = 1e-6; /* metres */
    if (fabs(d) > 1e-9 * rl * sl) {
        double t = (wx * sy - wy * sx) / d, u = (wx * ry - wy * rx) / d;
        if (t >= -tol / rl && t <= 1 + tol / rl && u >= -tol / sl && u <= 1 + tol / sl) {
            if (t < 0) t = 0;
            if (t > 1) t = 1;
            pts_add(out, p0x + t * rx, p0y + t * ry);
        }
        return;
    }
    /* Parallel: collinear when q0 lies on the line of p. */
    if (fabs(wx * ry - wy * rx) / rl > tol)
        return;
    double t0 = (wx * rx + wy * ry) / (rl * rl), t1 = ((q1x - p0x) * rx + (q1y - p0y) * ry) / (rl * rl);
    if (t0 > t1) {
        double s = t0;
        t0 = t1;
        t1 = s;
    }
    if (t0 < 0) t0 = 0;
    if (t1 > 1) t1 = 1;
    if (t1 < t0)
        return;
    double len = (t1 - t0) * rl;
    pts_add(out, p0x + t0 * rx, p0y + t0 * ry);
    for (double s = spacing; s < len; s += spacing)
        pts_add(out, p0x + (t0 + s / rl) * rx, p0y + (t0 + s / rl) * ry);
    if (len > 0)
        pts_add(out, p0x + t1 * rx, p0y + t1 * ry);
}

static void sample_boundary(const pl_flatpoly *fp, size_t a, double spacing, pts *out)
{
    for (uint32_t rg = fp->ring_begin[a]; rg < fp->ring_begin[a + 1]; rg++) {
        double carry = 0; /* distance along the ring to the next sample */
        for (uint32_t k = fp->vert_begin[rg]; k + 1 < fp->vert_begin[rg + 1]; k++) {
            double x0 = fp->x[k], y0 = fp->y[k], x1 = fp->x[k + 1], y1 = fp->y[k + 1];
            double l = hypot(x1 - x0, y1 - y0);
            double s = carry;
            while (s < l) {
                double t = s / l;
                pts_add(out, x0 + t * (x1 - x0), y0 + t * (y1 - y0));
                s += spacing;
            }
            carry = s - l;
        }
    }
}

static void find_entries(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, const pl_flatpoly *af,
                         pl_green_result *r)
{
    const pl_graph *g = in->graph;
    const pl_roads *roads = in->roads;
    /* Segments of the walkable edges at ground level. */
    size_t n_seg = 0, cap = 0;
    uint32_t *seg_v = NULL;
    double *box = NULL;
    if (g && roads) {
        for (uint32_t e = 0; e < g->n_edges; e++) {
            uint32_t rd = g->edge_road[e];
            if (!g->edge_dir[e] || rd >= roads->n || !road_ok(roads, rd))
                continue;
            for (uint32_t v = g->edge_v0[e]; v < g->edge_v1[e]; v++) {
                if (n_seg == cap) {
                    cap = cap ? 2 * cap : 4096;
                    seg_v = pl_realloc(seg_v, cap * sizeof *seg_v);
                    box = pl_realloc(box, 4 * cap * sizeof *box);
                }
                double ax = roads->vx[v], ay = roads->vy[v], bx = roads->vx[v + 1], by = roads->vy[v + 1];
                seg_v[n_seg] = v;
                box[4 * n_seg] = ax < bx ? ax : bx;
                box[4 * n_seg + 1] = ay < by ? ay : by;
                box[4 * n_seg + 2] = ax < bx ? bx : ax;
                box[4 * n_seg + 3] = ay < by ? by : ay;
                n_seg++;
            }
        }
    }
    pl_cells cells;
    pl_cells_boxes(&cells, box, n_seg, 50.0);
    pl_cells_hits q;
    pl_cells_hits_init(&q, &cells, 1);
    pts all = {0};
    uint32_t *owner = NULL;
    size_t cap_owner = 0;
    pts P = {0};
    size_t n_sampled = 0;
    for (size_t a = 0; a < af->n; a++) {
        P.n = 0;
        for (uint32_t rg = af->ring_begin[a]; rg < af->ring_begin[a + 1] && n_seg; rg++)
            for (uint32_t k = af->vert_begin[rg]; k + 1 < af->vert_begin[rg + 1]; k++) {
                double x0 = af->x[k], y0 = af->y[k], x1 = af->x[k + 1], y1 = af->y[k + 1];
                pl_cells_query(&cells, &q, x0 < x1 ? x0 : x1, y0 < y1 ? y0 : y1, x0 < x1 ? x1 : x0,
                               y0 < y1 ? y1 : y0);
                for (size_t j = 0; j < q.n; j++) {
                    uint32_t v = seg_v[q.items[j]];
                    seg_intersections(x0, y0, x1, y1, roads->vx[v], roads->vy[v], roads->vx[v + 1],
                                      roads->vy[v + 1], p->entry_spacing_m, &P);
                }
            }
        pts_unique(&P);
        if (P.n == 0) {
            sample_boundary(af, a, p->entry_spacing_m, &P);
            r->area_sampled[a] = 1;
            n_sampled++;
        }
        for (size_t k = 0; k < P.n; k++) {
            pts_add(&all, P.x[k], P.y[k]);
            if (all.n > cap_owner) {
                cap_owner = all.cap;
                owner = pl_realloc(owner, cap_owner * sizeof *owner);
            }
            owner[all.n - 1] = (uint32_t)a;
        }
        r->area_entries[a] = (uint32_t)P.n;
    }
    if (n_sampled)
        pl_info(ctx, "green areas: %zu of %zu reached by no path; boundary points every %g m stand in for entries",
                n_sampled, af->n, p->entry_spacing_m);
    r->n_entries = all.n;
    r->entry_x = all.x;
    r->entry_y = all.y;
    r->entry_area = owner;
    free(P.x);
    free(P.y);
    pl_cells_hits_free(&q);
    pl_cells_free(&cells);
    free(seg_v);
    free(box);
}

/* ---------- distances ---------- */

/* The point on the snapped edge (the foot of the place's access leg). */
static void snap_point(const pl_graph *g, const pl_roads *roads, const pl_snap *s, double *x, double *y)
{
    uint32_t e = s->edge;
    double total = 0;
    for (uint32_t v = g->edge_v0[e]; v < g->edge_v1[e]; v++)
        total += hypot(roads->vx[v + 1] - roads->vx[v], roads->vy[v + 1] - roads->vy[v]);
    double len = g->edge_len_m[e];
    double target = len > 0 ? total * (double)s->a_len_m / len : 0;
    double acc = 0;
    for (uint32_t v = g->edge_v0[e]; v < g->edge_v1[e]; v++) {
        double l = hypot(roads->vx[v + 1] - roads->vx[v], roads->vy[v + 1] - roads->vy[v]);
        if (acc + l >= target || v + 1 == g->edge_v1[e]) {
            double t = l > 0 ? (target - acc) / l : 0;
            if (t < 0) t = 0;
            if (t > 1) t = 1;
            *x = roads->vx[v] + t * (roads->vx[v + 1] - roads->vx[v]);
            *y = roads->vy[v] + t * (roads->vy[v + 1] - roads->vy[v]);
            return;
        }
        acc += l;
    }
    *x = roads->vx[g->edge_v0[e]];
    *y = roads->vy[g->edge_v0[e]];
}

static int network_distances(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p,
                             const pl_flatpoly *bld, pl_green_result *r, pl_error *err)
{
    const pl_graph *g = in->graph;
    const pl_roads *roads = in->roads;
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    so.max_snap_m = p->max_snap_m;
    pl_snap *es = pl_malloc((r->n_entries ? r->n_entries : 1) * sizeof *es);
    int rc = pl_graph_snap(ctx, g, roads, r->entry_x, r->entry_y, r->n_entries, &so, es, err);
    size_t nh = 0;
    for (size_t b = 0; b < r->n_buildings; b++)
        nh += r->is_home[b] && isfinite(r->rep_x[b]);
    size_t *home = pl_malloc((nh ? nh : 1) * sizeof *home);
    double *hx = pl_malloc((nh ? nh : 1) * sizeof *hx), *hy = pl_malloc((nh ? nh : 1) * sizeof *hy);
    nh = 0;
    for (size_t b = 0; b < r->n_buildings; b++)
        if (r->is_home[b] && isfinite(r->rep_x[b])) {
            home[nh] = b;
            hx[nh] = r->rep_x[b];
            hy[nh] = r->rep_y[b];
            nh++;
        }
    pl_snap *hs = pl_malloc((nh ? nh : 1) * sizeof *hs);
    if (rc == PL_OK)
        rc = pl_graph_snap(ctx, g, roads, hx, hy, nh, &so, hs, err);
    if (rc == PL_OK) {
        /* The access leg from the wall nearest to the road point, not from the centroid. */
        double kmh = pl_mode_access_speed_kmh(g->mode);
        for (size_t i = 0; i < nh; i++) {
            if (hs[i].status == PL_SNAP_NONE)
                continue;
            double qx, qy;
            snap_point(g, roads, &hs[i], &qx, &qy);
            double leg = pl_flatpoly_dist(bld, home[i], qx, qy);
            if (leg < hs[i].access_m) {
                hs[i].access_m = (float)leg;
                hs[i].access_s = (float)(leg * 3.6 / kmh);
            }
        }
        pl_label *lab = pl_malloc((nh ? nh : 1) * sizeof *lab);
        pl_search_opts sopt = {.metric = PL_METRIC_DISTANCE, .k = 1, .cutoff = INFINITY};
        if (r->n_entries > UINT32_MAX)
            rc = pl_error_set(err, PL_EINPUT, "too many green-area entries");
        else
            rc = pl_graph_nearest_k(ctx, g, es, (uint32_t)r->n_entries, hs, nh, &sopt, lab, err);
        for (size_t i = 0; rc == PL_OK && i < nh; i++) {
            size_t b = home[i];
            if (lab[i].source == UINT32_MAX) {
                r->green_net_m[b] = INFINITY;
                continue;
            }
            r->green_net_m[b] = round(lab[i].dist_m * 10.0) / 10.0;
            r->green_area[b] = r->entry_area[lab[i].source];
        }
        free(lab);
    }
    free(es);
    free(hs);
    free(hx);
    free(hy);
    free(home);
    return rc;
}

typedef struct cand_list {
    size_t n, cap;
    size_t *v;
} cand_list;

static void cand_cb(void *item, void *user)
{
    cand_list *l = user;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = pl_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *(const size_t *)item;
}

typedef struct box_dist {
    double d;
    size_t a;
} box_dist;

static int cmp_box(const void *p, const void *q)
{
    const box_dist *x = p, *y = q;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return (x->a > y->a) - (x->a < y->a);
}

/* Straight-line distance from each home's footprint to the nearest kept area: an STRtree
 * of the areas queried with a growing window, prepared areas for the distances. */
static void euclidean_distances(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p,
                                const pl_flatpoly *bld, pl_green_result *r)
{
    GEOSContextHandle_t h = ctx->geos;
    size_t na = r->n_areas;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    size_t *items = pl_malloc(na * sizeof *items);
    const GEOSPreparedGeometry **prep = pl_malloc(na * sizeof *prep);
    double ext[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t a = 0; a < na; a++) {
        items[a] = a;
        GEOSSTRtree_insert_r(h, tree, r->area_geom[a], &items[a]);
        prep[a] = GEOSPrepare_r(h, r->area_geom[a]);
        double x0, y0, x1, y1;
        if (GEOSGeom_getExtent_r(h, r->area_geom[a], &x0, &y0, &x1, &y1)) {
            if (x0 < ext[0]) ext[0] = x0;
            if (y0 < ext[1]) ext[1] = y0;
            if (x1 > ext[2]) ext[2] = x1;
            if (y1 > ext[3]) ext[3] = y1;
        }
    }
    double *abox = pl_malloc(4 * na * sizeof *abox);
    for (size_t a = 0; a < na; a++)
        GEOSGeom_getExtent_r(h, r->area_geom[a], &abox[4 * a], &abox[4 * a + 1], &abox[4 * a + 2], &abox[4 * a + 3]);
    box_dist *ord = NULL;
    size_t cap_o = 0;
    cand_list c = {0};
    const pl_buildings *B = in->buildings;
    for (size_t b = 0; b < r->n_buildings; b++) {
        if (!r->is_home[b])
            continue;
        const double *bb = &bld->bbox[4 * b];
        if (!isfinite(bb[0]))
            continue;
        double reach = p->max_green_m > 100 ? p->max_green_m : 100;
        double best = INFINITY;
        long best_a = -1;
        for (;;) {
            GEOSGeometry *win = GEOSGeom_createRectangle_r(h, bb[0] - reach, bb[1] - reach, bb[2] + reach,
                                                           bb[3] + reach);
            c.n = 0;
            GEOSSTRtree_query_r(h, tree, win, cand_cb, &c);
            GEOSGeom_destroy_r(h, win);
            /* Nearest boxes first; stop when a box is farther than the best distance. */
            if (c.n > cap_o) {
                cap_o = c.n;
                ord = pl_realloc(ord, cap_o * sizeof *ord);
            }
            for (size_t j = 0; j < c.n; j++) {
                const double *ab = &abox[4 * c.v[j]];
                double dx = ab[0] > bb[2] ? ab[0] - bb[2] : bb[0] > ab[2] ? bb[0] - ab[2] : 0;
                double dy = ab[1] > bb[3] ? ab[1] - bb[3] : bb[1] > ab[3] ? bb[1] - ab[3] : 0;
                ord[j].d = sqrt(dx * dx + dy * dy);
                ord[j].a = c.v[j];
            }
            qsort(ord, c.n, sizeof *ord, cmp_box);
            for (size_t j = 0; j < c.n && ord[j].d <= best; j++) {
                double d;
                if (GEOSPreparedDistance_r(h, prep[ord[j].a], B->geom[b], &d) == 1 &&
                    (d < best || (d == best && (long)ord[j].a < best_a))) {
                    best = d;
                    best_a = (long)ord[j].a;
                }
            }
            /* Areas outside the window are farther than `reach` from the box. */
            if (best <= reach)
                break;
            if (bb[0] - reach <= ext[0] && bb[1] - reach <= ext[1] && bb[2] + reach >= ext[2] &&
                bb[3] + reach >= ext[3])
                break; /* the window covered every area */
            reach *= 4;
        }
        r->green_euclid_m[b] = isfinite(best) ? round(best * 10.0) / 10.0 : INFINITY;
        if (!r->network)
            r->green_area[b] = best_a;
    }
    free(c.v);
    free(ord);
    free(abox);
    for (size_t a = 0; a < na; a++)
        GEOSPreparedGeom_destroy_r(h, prep[a]);
    free(prep);
    free(items);
    GEOSSTRtree_destroy_r(h, tree);
}

int pl_green_rule300(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, const pl_flatpoly *bld,
                     pl_green_result *r, pl_error *err)
{
    pl_progress(ctx, 0.0, "rule 300: green areas");
    int rc = keep_areas(ctx, in->green, p, r, err);
    if (rc != PL_OK)
        return rc;
    r->network = in->graph && in->roads;
    if (!r->network)
        pl_info(ctx, "rule 300: no roads given; straight-line distance to green areas decides");
    if (r->n_areas == 0) {
        pl_warn(ctx, "no-green-area", "no green area is public and at least %g ha; every home fails rule 300",
                p->min_green_ha);
        for (size_t b = 0; b < r->n_buildings; b++)
            if (r->is_home[b])
                r->green_net_m[b] = r->green_euclid_m[b] = INFINITY;
        return PL_OK;
    }
    pl_info(ctx, "green areas: %zu kept (>= %g ha), %ld smaller, %ld narrower than %g m", r->n_areas,
            p->min_green_ha, r->n_areas_small, r->n_areas_narrow, p->min_green_width_m);
    pl_flatpoly af;
    if (pl_flatpoly_build(ctx->geos, r->area_geom, r->n_areas, &af) != 0)
        return pl_error_set(err, PL_EINPUT, "green areas: more than 4 billion vertices");
    pl_progress(ctx, 0.2, "rule 300: entries");
    find_entries(ctx, in, p, &af, r);
    pl_flatpoly_free(&af);
    if (r->network) {
        pl_progress(ctx, 0.4, "rule 300: walking distances");
        rc = network_distances(ctx, in, p, bld, r, err);
    }
    if (rc == PL_OK) {
        pl_progress(ctx, 0.8, "rule 300: straight-line distances");
        euclidean_distances(ctx, in, p, bld, r);
    }
    pl_progress(ctx, 1.0, "rule 300: green areas");
    return rc;
}
