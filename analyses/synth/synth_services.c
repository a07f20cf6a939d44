/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: SYNTHETIC services, placed by population. (Pharmacies are real: OSM, read in synth.c.)
 *
 * For each family the region gets N = round(population / ratio) services (at least 1):
 *   family         ratio (people per service)  towns guaranteed one from   rural share
 *   grocery        1,750                       1,000 residents             0.9
 *   fuel           4,000                       1,500                       1.0
 *   parcel_post    3,000                         800                       0.6
 *   parcel_locker  2,000                       3,000                       0
 *   cash (ATM)     5,500                       3,000                       0
 * "Rural share": the rural part of N is round(N * rural population / population * share), the
 * rest goes to towns (tätorter with a street grid, weighted by the 2024 population of their
 * squares): first one each to the towns above the guarantee (largest first, while seats remain),
 * then by Sainte-Laguë (highest population / (2 seats + 1)).
 * In a town the first grocery store, cash point and fuel station sit at the town's central node,
 * the others at street nodes drawn by the population of their 250 m cell, at least 300 m from
 * the same family in that town when possible. Parcel agents sit in the town's grocery stores
 * (one each, in order) and parcel lockers in every other one; extras go to drawn nodes.
 * Rural services go to the hubs of rural squares with the most rural residents within 5 km,
 * at least 10 km from the same family (relaxed to 5, 2.5, 1.25 km, then none, until placed).
 * Grocery type: a town's first store is full assortment when the town has >= 1,000 residents,
 * else partial; its other stores are full with probability 0.45; a rural store is full when
 * >= 3,000 rural residents live within 5 km, else partial.
 * Every point is offset 10-40 m from its road node, in a random direction.
 * Ids "synth-grocery-000123", names "SYNTH grocery 000123" (numbered per family). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_internal.h"

enum { FAM_GROCERY, FAM_FUEL, FAM_PARCEL_POST, FAM_PARCEL_LOCKER, FAM_CASH, N_FAM };

static const struct {
    const char *name;
    double ratio;
    int64_t town_min;
    double rural_share;
} fam[N_FAM] = {
    {"grocery", PL_SYNTH_PEOPLE_PER_GROCERY, 1000, 0.9},
    {"fuel", PL_SYNTH_PEOPLE_PER_FUEL, 1500, 1.0},
    {"parcel_post", PL_SYNTH_PEOPLE_PER_PARCEL_POST, 800, 0.6},
    {"parcel_locker", PL_SYNTH_PEOPLE_PER_PARCEL_LOCKER, 3000, 0.0},
    {"cash", PL_SYNTH_PEOPLE_PER_CASH, 3000, 0.0},
};

typedef struct placed {
    double *x, *y;
    int32_t *next;        /* bucket chain */
    size_t n, cap;
    sy_ihash head;        /* 10 km cell -> first index */
} placed;

static uint64_t cell10(double x, double y)
{
    return ((uint64_t)(uint32_t)(int32_t)floor(x / 10000.0) << 32) | (uint32_t)(int32_t)floor(y / 10000.0);
}

static void placed_add(placed *p, double x, double y)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->x = pl_realloc(p->x, p->cap * sizeof *p->x);
        p->y = pl_realloc(p->y, p->cap * sizeof *p->y);
        p->next = pl_realloc(p->next, p->cap * sizeof *p->next);
    }
    uint64_t k = cell10(x, y);
    uint32_t h = sy_ihash_get(&p->head, k);
    p->x[p->n] = x;
    p->y[p->n] = y;
    p->next[p->n] = h == UINT32_MAX ? -1 : (int32_t)h;
    sy_ihash_put(&p->head, k, (uint32_t)p->n);
    p->n++;
}

/* Is there a placed point within d (d <= 10 km)? */
static int placed_near(const placed *p, double x, double y, double d)
{
    if (d <= 0)
        return 0;
    int64_t cx = (int64_t)floor(x / 10000.0), cy = (int64_t)floor(y / 10000.0);
    for (int64_t i = cx - 1; i <= cx + 1; i++)
        for (int64_t j = cy - 1; j <= cy + 1; j++) {
            uint32_t h = sy_ihash_get(&p->head, ((uint64_t)(uint32_t)(int32_t)i << 32) | (uint32_t)(int32_t)j);
            for (int32_t k = h == UINT32_MAX ? -1 : (int32_t)h; k >= 0; k = p->next[k])
                if (hypot(p->x[k] - x, p->y[k] - y) < d)
                    return 1;
        }
    return 0;
}

