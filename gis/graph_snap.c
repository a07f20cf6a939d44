/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Attaching places to the graph: nearest eligible edge segment through a uniform grid
 * of segments, searched ring by ring (rules in graph.h). */
#include "graph.h"
#include "graph_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MIN_COMPONENT 50u

uint32_t pl_snap_default_min_component(void)
{
    return DEFAULT_MIN_COMPONENT;
}

void pl_snap_opts_default(pl_snap_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_snap_m = 1000.0;
    o->min_component_nodes = DEFAULT_MIN_COMPONENT;
    o->access_speed_kmh = 0.0;
    o->threads = 1;
}

/* The caller's options, or the defaults when it gave none. */
static pl_snap_opts snap_opts_or_default(const pl_snap_opts *opts)
{
    pl_snap_opts o;
    if (opts)
        o = *opts;
    else
        pl_snap_opts_default(&o);
    return o;
}

static void seg_push(pl_seg_set *s, uint32_t v, uint32_t e)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = pl_realloc(s->v, s->cap * sizeof *s->v);
        s->e = pl_realloc(s->e, s->cap * sizeof *s->e);
    }
    s->v[s->n] = v;
    s->e[s->n] = e;
    s->n++;
}

/* fmin and fmax, NaN rules included, inline: the calls into libm were a fifth of grid_build
 * (only the sign of a zero may differ, and no cell number or distance depends on it). */
static inline double min2(double a, double b)
{
    return a < b ? a : b == b ? b : a;
}

static inline double max2(double a, double b)
{
    return a > b ? a : b == b ? b : a;
}

/* grid_build's work, split in two halves of the segments [half[p], half[p+1]), the second on
 * a thread of its own when there is a second core. The halves' results are put together so
 * the grid is the one a single loop over all segments makes, bit for bit. */
typedef struct grid_job {
    pl_seg_grid *G;
    const pl_seg_set *S;
    const pl_roads *roads;
    uint32_t half[3];
    int step;                /* 0: extent and length, 1: count per cell, 2: fill the cells */
    double box[2][4];        /* per half: minx, miny, maxx, maxy */
    double total;            /* half 0: the length of its segments, in segment order */
    double *len;             /* half 1: the length of each of its segments (summed after half 0's) */
    uint32_t *cur[2];        /* steps 1 and 2: per cell, half p's count, then its cursor */
} grid_job;

/* The cells segment i's bounding box covers. */
static void seg_cells(const pl_seg_grid *G, const pl_seg_set *S, const pl_roads *roads, uint32_t i, int64_t *cx0,
                      int64_t *cx1, int64_t *cy0, int64_t *cy1)
{
    uint32_t v = S->v[i];
    double x0 = roads->vx[v], y0 = roads->vy[v], x1 = roads->vx[v + 1], y1 = roads->vy[v + 1];
    *cx0 = (int64_t)((min2(x0, x1) - G->minx) / G->cell);
    *cx1 = (int64_t)((max2(x0, x1) - G->minx) / G->cell);
    *cy0 = (int64_t)((min2(y0, y1) - G->miny) / G->cell);
    *cy1 = (int64_t)((max2(y0, y1) - G->miny) / G->cell);
    if (*cx1 >= G->nx)
        *cx1 = G->nx - 1;
    if (*cy1 >= G->ny)
        *cy1 = G->ny - 1;
}

static void grid_extent(grid_job *J, int p)
{
    const pl_roads *roads = J->roads;
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY, total = 0;
    for (uint32_t i = J->half[p]; i < J->half[p + 1]; i++) {
        uint32_t v = J->S->v[i];
        double x0 = roads->vx[v], y0 = roads->vy[v], x1 = roads->vx[v + 1], y1 = roads->vy[v + 1];
        minx = min2(minx, min2(x0, x1));
        maxx = max2(maxx, max2(x0, x1));
        miny = min2(miny, min2(y0, y1));
        maxy = max2(maxy, max2(y0, y1));
        double l = hypot(x1 - x0, y1 - y0);
        if (p == 0)
            total += l;
        else
            J->len[i - J->half[1]] = l;
    }
    double *b = J->box[p];
    b[0] = minx, b[1] = miny, b[2] = maxx, b[3] = maxy;
    if (p == 0)
        J->total = total;
}

/* Step 1 counts half p's segments per cell in cur[p]. Step 2 writes them: half 1 forwards
 * from its cursor, half 0 backwards from the same place (its segments from the last), so
 * each cell holds its segments in ascending order and half 0's cursors end at the cells'
 * beginnings. */
