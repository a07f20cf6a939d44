/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa population: dasymetric distribution of area populations over buildings. */
#include <stdio.h>
#include <string.h>

#include "analyses/population/population.h"
#include "gis/options.h"
#include "commands.h"

static const char *const summary =
    "Distributes each area's population over the residential buildings inside it, in proportion\n"
    "to their floor area (floor_area_m2 from import-osm, else the footprint). A building belongs to\n"
    "the area containing its point on surface. An area with people but no residential building\n"
    "spreads them over all its buildings; with no building at all they stay at one point inside\n"
    "the area (counted warning). Every area's total is preserved.\n"
    "\n"
    "Output: layer population (points on the buildings, field pop: what the other commands read\n"
    "as population, plus area_id, method, building_id, weight), table areas (area_id, pop,\n"
    "pop_assigned, n_buildings, method), and with --polygons layer buildings (footprints with pop).\n"
    "Populations are fractional; their sum per area equals the area's count.";

int cmd_population(pl_ctx *ctx, int argc, char **argv)
{
    pl_population_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    pl_error err = {0};
    const char *usage = "platsa population --areas A --buildings B -o OUT.gpkg [--pop-field F]";
    int rc = pl_options_parse(pl_population_options, &o, argc, argv, pos, 0, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, usage, summary, pl_population_options);
        pl_options_free(pl_population_options, &o);
        return PL_OK;
    }
    if (rc == PL_OK)
        rc = pl_population_run(ctx, &o, cli_command_line(), &err);
    pl_options_free(pl_population_options, &o);
    if (rc != PL_OK)
        return cli_fail(argv[0], &err);
    return PL_OK;
}