static void placed_free(placed *p)
{
    free(p->x);
    free(p->y);
    free(p->next);
    sy_ihash_free(&p->head);
}

typedef struct ctx_s {
    pl_synth_region *r;
    sy_net *net;
    sy_ihash sqh;
    size_t cap;
    int counter[N_FAM];
    placed fam_placed[N_FAM];
} ctx_s;

static int16_t muni_at(ctx_s *c, double x, double y, int16_t fallback)
{
    const pl_synth_region *r = c->r;
    int32_t sx = (int32_t)floor(x / 1000.0) * 1000, sy = (int32_t)floor(y / 1000.0) * 1000;
    for (int ring = 0; ring <= 1; ring++)
        for (int dx = -ring; dx <= ring; dx++)
            for (int dy = -ring; dy <= ring; dy++) {
                uint32_t q = sy_ihash_get(&c->sqh, ((uint64_t)(uint32_t)(sx + 1000 * dx) << 32) | (uint32_t)(sy + 1000 * dy));
                if (q != UINT32_MAX)
                    return r->sq_muni[q];
            }
    return fallback >= 0 ? fallback : 0;
}

static void emit(ctx_s *c, int f, int type, double nx, double ny, sy_rng *rng, int16_t muni_fallback)
{
    double a = sy_unif(rng) * 6.283185307179586, d = sy_range(rng, 10.0, 40.0);
    double x = round((nx + d * cos(a)) * 100.0) / 100.0, y = round((ny + d * sin(a)) * 100.0) / 100.0;
    int n = ++c->counter[f];
    char id[64], name[96];
    snprintf(id, sizeof id, "synth-%s-%06d", fam[f].name, n);
    snprintf(name, sizeof name, "SYNTH %s %06d", fam[f].name, n);
    for (char *p = name; *p; p++)
        if (*p == '_')
            *p = ' ';
    sy_add_service(c->r, &c->cap, x, y, type, 1, id, name, muni_at(c, nx, ny, muni_fallback));
    placed_add(&c->fam_placed[f], x, y);
}

/* A street node of town t drawn by population, preferring ones >= 300 m from `avoid` points. */
static uint32_t draw_node(const sy_net *net, const sy_town *tw, double wsum, sy_rng *rng, const double *ax,
                          const double *ay, int na)
{
    uint32_t v = tw->node;
    for (int attempt = 0; attempt < 20; attempt++) {
        double u = sy_unif(rng) * wsum;
        size_t k = 0;
        while (k + 1 < tw->n_grid && u >= tw->grid_w[k]) {
            u -= tw->grid_w[k];
            k++;
        }
        v = tw->grid[k];
        int ok = 1;
        for (int i = 0; i < na && ok; i++)
            if (hypot(net->b.vx[v] - ax[i], net->b.vy[v] - ay[i]) < 300.0)
                ok = 0;
        if (ok)
            break;
    }
    return v;
}

typedef struct hub_key {
    int64_t key;
    uint32_t q;
} hub_key;

static int cmp_hub_key(const void *x, const void *y)
{
    const hub_key *a = x, *b = y;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return (a->q > b->q) - (a->q < b->q);
}

typedef struct gstore {
    double x, y;
    uint32_t town;
} gstore;

/* Long: the placement rules of the service types run in one order on shared per-town lists; that
 * order fixes the random stream and so the bytes of every synthetic region. */