static void grid_cells(grid_job *J, int p)
{
    const pl_seg_grid *G = J->G;
    uint32_t *cur = J->cur[p];
    for (uint32_t k = J->half[p]; k < J->half[p + 1]; k++) {
        uint32_t i = J->step == 2 && p == 0 ? J->half[1] - 1 - (k - J->half[0]) : k;
        int64_t cx0, cx1, cy0, cy1;
        seg_cells(G, J->S, J->roads, i, &cx0, &cx1, &cy0, &cy1);
        for (int64_t cy = cy0; cy <= cy1; cy++)
            for (int64_t cx = cx0; cx <= cx1; cx++) {
                size_t c = (size_t)(cy * G->nx + cx);
                if (J->step == 1)
                    cur[c]++;
                else if (p == 1)
                    G->seg[cur[c]++] = i;
                else
                    G->seg[--cur[c]] = i;
            }
    }
}

static void grid_part(void *arg, int p)
{
    grid_job *J = arg;
    if (J->step == 0)
        grid_extent(J, p);
    else
        grid_cells(J, p);
}

/* One step on both halves: the second on a thread when there is one, else after the first. */
static void grid_step(grid_job *J, int step, int threads)
{
    J->step = step;
    pl_run_two(grid_part, J, threads);
}

static _Atomic long grid_two_threads;

long pl_snap_grid_two_threads(void)
{
    return grid_two_threads;
}

static void grid_build(pl_seg_grid *G, const pl_seg_set *S, const pl_roads *roads)
{
    memset(G, 0, sizeof *G);
    G->nseg = S->n;
    if (!S->n)
        return;
    int threads = S->n >= 65536 ? pl_build_threads() : 1;
    grid_job J = {.G = G, .S = S, .roads = roads, .half = {0, S->n / 2, S->n}};
    /* half 1's lengths, in memory that later holds the cells' cursors (it grows into them:
     * no more fresh pages than before) */
    J.len = pl_malloc(((size_t)(S->n - J.half[1]) + 1) * sizeof *J.len);
    grid_step(&J, 0, threads);
    double total = J.total;
    for (uint32_t i = J.half[1]; i < S->n; i++)  /* the lengths summed in segment order */
        total += J.len[i - J.half[1]];
    double minx = min2(J.box[0][0], J.box[1][0]), miny = min2(J.box[0][1], J.box[1][1]);
    double maxx = max2(J.box[0][2], J.box[1][2]), maxy = max2(J.box[0][3], J.box[1][3]);
    double w = fmax(maxx - minx, 1.0), h = fmax(maxy - miny, 1.0);
    double cell = fmax(1.5 * total / S->n, 1.0);
    /* Cells of 1.5 mean segment lengths, at most about 2 cells per segment. */
    double max_cells = 2.0 * S->n + 16;
    if ((w / cell + 1) * (h / cell + 1) > max_cells)
        cell = sqrt(w * h / max_cells) + 1.0;
    G->minx = minx;
    G->miny = miny;
    G->cell = cell;
    G->nx = (int64_t)(w / cell) + 1;
    G->ny = (int64_t)(h / cell) + 1;
    size_t nc = (size_t)(G->nx * G->ny);
    G->begin = pl_calloc(nc + 1, sizeof *G->begin);
    uint32_t *other = pl_realloc(J.len, (nc + 1) * sizeof *other);
    J.len = NULL;
    memset(other, 0, (nc + 1) * sizeof *other);
    J.cur[0] = G->begin;
    J.cur[1] = other;
    grid_step(&J, 1, threads);
    /* Both halves' cursors start after half 0's part of the cell: half 0 fills backwards,
     * half 1 forwards (grid_cells). */
    uint32_t start = 0;
    for (size_t c = 0; c < nc; c++) {
        uint32_t n0 = G->begin[c], n1 = other[c];
        G->begin[c] = other[c] = start + n0;
        start += n0 + n1;
    }
    G->begin[nc] = start;
    G->seg = pl_malloc((start ? start : 1) * sizeof *G->seg);
    grid_step(&J, 2, threads);
    free(other);
    if (threads > 1)
        grid_two_threads++;
}

static void grid_free(pl_seg_grid *G)
{
    free(G->begin);
    free(G->seg);
}

static double seg_dist2(const pl_roads *roads, uint32_t v, double px, double py, double *t_out)
{
    double x0 = roads->vx[v], y0 = roads->vy[v], dx = roads->vx[v + 1] - x0, dy = roads->vy[v + 1] - y0;
    double l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) {
        t = ((px - x0) * dx + (py - y0) * dy) / l2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    double qx = x0 + t * dx - px, qy = y0 + t * dy - py;
    *t_out = t;
    return qx * qx + qy * qy;
}

