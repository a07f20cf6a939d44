/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: the library call behind the command: check, generate, write, report. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gis/util.h"
#include "analyses/common/run.h"
#include "analyses/synth/synth.h"
#include "gis/gpkg_writer.h"
#include "gis/commit.h"
#include "analyses/synth/synth_gtfs.h"

const char pl_synth_usage[] =
    "platsa synth --size S|M|L --seed N -o region.gpkg [--cells 1km|250m] [--gtfs feed.zip]";
const char pl_synth_summary[] =
    "Generates a deterministic region for benchmarks. REAL: population (SCB 1 km squares 2024),\n"
    "kommuner and län (SCB), tätorter (SCB 2020), pharmacies (OSM 2020). SYNTHETIC: the road\n"
    "network (towns, streets, rural roads, bridges, ferries), grocery stores, fuel stations,\n"
    "parcel agents and lockers, cash points, the 250 m split of the population, and with --gtfs\n"
    "a timetable (buses along the synthetic roads, trains between the largest towns).\n"
    "The same options give the same file, byte for byte.";

int pl_synth_opts_init(pl_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_synth_options, o, NULL);
}

void pl_synth_opts_free(pl_synth_opts *o)
{
    pl_options_free(pl_synth_options, o);
}

static const char *const link_names[] = {"main", "bridge", "ferry", "none"};

static void print_islands(FILE *out, const pl_ctx *ctx, const pl_synth_region *r)
{
    size_t by_link[4] = {0};
    for (size_t i = 0; i < r->n_islands; i++)
        by_link[r->islands[i].link]++;
    fprintf(out, "  islands      %zu apart from the main landmass: %zu by bridge, %zu by ferry, %zu without any link\n",
            r->n_islands, by_link[PL_SYNTH_LINK_BRIDGE], by_link[PL_SYNTH_LINK_FERRY], by_link[PL_SYNTH_LINK_NONE]);
    for (size_t i = 0; i < r->n_islands; i++) {
        const pl_synth_island *is = &r->islands[i];
        if (is->link == PL_SYNTH_LINK_FERRY || is->link == PL_SYNTH_LINK_NONE || (ctx->verbose && is->pop >= 1000))
        {
            char linktxt[48] = "";
            if (is->link != PL_SYNTH_LINK_NONE)
                snprintf(linktxt, sizeof linktxt, ", %s %.1f km", link_names[is->link], is->link_km);
            fprintf(out, "    %-6s %-44s %5d squares %7lld residents%s\n", link_names[is->link], is->name,
                    is->n_squares, (long long)is->pop, linktxt);
        }
    }
}

static void print_region(FILE *out, const pl_ctx *ctx, const pl_synth_region *r, const pl_synth_params *p)
{
    const pl_synth_stats *s = &r->stats;
    fprintf(out, "platsa synth: size %s = %s (%s), seed %llu, cells %s\n", pl_synth_size_name(p->size),
            r->region_name, r->region_code, (unsigned long long)p->seed, r->cell_m == 250 ? "250m" : "1km");
    fprintf(out, "  population   %zu cells (%zu real 1 km squares), %lld residents\n", r->n_cells, r->n_squares,
            (long long)r->total_pop);
    fprintf(out, "  localities   %zu tätorter; street grids laid for %zu towns\n", r->n_localities,
            s->n_towns_with_grid);
    fprintf(out, "  roads        %zu nodes, %zu edges, %zu vertices, mean degree %.2f, %zu one-way ramps, %zu "
            "bridges, %zu ferries\n",
            s->n_nodes, s->n_edges, s->n_vertices, s->mean_degree, s->n_oneway, s->n_bridges, s->n_ferries);
    fprintf(out, "  services    ");
    for (int t = 0; t < PL_SYNTH_N_TYPES; t++)
        fprintf(out, " %s %zu", pl_synth_type_key(t), s->services_by_type[t]);
    fprintf(out, "\n");
    print_islands(out, ctx, r);
    fprintf(out, "NOTE: the roads and all services except pharmacies are SYNTHETIC (generated from seed %llu); "
            "population, kommuner, län, tätorter and pharmacies are real data.\n",
            (unsigned long long)p->seed);
}

static int synth_run(pl_ctx *ctx, const pl_synth_opts *c, const char *command_line, FILE *out, pl_error *err)
{
    pl_synth_params p;
    if (pl_synth_params_from_opts(c, &p, err) != PL_OK)
        return err->code;
    pl_gpkg_opts check = {.overwrite = c->overwrite};
    if (pl_gpkg_check_output(c->output, &check, NULL, err) != PL_OK)  /* before minutes of generating */
        return err->code;
    if (c->gtfs) {
        if (!strcmp(c->gtfs, c->output))
            return pl_error_set(err, PL_EINPUT, "--gtfs %s: the same file as -o; give the timetable its own .zip name",
                                c->gtfs);
        if (pl_commit_check_path(c->gtfs, c->overwrite, NULL, "give a .zip file name", err) != PL_OK)
            return err->code;
    }
    double t0 = pl_now_s();
    pl_synth_region *r = NULL;
    if (pl_synth_generate(ctx, &p, &r, err) != PL_OK)
        return err->code;
    double t1 = pl_now_s();
    pl_synth_write_opts wo = {c->overwrite, command_line, NULL};
    int rc = pl_synth_write(ctx, r, c->output, &wo, err);
    double t2 = pl_now_s();
    pl_synth_gtfs_stats gs;
    if (rc == PL_OK && c->gtfs)
        rc = pl_synth_write_gtfs(ctx, r, c->gtfs, c->gtfs_rural_spacing_m, &gs, err);
    double t3 = pl_now_s();
    if (rc == PL_OK) {
        print_region(out, ctx, r, &p);
        if (c->gtfs)
            fprintf(out, "%s: SYNTHETIC GTFS, %zu stops, %zu routes (%zu town, %zu regional bus, %zu train), %zu "
                    "trips.txt rows (%zu trips a weekday after frequencies.txt), %zu stop times, %.1f s\n",
                    c->gtfs, gs.n_stops, gs.n_routes, gs.n_town_lines, gs.n_regional_lines, gs.n_train_lines,
                    gs.n_trips, gs.n_trips_expanded, gs.n_stop_times, t3 - t2);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(out, "%s: generation %.1f s, writing %.1f s, peak memory %.0f MiB\n", c->output, t1 - t0, t2 - t1,
                ru.ru_maxrss / 1024.0);
    }
    pl_synth_region_free(r);
    return rc;
}

typedef struct synth_call {
    pl_ctx *ctx;
    const pl_synth_opts *o;
    const char *command_line;
    FILE *out;
    pl_error *err;
} synth_call;

static int synth_call_run(void *arg)
{
    synth_call *c = arg;
    return synth_run(c->ctx, c->o, c->command_line, c->out, c->err);
}

int pl_synth_run(pl_ctx *ctx, const pl_synth_opts *o, const char *command_line, FILE *out, pl_error *err)
{
    synth_call c = {ctx, o, command_line, out, err};
    return pl_oom_guard(synth_call_run, &c, pl_run_unwind, err);
}