void sy_place_services(pl_ctx *ctx, pl_synth_region *r, sy_net *net)
{
    (void)ctx;
    ctx_s c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.net = net;
    c.cap = r->n_services;
    sy_ihash_init(&c.sqh, r->n_squares);
    for (size_t q = 0; q < r->n_squares; q++)
        sy_ihash_put(&c.sqh, ((uint64_t)(uint32_t)r->sq_x[q] << 32) | (uint32_t)r->sq_y[q], (uint32_t)q);
    for (int f = 0; f < N_FAM; f++)
        sy_ihash_init(&c.fam_placed[f].head, 256);
    const sy_builder *b = &net->b;
    uint64_t seed = r->opts.seed;
    int64_t P = r->total_pop;

    /* towns with a grid in the region, and the rural rest */
    size_t T = net->n_towns;
    int64_t urban = 0;
    double *wsum = pl_calloc(T ? T : 1, sizeof *wsum);
    for (size_t t = 0; t < T; t++) {
        const sy_town *tw = &net->towns[t];
        if (tw->n_grid == 0)
            continue;
        urban += tw->urban_pop;
        for (size_t k = 0; k < tw->n_grid; k++)
            wsum[t] += tw->grid_w[k];
    }
    int64_t rural = P - urban;

    /* rural candidates: hubs by rural residents within 5 km */
    size_t nq = r->n_squares, nh = 0;
    uint32_t *hubs = pl_malloc((nq ? nq : 1) * sizeof *hubs);
    int64_t *near5 = pl_calloc(nq ? nq : 1, sizeof *near5);
    for (size_t q = 0; q < nq; q++) {
        if (net->sq_hub[q] == UINT32_MAX)
            continue;
        for (int dx = -5; dx <= 5; dx++)
            for (int dy = -5; dy <= 5; dy++) {
                if (dx * dx + dy * dy > 25)
                    continue;
                uint32_t o = sy_ihash_get(&c.sqh, ((uint64_t)(uint32_t)(r->sq_x[q] + 1000 * dx) << 32) |
                                                      (uint32_t)(r->sq_y[q] + 1000 * dy));
                if (o != UINT32_MAX && net->sq_hub[o] != UINT32_MAX)
                    near5[q] += r->sq_pop[o];
            }
        hubs[nh++] = (uint32_t)q;
    }
    /* order: most rural residents nearby first, then square order (insertion sort is too slow
     * for L; use qsort with a total order) */
    {
        hub_key *tmp = pl_malloc((nh ? nh : 1) * sizeof *tmp);
        for (size_t i = 0; i < nh; i++) {
            tmp[i].key = near5[hubs[i]];
            tmp[i].q = hubs[i];
        }
        qsort(tmp, nh, sizeof *tmp, cmp_hub_key);
        for (size_t i = 0; i < nh; i++)
            hubs[i] = tmp[i].q;
        free(tmp);
    }

    int32_t *seats = pl_malloc((T ? T : 1) * sizeof *seats);
    /* grocery stores of each town (for co-located parcel agents and lockers) */
    size_t *g_first = pl_calloc(T + 1, sizeof *g_first);
    gstore *gs = NULL;
    size_t ngs = 0, capgs = 0;

    for (int f = 0; f < N_FAM; f++) {
        if (P <= 0)
            break;
        int64_t N = llround((double)P / fam[f].ratio);
        if (N < 1)
            N = 1;
        int64_t Nr = P > 0 ? llround((double)N * (double)rural / (double)P * fam[f].rural_share) : 0;
        if (urban == 0)
            Nr = N;
        if (Nr > (int64_t)nh)
            Nr = (int64_t)nh;
        int64_t Nt = N - Nr;
        /* towns: guarantee, then Sainte-Laguë */
        for (size_t t = 0; t < T; t++)
            seats[t] = 0;
        int64_t left = Nt;
        {
            uint32_t *ord = pl_malloc((T ? T : 1) * sizeof *ord);
            size_t no = 0;
            for (size_t t = 0; t < T; t++)
                if (net->towns[t].n_grid && net->towns[t].urban_pop >= fam[f].town_min)
                    ord[no++] = (uint32_t)t;
            /* largest first (selection by repeated max keeps it simple and deterministic) */
            for (size_t i = 0; i < no && left > 0; i++) {
                size_t bi = i;
                for (size_t j = i + 1; j < no; j++)
                    if (net->towns[ord[j]].urban_pop > net->towns[ord[bi]].urban_pop)
                        bi = j;
                uint32_t tmp = ord[i];
                ord[i] = ord[bi];
                ord[bi] = tmp;
                seats[ord[i]] = 1;
                left--;
            }
            free(ord);
        }
        while (left > 0) {
            double best = -1;
            size_t bt = SIZE_MAX;
            for (size_t t = 0; t < T; t++) {
                if (!net->towns[t].n_grid)
                    continue;
                double pr = (double)net->towns[t].urban_pop / (2.0 * seats[t] + 1.0);
                if (pr > best) {
                    best = pr;
                    bt = t;
                }
            }
            if (bt == SIZE_MAX)
                break;
            seats[bt]++;
            left--;
        }
        Nr += left;   /* no town at all: everything rural */
        if (Nr > (int64_t)nh)
            Nr = (int64_t)nh;

        /* town placement */
        for (size_t t = 0; t < T; t++) {
            sy_town *tw = &net->towns[t];
            if (!seats[t])
                continue;
            sy_rng rng = sy_stream(seed, SALT_SERVICE, sy_hash_str(fam[f].name), (uint64_t)t);
            double ax[64], ay[64];
            int na = 0;
            for (int32_t k = 0; k < seats[t]; k++) {
                uint32_t v;
                double nx, ny;
                int type;
                int colocated = 0;
                if (f == FAM_PARCEL_POST || f == FAM_PARCEL_LOCKER) {
                    size_t have = g_first[t + 1] - g_first[t];
                    size_t gi = f == FAM_PARCEL_POST ? (size_t)k : 2 * (size_t)k;
                    if (gi < have) {
                        nx = gs[g_first[t] + gi].x;
                        ny = gs[g_first[t] + gi].y;
                        colocated = 1;
                    }
                }
                if (!colocated) {
                    if (k == 0 && f != FAM_PARCEL_LOCKER && f != FAM_PARCEL_POST)
                        v = tw->node;
                    else
                        v = draw_node(net, tw, wsum[t], &rng, ax, ay, na);
                    nx = b->vx[v];
                    ny = b->vy[v];
                }
                if (na < 64) {
                    ax[na] = nx;
                    ay[na] = ny;
                    na++;
                }
                switch (f) {
                case FAM_GROCERY:
                    if (k == 0)
                        type = tw->urban_pop >= 1000 ? PL_SYNTH_GROCERY_FULL : PL_SYNTH_GROCERY_PARTIAL;
                    else
                        type = sy_unif(&rng) < 0.45 ? PL_SYNTH_GROCERY_FULL : PL_SYNTH_GROCERY_PARTIAL;
                    break;
                case FAM_FUEL: type = PL_SYNTH_FUEL; break;
                case FAM_PARCEL_POST: type = PL_SYNTH_PARCEL_POST; break;
                case FAM_PARCEL_LOCKER: type = PL_SYNTH_PARCEL_LOCKER; break;
                default: type = PL_SYNTH_CASH; break;
                }
                size_t before = r->n_services;
                emit(&c, f, type, nx, ny, &rng, tw->muni);
                if (f == FAM_GROCERY)
                    SY_PUSH(gs, ngs, capgs, ((gstore){r->svc_x[before], r->svc_y[before], (uint32_t)t}));
            }
        }
        if (f == FAM_GROCERY) {
            /* index the grocery stores by town (they were emitted town by town, in order) */
            for (size_t i = 0; i < ngs; i++)
                g_first[gs[i].town + 1]++;
            for (size_t t = 0; t < T; t++)
                g_first[t + 1] += g_first[t];
        }

        /* rural placement */
        static const double spacing[] = {10000.0, 5000.0, 2500.0, 1250.0, 0.0};
        int64_t placed_r = 0;
        uint8_t *taken = pl_calloc(nh ? nh : 1, 1);
        for (size_t pass = 0; pass < sizeof spacing / sizeof spacing[0] && placed_r < Nr; pass++) {
            for (size_t i = 0; i < nh && placed_r < Nr; i++) {
                if (taken[i])
                    continue;
                uint32_t q = hubs[i], v = net->sq_hub[q];
                if (placed_near(&c.fam_placed[f], b->vx[v], b->vy[v], spacing[pass]))
                    continue;
                taken[i] = 1;
                sy_rng rng = sy_stream(seed, SALT_SERVICE ^ 0x77, sy_hash_str(fam[f].name), (uint64_t)q);
                int type = f == FAM_GROCERY ? (near5[q] >= 3000 ? PL_SYNTH_GROCERY_FULL : PL_SYNTH_GROCERY_PARTIAL)
                         : f == FAM_FUEL ? PL_SYNTH_FUEL
                         : f == FAM_PARCEL_POST ? PL_SYNTH_PARCEL_POST
                         : f == FAM_PARCEL_LOCKER ? PL_SYNTH_PARCEL_LOCKER : PL_SYNTH_CASH;
                emit(&c, f, type, b->vx[v], b->vy[v], &rng, r->sq_muni[q]);
                placed_r++;
            }
        }
        free(taken);
    }
    free(seats);
    free(g_first);
    free(gs);
    free(hubs);
    free(near5);
    free(wsum);
    for (int f = 0; f < N_FAM; f++)
        placed_free(&c.fam_placed[f]);
    sy_ihash_free(&c.sqh);
}