/* Nearest segment within maxd (INFINITY = anywhere); returns its id or PL_NONE. */
static uint32_t grid_nearest(const pl_seg_grid *G, const pl_seg_set *S, const pl_roads *roads, double px, double py,
                             double maxd, double *d_out, double *t_out)
{
    if (!G->nseg)
        return PL_NONE;
    double fx = floor((px - G->minx) / G->cell), fy = floor((py - G->miny) / G->cell);
    /* Clamp far-away points to keep the integer arithmetic sane; distances stay exact. */
    fx = fmax(fmin(fx, (double)G->nx + 1e9), -1e9);
    fy = fmax(fmin(fy, (double)G->ny + 1e9), -1e9);
    int64_t cx = (int64_t)fx, cy = (int64_t)fy;
    int64_t ox = cx < 0 ? -cx : cx >= G->nx ? cx - (G->nx - 1) : 0;
    int64_t oy = cy < 0 ? -cy : cy >= G->ny ? cy - (G->ny - 1) : 0;
    int64_t r0 = ox > oy ? ox : oy;
    int64_t rmax = r0 + (G->nx > G->ny ? G->nx : G->ny);
    uint32_t best = PL_NONE;
    double best_d2 = maxd * maxd, best_t = 0;
    if (!isfinite(maxd))
        best_d2 = INFINITY;
    for (int64_t r = r0; r <= rmax; r++) {
        /* Cells at Chebyshev distance r from (cx,cy). */
        int64_t y_lo = cy - r, y_hi = cy + r;
        /* Only the rows inside the grid (a place far outside would loop over 2r+1 rows). */
        int64_t y_from = y_lo < 0 ? 0 : y_lo, y_to = y_hi >= G->ny ? G->ny - 1 : y_hi;
        for (int64_t y = y_from; y <= y_to; y++) {
            int full_row = (y == y_lo || y == y_hi);
            int64_t step = full_row ? 1 : 2 * r;
            if (step == 0)
                step = 1;
            int64_t x_from = cx - r;
            if (full_row && x_from < 0)
                x_from = 0; /* a full row: only its columns inside the grid */
            for (int64_t x = x_from; x <= cx + r && x < G->nx; x += step) {
                if (x < 0)
                    continue;
                size_t c = (size_t)(y * G->nx + x);
                for (uint32_t k = G->begin[c]; k < G->begin[c + 1]; k++) {
                    uint32_t s = G->seg[k];
                    double t, d2 = seg_dist2(roads, S->v[s], px, py, &t);
                    if (d2 < best_d2 || (d2 == best_d2 && (best == PL_NONE || s < best))) {
                        best_d2 = d2;
                        best = s;
                        best_t = t;
                    }
                }
            }
        }
        /* Everything not yet seen lies outside the square of cells searched so far. */
        double reach = fmin(fmin(px - (G->minx + (double)(cx - r) * G->cell),
                                 G->minx + (double)(cx + r + 1) * G->cell - px),
                            fmin(py - (G->miny + (double)(cy - r) * G->cell),
                                 G->miny + (double)(cy + r + 1) * G->cell - py));
        if (reach < 0)
            reach = 0;
        /* Strictly: a segment at exactly best's distance in the next ring could still win the
         * tie (lower number), and which ring it falls in depends on the grid's cells, which
         * differ between the whole network and a partition task's part of it. */
        if (best != PL_NONE && best_d2 < reach * reach)
            break;
        if (isfinite(maxd) && reach > maxd)
            break;
    }
    if (best == PL_NONE)
        return PL_NONE;
    *d_out = sqrt(best_d2);
    *t_out = best_t;
    return best;
}

/* Places far outside a grid (a national service list on one county's roads: 19,500 of
 * 20,000 services hundreds of km away) made grid_nearest's square rings sweep row after row
 * of the county before the square's reach passed the nearest distance: 2-4 s of a county
 * run. For them, a best-first search over blocks of BLOCK x BLOCK cells (and groups of
 * BLOCK x BLOCK blocks): blocks in order of their least distance to the place, cells with
 * segments only, until that distance passes the best found. A segment lies in the cells its
 * bounding box covers, so every segment no farther than the best found is looked at: the
 * answer is the nearest segment, ties to the lower segment number, as grid_nearest's. */
enum { BLOCK = 16 };

typedef struct seg_blocks {
    int64_t nx, ny, gnx, gny;  /* blocks; groups of BLOCK x BLOCK blocks */
    uint8_t *full;             /* per block: holds a segment */
    uint8_t *group_full;       /* per group */
} seg_blocks;

static void blocks_build(seg_blocks *B, const pl_seg_grid *G)
{
    B->nx = (G->nx + BLOCK - 1) / BLOCK;
    B->ny = (G->ny + BLOCK - 1) / BLOCK;
    B->gnx = (B->nx + BLOCK - 1) / BLOCK;
    B->gny = (B->ny + BLOCK - 1) / BLOCK;
    B->full = pl_calloc((size_t)(B->nx * B->ny) + 1, 1);
    B->group_full = pl_calloc((size_t)(B->gnx * B->gny) + 1, 1);
    for (int64_t y = 0; y < G->ny; y++)
        for (int64_t x = 0; x < G->nx; x++) {
            size_t c = (size_t)(y * G->nx + x);
            if (G->begin[c + 1] > G->begin[c]) {
                B->full[(y / BLOCK) * B->nx + x / BLOCK] = 1;
                B->group_full[(y / BLOCK / BLOCK) * B->gnx + x / BLOCK / BLOCK] = 1;
            }
        }
}

