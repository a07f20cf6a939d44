/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa import-osm: the option table and the library call (layers/osm.h does the work). */
#include "analyses/import_osm/import_osm.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "analyses/common/run.h"
#include "layers/osm.h"
#include "layers/service_types.h"

const pl_option pl_import_osm_options[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(pl_import_osm_opts, output), "FILE.gpkg", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"crs", 0, PL_OPT_STRING, offsetof(pl_import_osm_opts, crs), "EPSG:n", "EPSG:3006",
     "output CRS (projected, metres)", 0, PL_NO_RANGE},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_import_osm_opts, overwrite), NULL, NULL, "replace an existing output", 0, PL_NO_RANGE},
    {"tree-row-spacing", 0, PL_OPT_DOUBLE, offsetof(pl_import_osm_opts, tree_row_spacing), "M", "10",
     "one tree every M metres along natural=tree_row", 0, PL_GT(0)},
    {"default-crown", 0, PL_OPT_DOUBLE, offsetof(pl_import_osm_opts, default_crown), "M", "3",
     "crown radius of a tree with neither diameter_crown nor height", 0, PL_GT_LE(0, 50)},
    {"default-levels", 0, PL_OPT_DOUBLE, offsetof(pl_import_osm_opts, default_levels), "N", "3",
     "storeys of an untagged building other than houses/sheds (floor area = footprint x levels)", 0, PL_GT(0)},
    {"admin-level", 0, PL_OPT_INT, offsetof(pl_import_osm_opts, admin_level), "N", "7",
     "boundary=administrative level written as municipalities (7 = Swedish kommun)", 0, PL_IN(1, 11)},
    {"service-types", 0, PL_OPT_STRING, offsetof(pl_import_osm_opts, service_types), "FILE", NULL,
     "a region's service types, read over share/service_types.ini: their osm selectors pick the services", 0, PL_NO_RANGE},
    PL_OPT_END,
};

const char pl_import_osm_summary[] =
    "Reads an OpenStreetMap extract (.osm.pbf or .osm): the roads with readosm, keeping OSM node\n"
    "ids, the rest with GDAL's OSM driver and platsa's share/osmconf.ini; writes the layers the\n"
    "other commands read:\n"
    "\n"
    "  roads           lines, one per piece of a way: a way is cut at every node that two or more\n"
    "                  road ways use (or one uses twice) and at its ends; source, target: the OSM\n"
    "                  node ids of the piece's first and last vertex (ways that only cross, as at\n"
    "                  a bridge, share no id); osm_id, name, highway (motorway, trunk, primary,\n"
    "                  secondary, tertiary, unclassified, residential, living_street, service,\n"
    "                  track, pedestrian, footway, cycleway, path, steps; 'ferry' for route=ferry),\n"
    "                  length_m, maxspeed_kmh (parsed:\n"
    "                  \"50\", \"30 mph\", SE:urban 50, SE:rural 70, SE:motorway 110, walk 7; NULL when\n"
    "                  unknown, with a counted warning when not understood), maxspeed_tag, oneway (1, -1,\n"
    "                  0; implied for motorways and roundabouts), car, bike, foot (0/1 from access,\n"
    "                  motor_vehicle, motorcar, vehicle, bicycle, foot, motorroad and the class),\n"
    "                  bridge, tunnel, layer, indoor\n"
    "  services        points: osm_id, osm_type, name, type, raw_tag (e.g. shop=supermarket). The type\n"
    "                  is the service type whose osm selectors in share/service_types.ini (and\n"
    "                  --service-types) match: grocery_full (shop=supermarket...), grocery_partial\n"
    "                  (shop=convenience...), fuel, pharmacy, parcel_post, parcel_locker, cash,\n"
    "                  ev_charging, biogas (fuel:biogas|cng=yes), hydrogen (fuel:h2...=yes); see\n"
    "                  'platsa info --types'. A feature can give several types (a fuel station\n"
    "                  selling biogas). Areas become a point inside; an area with a node of the same\n"
    "                  type inside is counted once (the node)\n"
    "  green_areas     polygons: kind (park, garden, playground, nature_reserve, recreation_ground,\n"
    "                  village_green, grass, forest, meadow, wood), name, area_ha, access\n"
    "                  (public/private/unknown), public (0 for access=private|no; kept, not dropped)\n"
    "  trees           points: natural=tree, and natural=tree_row sampled along the line; source,\n"
    "                  crown_radius_m (diameter_crown/2, else 0.3 x height within 1-10 m, else\n"
    "                  --default-crown), crown_from, height_m\n"
    "  canopy          polygons: natural=wood, landuse=forest and tree crowns (not unioned)\n"
    "  buildings       polygons: building, levels (building:levels, else height/3 m, else 1 for\n"
    "                  houses and sheds, else --default-levels), levels_from, residential (homes, or\n"
    "                  building=yes in landuse=residential), footprint_m2, floor_area_m2, height_m\n"
    "  municipalities  polygons (when present): code (ref:scb, else ref, else R + relation id), name,\n"
    "                  admin_level\n"
    "\n"
    "Clipped extracts are imported with counted warnings (relations with missing members, ways\n"
    "with missing nodes: cut there, polygons that cannot be repaired). Zero-length road pieces are\n"
    "skipped with a counted warning; an extract without roads is refused.";

const char pl_import_osm_usage[] = "platsa import-osm EXTRACT.osm.pbf -o LAYERS.gpkg [--crs EPSG:n] [--overwrite]";

int pl_import_osm_opts_init(pl_import_osm_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_import_osm_options, o, NULL);
}

void pl_import_osm_opts_free(pl_import_osm_opts *o)
{
    pl_options_free(pl_import_osm_options, o);
}

static int import_run(pl_ctx *ctx, const pl_import_osm_opts *c, const char *input, const char *command_line,
                      pl_error *err)
{
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", c->crs);
    pl_service_types *types = pl_service_types_load(ctx, c->service_types, err);
    if (!types)
        return err->code;
    pl_osm_import_opts o = {.input = input, .output = c->output, .overwrite = c->overwrite,
                            .command_line = command_line};
    pl_osm_read_opts_default(&o.read);
    o.read.tree_row_spacing_m = c->tree_row_spacing;
    o.read.default_crown_m = c->default_crown;
    o.read.default_levels = c->default_levels;
    o.read.admin_level = c->admin_level;
    o.read.service_types = types;
    int rc = pl_osm_import(ctx, &o, err);
    pl_service_types_free(types);
    return rc;
}

typedef struct import_call {
    pl_ctx *ctx;
    const pl_import_osm_opts *o;
    const char *input, *command_line;
    pl_error *err;
} import_call;

static int import_call_run(void *arg)
{
    import_call *c = arg;
    return import_run(c->ctx, c->o, c->input, c->command_line, c->err);
}

int pl_import_osm_run(pl_ctx *ctx, const pl_import_osm_opts *o, const char *input, const char *command_line,
                      pl_error *err)
{
    import_call c = {ctx, o, input, command_line, err};
    return pl_oom_guard(import_call_run, &c, pl_run_unwind, err);
}
