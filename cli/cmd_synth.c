/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: generate a synthetic region (real population, boundaries, towns and
 * pharmacies; synthetic roads and other services) and write it as one GeoPackage. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analyses/synth/synth.h"
#include "gis/gpkg_writer.h"
#include "commands.h"
#include "gis/util.h"

static const char *const link_names[] = {"main", "bridge", "ferry", "none"};

int cmd_synth(pl_ctx *ctx, int argc, char **argv)
{
    pl_synth_cli_opts c;
    memset(&c, 0, sizeof c);
    pl_error err = {0};
    char *pos[1];
    int npos = 0;
    int rc = pl_options_parse(pl_synth_option_table, &c, argc, argv, pos, 0, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, "platsa synth --size S|M|L --seed N -o region.gpkg [--cells 1km|250m]",
                        "Generates a deterministic region for benchmarks. REAL: population (SCB 1 km squares 2024),\n"
                        "kommuner and län (SCB), tätorter (SCB 2020), pharmacies (OSM 2020). SYNTHETIC: the road\n"
                        "network (towns, streets, rural roads, bridges, ferries), grocery stores, fuel stations,\n"
                        "parcel agents and lockers, cash points, and the 250 m split of the population.\n"
                        "The same options give the same file, byte for byte.",
                        pl_synth_option_table);
        pl_options_free(pl_synth_option_table, &c);
        return 0;
    }
    pl_synth_opts o;
    if (rc != PL_OK || pl_synth_opts_from_cli(&c, &o, &err) != PL_OK) {
        pl_options_free(pl_synth_option_table, &c);
        return cli_fail(argv[0], &err);
    }
    pl_gpkg_opts check = {.overwrite = c.overwrite};
    if (pl_gpkg_check_output(c.output, &check, NULL, &err) != PL_OK) {  /* before minutes of generating */
        pl_options_free(pl_synth_option_table, &c);
        return cli_fail(argv[0], &err);
    }
    double t0 = pl_now_s();
    pl_synth_region *r = NULL;
    if (pl_synth_generate(ctx, &o, &r, &err) != PL_OK) {
        pl_options_free(pl_synth_option_table, &c);
        return cli_fail(argv[0], &err);
    }
    double t1 = pl_now_s();
    pl_synth_write_opts wo = {c.overwrite, cli_command_line(), NULL};
    rc = pl_synth_write(ctx, r, c.output, &wo, &err);
    double t2 = pl_now_s();
    if (rc != PL_OK) {
        pl_synth_region_free(r);
        pl_options_free(pl_synth_option_table, &c);
        return cli_fail(argv[0], &err);
    }

    const pl_synth_stats *s = &r->stats;
    printf("platsa synth: size %s = %s (%s), seed %llu, cells %s\n", pl_synth_size_name(o.size), r->region_name,
           r->region_code, (unsigned long long)o.seed, r->cell_m == 250 ? "250m" : "1km");
    printf("  population   %zu cells (%zu real 1 km squares), %lld residents\n", r->n_cells, r->n_squares,
           (long long)r->total_pop);
    printf("  localities   %zu tätorter; street grids laid for %zu towns\n", r->n_localities, s->n_towns_with_grid);
    printf("  roads        %zu nodes, %zu edges, %zu vertices, mean degree %.2f, %zu one-way ramps, %zu bridges, "
           "%zu ferries\n",
           s->n_nodes, s->n_edges, s->n_vertices, s->mean_degree, s->n_oneway, s->n_bridges, s->n_ferries);
    printf("  services    ");
    for (int t = 0; t < PL_SYNTH_N_TYPES; t++)
        printf(" %s %zu", pl_synth_type_key(t), s->services_by_type[t]);
    printf("\n");
    size_t by_link[4] = {0};
    for (size_t i = 0; i < r->n_islands; i++)
        by_link[r->islands[i].link]++;
    printf("  islands      %zu apart from the main landmass: %zu by bridge, %zu by ferry, %zu without any link\n",
           r->n_islands, by_link[PL_SYNTH_LINK_BRIDGE], by_link[PL_SYNTH_LINK_FERRY], by_link[PL_SYNTH_LINK_NONE]);
    for (size_t i = 0; i < r->n_islands; i++) {
        const pl_synth_island *is = &r->islands[i];
        if (is->link == PL_SYNTH_LINK_FERRY || is->link == PL_SYNTH_LINK_NONE || (ctx->verbose && is->pop >= 1000))
        {
            char linktxt[48] = "";
            if (is->link != PL_SYNTH_LINK_NONE)
                snprintf(linktxt, sizeof linktxt, ", %s %.1f km", link_names[is->link], is->link_km);
            printf("    %-6s %-44s %5d squares %7lld residents%s\n", link_names[is->link], is->name, is->n_squares,
                   (long long)is->pop, linktxt);
        }
    }
    printf("NOTE: the roads and all services except pharmacies are SYNTHETIC (generated from seed %llu); population, "
           "kommuner, län, tätorter and pharmacies are real data.\n",
           (unsigned long long)o.seed);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s: generation %.1f s, writing %.1f s, peak memory %.0f MiB\n", c.output, t1 - t0, t2 - t1,
           ru.ru_maxrss / 1024.0);
    pl_synth_region_free(r);
    pl_options_free(pl_synth_option_table, &c);
    return 0;
}