static void blocks_free(seg_blocks *B)
{
    free(B->full);
    free(B->group_full);
}

/* How many cells (Chebyshev) a place lies outside the grid; 0 inside. */
static double cells_outside(const pl_seg_grid *G, double px, double py)
{
    if (!G->nseg || !isfinite(px) || !isfinite(py))
        return 0;
    double fx = floor((px - G->minx) / G->cell), fy = floor((py - G->miny) / G->cell);
    double ox = fx < 0 ? -fx : fx >= (double)G->nx ? fx - (double)(G->nx - 1) : 0;
    double oy = fy < 0 ? -fy : fy >= (double)G->ny ? fy - (double)(G->ny - 1) : 0;
    return ox > oy ? ox : oy;
}

/* A place this many cells outside a grid is searched by blocks. */
#define FAR_CELLS (2.0 * BLOCK)

/* Squared least distance from (px,py) to the square of `span` cells whose lower left cell is
 * (x,y), widened by a thousandth of a cell against rounding in the cell numbers. */
static double square_d2(const pl_seg_grid *G, int64_t x, int64_t y, int64_t span, double px, double py)
{
    double pad = G->cell * 1e-3;
    double x0 = G->minx + (double)x * G->cell - pad, x1 = G->minx + (double)(x + span) * G->cell + pad;
    double y0 = G->miny + (double)y * G->cell - pad, y1 = G->miny + (double)(y + span) * G->cell + pad;
    double dx = px < x0 ? x0 - px : px > x1 ? px - x1 : 0;
    double dy = py < y0 ? y0 - py : py > y1 ? py - y1 : 0;
    return dx * dx + dy * dy;
}

typedef struct near_item {
    double d2;
    int64_t x, y;
} near_item;

static int cmp_near(const void *a, const void *b)
{
    const near_item *p = a, *q = b;
    if (p->d2 != q->d2)
        return p->d2 < q->d2 ? -1 : 1;
    return p->y != q->y ? (p->y < q->y ? -1 : 1) : (p->x > q->x) - (p->x < q->x);
}

typedef struct near_best {
    uint32_t s;
    double d2, t;
} near_best;

/* The cells of one block (block coordinates bx, by) no farther than the best so far. */
static void block_scan(const pl_seg_grid *G, const pl_seg_set *S, const pl_roads *roads, int64_t bx, int64_t by,
                       double px, double py, near_best *b)
{
    int64_t y1 = (by + 1) * BLOCK < G->ny ? (by + 1) * BLOCK : G->ny;
    int64_t x1 = (bx + 1) * BLOCK < G->nx ? (bx + 1) * BLOCK : G->nx;
    for (int64_t gy = by * BLOCK; gy < y1; gy++)
        for (int64_t gx = bx * BLOCK; gx < x1; gx++) {
            size_t c = (size_t)(gy * G->nx + gx);
            if (G->begin[c + 1] == G->begin[c] || square_d2(G, gx, gy, 1, px, py) > b->d2)
                continue;
            for (uint32_t k = G->begin[c]; k < G->begin[c + 1]; k++) {
                uint32_t s = G->seg[k];
                double t, d2 = seg_dist2(roads, S->v[s], px, py, &t);
                if (d2 < b->d2 || (d2 == b->d2 && (b->s == PL_NONE || s < b->s))) {
                    b->d2 = d2;
                    b->s = s;
                    b->t = t;
                }
            }
        }
}

/* The non-empty squares (groups, or the blocks of group (gx,gy)) in order of distance. */
static size_t near_list(const seg_blocks *B, const pl_seg_grid *G, int groups, int64_t gx, int64_t gy, double px,
                        double py, near_item *out)
{
    size_t n = 0;
    int64_t x0 = groups ? 0 : gx * BLOCK, y0 = groups ? 0 : gy * BLOCK;
    int64_t x1 = groups ? B->gnx : (gx + 1) * BLOCK < B->nx ? (gx + 1) * BLOCK : B->nx;
    int64_t y1 = groups ? B->gny : (gy + 1) * BLOCK < B->ny ? (gy + 1) * BLOCK : B->ny;
    int64_t span = groups ? BLOCK * BLOCK : BLOCK;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++)
            if (groups ? B->group_full[y * B->gnx + x] : B->full[y * B->nx + x])
                out[n++] = (near_item){square_d2(G, x * span, y * span, span, px, py), x, y};
    qsort(out, n, sizeof *out, cmp_near);
    return n;
}

