/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rule 3: trees seen from home (see green.h for the exact sight line). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "green_internal.h"

int pl_green_rule3(pl_ctx *ctx, const pl_flatpoly *bld, const pl_trees *trees, const pl_green_params *p,
                   const uint8_t *is_home, int32_t *visible, int32_t *within, pl_error *err)
{
    double view = p->view_distance_m, buf = p->tree_buffer_m;
    double reach = view > buf ? view : buf;
    double cell = reach > 10 ? reach : 10;
    pl_cells tcells, bcells;
    pl_cells_points(&tcells, trees->x, trees->y, trees->n, cell);
    pl_cells_boxes(&bcells, bld->bbox, bld->n, 50.0);
    pl_cells_hits tq, bq;
    pl_cells_hits_init(&tq, &tcells, 0);
    pl_cells_hits_init(&bq, &bcells, 1);
    uint32_t *obs = NULL;
    size_t cap_obs = 0;
    int rc = PL_OK;
    for (size_t b = 0; b < bld->n; b++) {
        visible[b] = within[b] = -1;
        if (!is_home[b])
            continue;
        if ((b & 4095) == 0 && pl_progress(ctx, (double)b / (double)bld->n, "rule 3: trees seen from home")) {
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
            break;
        }
        const double *bb = &bld->bbox[4 * b];
        visible[b] = within[b] = 0;
        if (!isfinite(bb[0]))
            continue;
        pl_cells_query(&tcells, &tq, bb[0] - reach, bb[1] - reach, bb[2] + reach, bb[3] + reach);
        size_t n_obs = 0;
        int have_obs = 0;
        for (size_t j = 0; j < tq.n; j++) {
            uint32_t t = tq.items[j];
            double x = trees->x[t], y = trees->y[t];
            double dx = x < bb[0] ? bb[0] - x : x > bb[2] ? x - bb[2] : 0;
            double dy = y < bb[1] ? bb[1] - y : y > bb[3] ? y - bb[3] : 0;
            if (dx * dx + dy * dy > reach * reach)
                continue;
            double qx, qy;
            double d = pl_flatpoly_outline_dist(bld, b, x, y, &qx, &qy);
            int inside = d > 0 && pl_flatpoly_locate(bld, b, x, y, 0.0) == 1;
            if (inside)
                d = 0;
            if (d <= buf)
                within[b]++;
            if (d > view)
                continue;
            if (d == 0) {
                visible[b]++; /* on or inside the home's own footprint */
                continue;
            }
            if (!have_obs) {
                /* Every building that can stand between this home and a tree within view. */
                pl_cells_query(&bcells, &bq, bb[0] - view, bb[1] - view, bb[2] + view, bb[3] + view);
                if (bq.n > cap_obs) {
                    cap_obs = bq.n;
                    obs = pl_realloc(obs, cap_obs * sizeof *obs);
                }
                for (size_t k = 0; k < bq.n; k++)
                    if (bq.items[k] != b)
                        obs[n_obs++] = bq.items[k];
                have_obs = 1;
            }
            double sminx = qx < x ? qx : x, smaxx = qx < x ? x : qx;
            double sminy = qy < y ? qy : y, smaxy = qy < y ? y : qy;
            int blocked = 0;
            for (size_t k = 0; k < n_obs && !blocked; k++) {
                const double *ob = &bld->bbox[4 * obs[k]];
                if (ob[0] > smaxx || ob[2] < sminx || ob[1] > smaxy || ob[3] < sminy)
                    continue;
                blocked = pl_segment_enters(bld, obs[k], qx, qy, x, y, PL_GREEN_EPS);
            }
            if (!blocked)
                visible[b]++;
        }
    }
    pl_progress(ctx, 1.0, "rule 3: trees seen from home");
    free(obs);
    pl_cells_hits_free(&tq);
    pl_cells_hits_free(&bq);
    pl_cells_free(&tcells);
    pl_cells_free(&bcells);
    return rc;
}