/* The nearest segment within maxd of a place, best first (see seg_blocks). */
static uint32_t blocks_nearest(const pl_seg_grid *G, const seg_blocks *B, const pl_seg_set *S, const pl_roads *roads,
                               double px, double py, double maxd, double *d_out, double *t_out)
{
    if (!G->nseg)
        return PL_NONE;
    near_best b = {PL_NONE, isfinite(maxd) ? maxd * maxd : INFINITY, 0};
    near_item *groups = pl_malloc((size_t)(B->gnx * B->gny + 1) * sizeof *groups);
    near_item blocks[BLOCK * BLOCK];
    size_t ng = near_list(B, G, 1, 0, 0, px, py, groups);
    for (size_t i = 0; i < ng && groups[i].d2 <= b.d2; i++) {
        size_t nb = near_list(B, G, 0, groups[i].x, groups[i].y, px, py, blocks);
        for (size_t j = 0; j < nb && blocks[j].d2 <= b.d2; j++)
            block_scan(G, S, roads, blocks[j].x, blocks[j].y, px, py, &b);
    }
    free(groups);
    if (b.s == PL_NONE)
        return PL_NONE;
    *d_out = sqrt(b.d2);
    *t_out = b.t;
    return b.s;
}

static atomic_long far_searches;

long pl_snap_far_searches(void)
{
    return atomic_load(&far_searches);
}

/* grid_nearest, or blocks_nearest for a place far outside the grid (B: NULL = none built). */
static uint32_t nearest_in(const pl_seg_grid *G, const seg_blocks *B, const pl_seg_set *S, const pl_roads *roads,
                           double px, double py, double maxd, double *d_out, double *t_out)
{
    if (B && B->full && cells_outside(G, px, py) >= FAR_CELLS) {
        atomic_fetch_add(&far_searches, 1);
        return blocks_nearest(G, B, S, roads, px, py, maxd, d_out, t_out);
    }
    return grid_nearest(G, S, roads, px, py, maxd, d_out, t_out);
}

static void fill_snap(const pl_graph *g, const pl_roads *roads, const pl_seg_set *S, uint32_t s, double t, double d,
                      double access_kmh, pl_snap *out)
{
    uint32_t e = S->e[s], v = S->v[s];
    double along = 0, total = 0;
    for (uint32_t i = g->edge_v0[e]; i < g->edge_v1[e]; i++) {
        double l = hypot(roads->vx[i + 1] - roads->vx[i], roads->vy[i + 1] - roads->vy[i]);
        if (i < v)
            along += l;
        else if (i == v)
            along += t * l;
        total += l;
    }
    double frac = total > 0 ? along / total : 0;
    if (frac > 1)
        frac = 1;
    memset(out, 0, sizeof *out);
    out->node_a = g->edge_a[e];
    out->node_b = g->edge_b[e];
    out->edge = e;
    out->road = g->edge_road[e];
    double len = g->edge_len_m[e], time = g->edge_time_s[e];
    out->a_len_m = (float)(len * frac);
    out->b_len_m = (float)(len * (1 - frac));
    out->a_time_s = (float)(time * frac);
    out->b_time_s = (float)(time * (1 - frac));
    uint8_t dir = g->edge_dir[e];
    out->to_b = out->from_a = (dir & 1) != 0;
    out->to_a = out->from_b = (dir & 2) != 0;
    /* At an end node itself, the one-way rule does not stop anyone from being there. */
    if (frac == 0)
        out->to_a = out->from_a = 1;
    if (frac == 1)
        out->to_b = out->from_b = 1;
    out->access_m = (float)d;
    out->access_s = (float)(d * 3.6 / access_kmh);
}

/* The graph's own index when it fits (read from the cache file or kept by
 * pl_graph_keep_snap_index): a view of its arrays, no build. Only for that graph itself,
 * not a copy of the struct with other edges (scenario.c makes such views). */
static pl_snap_index *shared_index(const pl_graph *g, const pl_roads *roads, uint32_t min_component_nodes)
{
    const pl_snap_index *kept = g->snap_index;
    if (!kept || kept->g != g || kept->min_component_nodes != min_component_nodes)
        return NULL;
    pl_snap_index *ix = pl_malloc(sizeof *ix);
    *ix = *kept;
    ix->g = g;
    ix->roads = roads;
    ix->borrowed = 1;
    return ix;
}

int pl_road_attachable(const pl_roads *roads, size_t r, pl_mode m)
{
    if (r >= roads->n || !pl_road_snappable(roads, r) || !pl_graph_road_allowed(roads, r, m))
        return 0;
    if (m != PL_MODE_CAR)
        return 1;
    /* No driveway joins a motorway (or its ramps) or a road closed to both pedestrians and
     * cyclists (motorroad=yes, NVDB motortrafikled/motorväg, trunk access=no +
     * motor_vehicle=yes): their only way in is a junction, so a home beside one is reached
     * from the nearest ordinary road. */
    unsigned fl = roads->flags[r];
    if (roads->road_class[r] == PL_ROAD_MOTORWAY)
        return 0;
    return (fl & (PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT)) != (PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT);
}

pl_snap_index *pl_snap_index_new(const pl_graph *g, const pl_roads *roads, uint32_t min_component_nodes)
{
    pl_snap_index *ix = shared_index(g, roads, min_component_nodes);
    if (ix)
        return ix;
    ix = pl_calloc(1, sizeof *ix);
    ix->g = g;
    ix->roads = roads;
    ix->min_component_nodes = min_component_nodes;
    for (uint32_t e = 0; e < g->n_edges; e++) {
        uint32_t r = g->edge_road[e];
        if (!g->edge_dir[e] || !pl_road_attachable(roads, r, g->mode))
            continue;
        int is_big = g->component_nodes[g->component[g->edge_a[e]]] >= min_component_nodes;
        for (uint32_t v = g->edge_v0[e]; v < g->edge_v1[e]; v++)
            seg_push(is_big ? &ix->big : &ix->small, v, e);
    }
    grid_build(&ix->grid_big, &ix->big, roads);
    grid_build(&ix->grid_small, &ix->small, roads);
    return ix;
}

void pl_snap_index_free(pl_snap_index *ix)
{
    if (!ix)
        return;
    if (ix->borrowed) {
        free(ix);
        return;
    }
    grid_free(&ix->grid_big);
    grid_free(&ix->grid_small);
    free(ix->big.v);
    free(ix->big.e);
    free(ix->small.v);
    free(ix->small.e);
    free(ix);
}

/* A place's nearest eligible segment (the search's answer, before the rules that read the
 * graph's times, one-way rules and the access speed): s in the big or small set, PL_NONE for
 * none at all; moved: a nearer fragment was passed over for the main network. The distance
 * and the position along s are seg_dist2's again (8 bytes a place, not 24). */
typedef struct snap_pick {
    uint32_t s;
    uint8_t small, moved;
} snap_pick;

/* Picks kept with what they were found with: the index's segment sets (the arrays, shared by
 * the indexes that borrow them), the places (a hash of their coordinates) and max_snap_m,
 * which chooses between the sets. */
struct pl_snap_picks {
    snap_pick *p;
    size_t n;
    const uint32_t *big_v, *small_v;
    uint32_t n_big, n_small;
    uint64_t places;
    double max_snap_m;
};

pl_snap_picks *pl_snap_picks_new(void)
{
    return pl_calloc(1, sizeof(pl_snap_picks));
}

void pl_snap_picks_free(pl_snap_picks *pk)
{
    if (!pk)
        return;
    free(pk->p);
    free(pk);
}

static atomic_long picked_places;

long pl_snap_picked_places(void)
{
    return atomic_load(&picked_places);
}

/* Whether pk holds the answers for these places on this index (else it is made ready to). */
static int picks_ready(pl_snap_picks *pk, const pl_snap_index *ix, const double *x, const double *y, size_t n,
                       double max_snap_m)
{
    uint64_t h = pl_hash_bytes(pl_hash_bytes(0x706c61636573ULL, x, n * sizeof *x), y, n * sizeof *y);
    if (pk->p && pk->n == n && pk->big_v == ix->big.v && pk->small_v == ix->small.v && pk->n_big == ix->big.n &&
        pk->n_small == ix->small.n && pk->places == h && pk->max_snap_m == max_snap_m)
        return 1;
    free(pk->p);
    *pk = (pl_snap_picks){.p = pl_malloc((n ? n : 1) * sizeof *pk->p), .n = n, .big_v = ix->big.v,
                          .small_v = ix->small.v, .n_big = ix->big.n, .n_small = ix->small.n, .places = h,
                          .max_snap_m = max_snap_m};
    return 0;
}

/* One slice of the places, on one thread: counters are per slice and summed after. */
typedef struct snap_job {
    const pl_snap_index *ix;
    const double *x, *y;
    size_t begin, end;
    const pl_snap_opts *o;
    double access_kmh;
    pl_snap *out;
    const uint32_t *order; /* places to do, by position k in begin..end; NULL = k itself */
    const seg_blocks *blocks_big, *blocks_small;  /* for places far outside the grids; NULL = none */
    snap_pick *picks;      /* per place: NULL = none kept; else written, or read when picked */
    int picked;
    pl_ctx *progress_ctx;  /* NULL on the extra threads */
    size_t n_total, n_none, n_far, n_moved, n_left;
} snap_job;

/* The nearest segment of place i: searched (kept in *pk), or read from *pk (J->picked). */
static void pick_one(const snap_job *J, size_t i, snap_pick *pk, double *d, double *t)
{
    const pl_snap_index *ix = J->ix;
    const double *x = J->x, *y = J->y;
    if (J->picked) {
        if (pk->s != PL_NONE)
            *d = sqrt(seg_dist2(ix->roads, (pk->small ? &ix->small : &ix->big)->v[pk->s], x[i], y[i], t));
        return;
    }
    double db = INFINITY, ds = INFINITY, tb = 0, ts = 0;
    uint32_t sb = PL_NONE, ss = PL_NONE;
    if (isfinite(x[i]) && isfinite(y[i])) {
        sb = nearest_in(&ix->grid_big, J->blocks_big, &ix->big, ix->roads, x[i], y[i], INFINITY, &db, &tb);
        ss = nearest_in(&ix->grid_small, J->blocks_small, &ix->small, ix->roads, x[i], y[i],
                        sb == PL_NONE ? INFINITY : db, &ds, &ts);
    }
    int use_small = ss != PL_NONE && (sb == PL_NONE || (ds < db && db > J->o->max_snap_m));
    pk->moved = ss != PL_NONE && sb != PL_NONE && ds < db && !use_small;
    pk->small = (uint8_t)use_small;
    pk->s = use_small ? ss : sb;
    *d = use_small ? ds : db;
    *t = use_small ? ts : tb;
}

static void snap_one(const snap_job *J, size_t i, size_t *n_none, size_t *n_far, size_t *n_moved, size_t *n_left)
{
    const pl_snap_index *ix = J->ix;
    pl_snap *out = J->out;
    snap_pick mine, *pk = J->picks ? &J->picks[i] : &mine;
    double d = INFINITY, t = 0;
    pick_one(J, i, pk, &d, &t);
    if (pk->moved)
        (*n_moved)++;
    if (pk->s == PL_NONE) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].node_a = out[i].node_b = out[i].edge = out[i].road = PL_NONE;
        out[i].access_m = out[i].access_s = INFINITY;
        out[i].status = PL_SNAP_NONE;
        (*n_none)++;
        return;
    }
    fill_snap(ix->g, ix->roads, pk->small ? &ix->small : &ix->big, pk->s, t, d, J->access_kmh, &out[i]);
    if (J->o->max_attach_m > 0 && out[i].access_m > J->o->max_attach_m) {
        /* Left out: not attached, but the distance to the nearest road is kept for the report. */
        float dl = out[i].access_m;
        memset(&out[i], 0, sizeof out[i]);
        out[i].node_a = out[i].node_b = out[i].edge = out[i].road = PL_NONE;
        out[i].access_m = dl;
        out[i].access_s = INFINITY;
        out[i].status = PL_SNAP_NONE;
        (*n_left)++;
        return;
    }
    if (out[i].access_m > J->o->max_snap_m) {
        out[i].status = PL_SNAP_TOO_FAR;
        (*n_far)++;
    }
}

static void *snap_slice(void *arg)
{
    snap_job *J = arg;
    for (size_t k = J->begin; k < J->end; k++) {
        snap_one(J, J->order ? J->order[k] : k, &J->n_none, &J->n_far, &J->n_moved, &J->n_left);
        if (J->progress_ctx && ((k - J->begin) & 0xffff) == 0)
            pl_progress(J->progress_ctx, (double)(k - J->begin) / (double)(J->end - J->begin + 1),
                        "attaching to roads");
    }
    return NULL;
}

/* The places in the order of their grid cells (row by row), so that consecutive searches
 * touch the same cells, segments and edges: several times faster than scattered input
 * (random places over a national network), and the answers do not depend on the order. */
static uint32_t *cell_order(const pl_seg_grid *G, const double *x, const double *y, size_t n)
{
    if (n < 2 || n >= UINT32_MAX || !G->nseg)
        return NULL;
    uint64_t *keys = pl_malloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        uint64_t cell = 0;
        if (isfinite(x[i]) && isfinite(y[i])) {
            double fx = fmin(fmax(floor((x[i] - G->minx) / G->cell), 0.0), (double)(G->nx - 1));
            double fy = fmin(fmax(floor((y[i] - G->miny) / G->cell), 0.0), (double)(G->ny - 1));
            cell = (uint64_t)fy * (uint64_t)G->nx + (uint64_t)fx;
        }
        keys[i] = (cell << 32) | i;
    }
    pl_sort_u64(keys, n);
    uint32_t *order = pl_malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)keys[i];
    free(keys);
    return order;
}
/* The snapping threads of one call, for the out-of-memory path: they finish their slices,
 * then the run unwinds (gis/ctx.h, pl_oom_hold_wait). */
typedef struct snap_threads {
    pthread_t *tid;
    int *started;
    int n;
} snap_threads;

static void join_snap_threads(void *arg)
{
    snap_threads *w = arg;
    for (int t = 1; t < w->n; t++)
        if (w->started[t]) {
            pthread_join(w->tid[t], NULL);
            w->started[t] = 0;
        }
}

int pl_graph_snap_indexed(pl_ctx *ctx, const pl_snap_index *ix, const double *x, const double *y, size_t n,
                          const pl_snap_opts *opts, pl_snap *out, pl_error *err)
{
    pl_snap_opts o = snap_opts_or_default(opts);
    if (!ix)
        return pl_error_set(err, PL_EINTERNAL, "pl_graph_snap_indexed: no index");
    if (ix->min_component_nodes != o.min_component_nodes)
        return pl_error_set(err, PL_EINTERNAL, "pl_graph_snap_indexed: the index was made for fragments below %u "
                            "nodes, the options say %u", ix->min_component_nodes, o.min_component_nodes);
    double access_kmh = o.access_speed_kmh > 0 ? o.access_speed_kmh : pl_mode_access_speed_kmh(ix->g->mode);
    /* Places are independent: slices on threads give the same answers as one loop. */
    int n_threads = o.threads < 1 ? 1 : o.threads > 16 ? 16 : o.threads;
    if ((size_t)n_threads > n / 4096 + 1)
        n_threads = (int)(n / 4096 + 1);
    uint32_t *order = cell_order(&ix->grid_big, x, y, n);
    int picked = o.picks && picks_ready(o.picks, ix, x, y, n, o.max_snap_m);
    if (picked)
        atomic_fetch_add(&picked_places, (long)n);
    /* Blocks only when some place lies far outside a grid (and is searched). */
    seg_blocks bb = {0}, bs = {0};
    for (size_t i = 0; i < n && !bb.full && !picked; i++)
        if (cells_outside(&ix->grid_big, x[i], y[i]) >= FAR_CELLS ||
            cells_outside(&ix->grid_small, x[i], y[i]) >= FAR_CELLS) {
            blocks_build(&bb, &ix->grid_big);
            blocks_build(&bs, &ix->grid_small);
        }
    snap_job jobs[16];
    pthread_t tid[16];
    int started[16] = {0};
    snap_threads waiter = {tid, started, n_threads};
    pl_oom_hold_wait(join_snap_threads, &waiter);  /* the threads work on jobs[], on this stack */
    for (int t = 0; t < n_threads; t++) {
        jobs[t] = (snap_job){.ix = ix, .x = x, .y = y, .o = &o, .access_kmh = access_kmh, .out = out, .order = order,
                             .blocks_big = &bb, .blocks_small = &bs, .picks = o.picks ? o.picks->p : NULL,
                             .picked = picked,
                             .begin = n * (size_t)t / (size_t)n_threads,
                             .end = n * (size_t)(t + 1) / (size_t)n_threads, .progress_ctx = t == 0 ? ctx : NULL};
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, snap_slice, &jobs[t]) == 0;
    }
    snap_slice(&jobs[0]);
    size_t n_none = jobs[0].n_none, n_far = jobs[0].n_far, n_moved = jobs[0].n_moved, n_left = jobs[0].n_left;
    for (int t = 1; t < n_threads; t++) {
        if (started[t]) {
            pthread_join(tid[t], NULL);
            started[t] = 0;  /* joined: the out-of-memory path must not join it again */
        } else {
            snap_slice(&jobs[t]);  /* no thread to be had: this slice here */
        }
        n_none += jobs[t].n_none;
        n_far += jobs[t].n_far;
        n_moved += jobs[t].n_moved;
        n_left += jobs[t].n_left;
    }
    pl_oom_release();
    free(order);
    blocks_free(&bb);
    blocks_free(&bs);
    pl_progress(ctx, 1.0, "attaching to roads");
    if (n_moved)
        pl_info(ctx, "snap: %zu of %zu places attached past a nearer fragment (component < %u nodes) to the main "
                "network", n_moved, n, o.min_component_nodes);
    const char *what = o.what ? o.what : "places";
    if (n_far)
        pl_warn(ctx, "snap-too-far", "%zu of %zu %s are more than %.0f m from the nearest road; attached anyway",
                n_far, n, what, o.max_snap_m);
    if (n_left)
        pl_warn(ctx, "snap-left-out", "%zu of %zu %s are more than %.0f m from every road a %s may attach to; left "
                "out, not attached%s%s", n_left, n, what, o.max_attach_m, pl_mode_name(ix->g->mode),
                o.left_out_note ? " " : "", o.left_out_note ? o.left_out_note : "");
    if (n_none)
        pl_warn(ctx, "snap-none", "%zu of %zu %s have no road open to %s to attach to", n_none, n, what,
                pl_mode_name(ix->g->mode));
    return PL_OK;
}

int pl_graph_snap(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const double *x, const double *y, size_t n,
                  const pl_snap_opts *opts, pl_snap *out, pl_error *err)
{
    pl_snap_opts o = snap_opts_or_default(opts);
    if (!g || !roads)
        return pl_error_set(err, PL_EINTERNAL, "pl_graph_snap: no graph or roads");
    pl_snap_index *ix = pl_snap_index_new(g, roads, o.min_component_nodes);
    int rc = pl_graph_snap_indexed(ctx, ix, x, y, n, &o, out, err);
    pl_snap_index_free(ix);
    return rc;
}

int pl_graph_keep_snap_index(pl_graph *g, const pl_roads *roads)
{
    if (!g || !roads)
        return PL_EINTERNAL;
    uint32_t min = pl_snap_default_min_component();
    if (g->snap_index && g->snap_index->min_component_nodes == min)
        return PL_OK;
    pl_snap_index *ix = pl_snap_index_new(g, roads, min);
    pl_snap_index_free(g->snap_index);
    g->snap_index = ix;
    return PL_OK;
}
