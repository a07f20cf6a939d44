/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: writes the region as one GeoPackage through gis/gpkg_writer.h.
 * Every layer's title starts with REAL or SYNTHETIC, and the run parameters say which
 * inputs are real and which parts are generated. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/gpkg_writer.h"
#include "synth.h"
#include "synth_styles.h"

/* A one-symbol style named for the Layers panel's style list. */
static const pl_style *single_named(pl_style *st, const char *name)
{
    st->name = name;
    return st;
}


/* The OSM highway value of a class (pl_road_class_name), except that the synthetic roads of
 * no class are written "road", as OSM's highway=road. */
static const char *highway_of(pl_road_class c)
{
    return c == PL_ROAD_OTHER ? "road" : pl_road_class_name(c);
}

static GEOSGeometry *square(GEOSContextHandle_t h, double x0, double y0, double size)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
    const double xs[5] = {x0, x0 + size, x0 + size, x0, x0};
    const double ys[5] = {y0, y0, y0 + size, y0 + size, y0};
    for (unsigned i = 0; i < 5; i++)
        GEOSCoordSeq_setXY_r(h, cs, i, xs[i], ys[i]);
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, cs);
    return GEOSGeom_createPolygon_r(h, ring, NULL, 0);
}

/* Polygon -> MultiPolygon (the layer type), as a new geometry. */
static GEOSGeometry *as_multi(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    if (GEOSGeomTypeId_r(h, g) == GEOS_MULTIPOLYGON)
        return GEOSGeom_clone_r(h, g);
    GEOSGeometry *part = GEOSGeom_clone_r(h, g);
    return GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, &part, 1);
}

static int fail_layer(pl_gpkg *g, pl_error *err)
{
    pl_gpkg_abort(g);
    return err->code ? err->code : PL_EINTERNAL;
}

/* Long: one section per output layer (parameters, population, municipalities, localities, roads,
 * services), each a field table and a row loop, in file order. */
int pl_synth_write(pl_ctx *ctx, const pl_synth_region *r, const char *path, const pl_synth_write_opts *o,
                   pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    const char *dir = r->data_dir;
    char in_paths[4][4200];
    snprintf(in_paths[0], sizeof in_paths[0], "%s/scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv", dir);
    snprintf(in_paths[1], sizeof in_paths[1], "%s/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg", dir);
    snprintf(in_paths[2], sizeof in_paths[2], "%s/scb-tatorter-2020/scb_tatorter_2020_points.gpkg", dir);
    snprintf(in_paths[3], sizeof in_paths[3],
             "%s/osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg", dir);
    const char *inputs[5] = {in_paths[0], in_paths[1], in_paths[2], in_paths[3], NULL};
    pl_gpkg_opts go;
    memset(&go, 0, sizeof go);
    go.overwrite = o ? o->overwrite : 0;
    go.command_line = o ? o->command_line : NULL;
    go.inputs = inputs;
    go.timestamp = o && o->timestamp ? o->timestamp : PL_SYNTH_TIMESTAMP;
    pl_gpkg *g = pl_gpkg_create(ctx, path, &go, err);
    if (!g)
        return err->code ? err->code : PL_EINTERNAL;

    char seedtxt[32], title[256], buf[4096];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)r->opts.seed);

    /* ---- run parameters: what is real, what is synthetic ---- */
    pl_gpkg_add_parameter(g, "synth.size", pl_synth_size_name(r->opts.size));
    pl_gpkg_add_parameter(g, "synth.seed", seedtxt);
    snprintf(buf, sizeof buf, "%s (%s)", r->region_name, r->region_code);
    pl_gpkg_add_parameter(g, "synth.region", buf);
    pl_gpkg_add_parameter(g, "synth.cells", r->cell_m == 250 ? "250m" : "1km");
    pl_gpkg_add_parameter(g, "synth.real",
                          "population: SCB population per 1 km square 2024 (CC0; rut_id, pop, kn_kod, ln_kod); "
                          "municipalities, lan: SCB digitala granser, generalised (CC0); localities: SCB tatorter "
                          "2020 points with population (CC0); services of type pharmacy: OpenStreetMap via the HOT "
                          "export of September 2020 (ODbL, (c) OpenStreetMap contributors)");
    pl_gpkg_add_parameter(g, "synth.synthetic",
                          r->cell_m == 250
                              ? "roads: all (generated); services: every type except pharmacy (generated); "
                                "population: the split of each real 1 km square into 250 m cells (generated, sums exact)"
                              : "roads: all (generated); services: every type except pharmacy (generated)");
    pl_gpkg_add_parameter(g, "synth.rules",
                          "see analyses/synth_roads.c and analyses/synth_services.c: town network = relative "
                          "neighbourhood graph + MST of tatort points, classes from corridors between big towns; "
                          "street grids in town squares; rural local roads and a spanning forest to the network; "
                          "bridges <= 2.5 km (7 km for >= 10,000 residents), ferries for islands >= 50 residents");
    snprintf(buf, sizeof buf,
             "grocery 1 per %.0f, fuel 1 per %.0f, parcel_post 1 per %.0f, parcel_locker 1 per %.0f, cash 1 per %.0f "
             "residents; pharmacies real",
             PL_SYNTH_PEOPLE_PER_GROCERY, PL_SYNTH_PEOPLE_PER_FUEL, PL_SYNTH_PEOPLE_PER_PARCEL_POST,
             PL_SYNTH_PEOPLE_PER_PARCEL_LOCKER, PL_SYNTH_PEOPLE_PER_CASH);
    pl_gpkg_add_parameter(g, "synth.service_ratios", buf);
    snprintf(buf, sizeof buf, "%zu nodes, %zu edges, %zu vertices, mean degree %.2f, %zu components, %zu bridges, "
             "%zu ferries, %zu one-way ramps",
             r->stats.n_nodes, r->stats.n_edges, r->stats.n_vertices, r->stats.mean_degree, r->stats.n_components,
             r->stats.n_bridges, r->stats.n_ferries, r->stats.n_oneway);
    pl_gpkg_add_parameter(g, "synth.roads", buf);
    {
        size_t used = 0, unlinked = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < r->n_islands; i++) {
            if (r->islands[i].link != PL_SYNTH_LINK_NONE)
                continue;
            unlinked++;
            if (used < sizeof buf - 200) {
                int n = snprintf(buf + used, sizeof buf - used, "%s%s (%lld residents)", used ? "; " : "",
                                 r->islands[i].name, (long long)r->islands[i].pop);
                if (n > 0)
                    used += (size_t)n;
            }
        }
        char key[96];
        snprintf(key, sizeof key, "synth.islands_without_link");
        char all[4200];
        snprintf(all, sizeof all, "%zu: %s", unlinked, unlinked ? buf : "none");
        pl_gpkg_add_parameter(g, key, all);
    }

    /* ---- population ---- */
    static const pl_field_def pop_fields[] = {
        {"rut_id", PL_FIELD_TEXT, "Rut-id", "SCB-style square id: 6 digits easting + 7 digits northing of the SW corner"},
        {"pop", PL_FIELD_INT, "Befolkning", "residents (SCB 2024; for 250 m cells a synthetic split of the 1 km value)"},
        {"kn_kod", PL_FIELD_TEXT, "Kommunkod", "kommun code carried from the SCB grid file"},
        {"ln_kod", PL_FIELD_TEXT, "Länskod", "län code (first two digits of kn_kod)"},
        {"parent_rut_id", PL_FIELD_TEXT, "1 km-ruta", "the real 1 km square the cell lies in"},
        {"cell_m", PL_FIELD_INT, "Rutstorlek (m)", "cell side in metres"},
    };
    pl_legend lg;
    const pl_style *pop_style = pl_synth_style_population(&lg);
    if (r->cell_m == 250)
        snprintf(title, sizeof title, "SYNTHETIC 250 m split of REAL SCB 1 km population 2024 (platsa synth, seed %s)",
                 seedtxt);
    else
        snprintf(title, sizeof title, "REAL population: SCB 1 km squares 2024 (platsa synth, seed %s)", seedtxt);
    pl_gpkg_layer *L = pl_gpkg_layer_add(g, "population", 3, title, pop_fields, 6, pop_style, err);
    if (!L)
        return fail_layer(g, err);
    for (size_t i = 0; i < r->n_cells; i++) {
        char id[16], parent[16];
        int32_t q = r->cell_square[i];
        pl_synth_cell_id(r->cell_x[i], r->cell_y[i], id);
        pl_synth_cell_id(r->sq_x[q], r->sq_y[q], parent);
        pl_gpkg_row_begin(L);
        pl_gpkg_set_text(L, 0, id);
        pl_gpkg_set_int(L, 1, r->cell_pop[i]);
        pl_gpkg_set_text(L, 2, r->muni_code[r->cell_muni[i]]);
        pl_gpkg_set_text(L, 3, r->muni_lan[r->cell_muni[i]]);
        pl_gpkg_set_text(L, 4, parent);
        pl_gpkg_set_int(L, 5, r->cell_m);
        GEOSGeometry *sq = square(h, r->cell_x[i], r->cell_y[i], r->cell_m);
        pl_gpkg_set_geos(L, sq);
        GEOSGeom_destroy_r(h, sq);
        if (pl_gpkg_row_end(L, err) != PL_OK)
            return fail_layer(g, err);
        if ((i & 0xffff) == 0)
            pl_progress(ctx, (double)i / (double)(r->n_cells + 1), "synth: writing population");
    }

    /* ---- municipalities, lan ---- */
    static const pl_field_def muni_fields[] = {
        {"kn_kod", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"kn_namn", PL_FIELD_TEXT, "Kommun", NULL},
        {"ln_kod", PL_FIELD_TEXT, "Länskod", NULL},
    };
    pl_style single = {.kind = PL_STYLE_SINGLE};
    snprintf(title, sizeof title, "REAL municipalities: SCB kommuner, generalised (platsa synth, seed %s)", seedtxt);
    L = pl_gpkg_layer_add(g, "municipalities", 6, title, muni_fields, 3, single_named(&single, "Kommuner"), err);
    if (!L)
        return fail_layer(g, err);
    for (size_t i = 0; i < r->n_munis; i++) {
        pl_gpkg_row_begin(L);
        pl_gpkg_set_text(L, 0, r->muni_code[i]);
        pl_gpkg_set_text(L, 1, r->muni_name[i]);
        pl_gpkg_set_text(L, 2, r->muni_lan[i]);
        GEOSGeometry *m = as_multi(h, r->muni_geom[i]);
        pl_gpkg_set_geos(L, m);
        GEOSGeom_destroy_r(h, m);
        if (pl_gpkg_row_end(L, err) != PL_OK)
            return fail_layer(g, err);
    }
    static const pl_field_def lan_fields[] = {
        {"ln_kod", PL_FIELD_TEXT, "Länskod", NULL},
        {"ln_namn", PL_FIELD_TEXT, "Län", NULL},
    };
    snprintf(title, sizeof title, "REAL lan: SCB län, generalised (platsa synth, seed %s)", seedtxt);
    L = pl_gpkg_layer_add(g, "lan", 6, title, lan_fields, 2, single_named(&single, "Län"), err);
    if (!L)
        return fail_layer(g, err);
    for (size_t i = 0; i < r->n_lans; i++) {
        pl_gpkg_row_begin(L);
        pl_gpkg_set_text(L, 0, r->lan_code[i]);
        pl_gpkg_set_text(L, 1, r->lan_name[i]);
        GEOSGeometry *m = as_multi(h, r->lan_geom[i]);
        pl_gpkg_set_geos(L, m);
        GEOSGeom_destroy_r(h, m);
        if (pl_gpkg_row_end(L, err) != PL_OK)
            return fail_layer(g, err);
    }

    /* ---- localities ---- */
    static const pl_field_def loc_fields[] = {
        {"code", PL_FIELD_TEXT, "Tätortskod", NULL},
        {"name", PL_FIELD_TEXT, "Tätort", NULL},
        {"kn_kod", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"ln_kod", PL_FIELD_TEXT, "Länskod", NULL},
        {"pop", PL_FIELD_INT, "Befolkning 2020", "residents (SCB tätorter 2020)"},
        {"area_ha", PL_FIELD_INT, "Area (ha)", NULL},
        {"road_node", PL_FIELD_INT64, "Vägnod", "node of the synthetic road network serving the town (-1 none)"},
    };
    snprintf(title, sizeof title, "REAL localities: SCB tätorter 2020 (platsa synth, seed %s)", seedtxt);
    L = pl_gpkg_layer_add(g, "localities", 1, title, loc_fields, 7, single_named(&single, "Tätorter"), err);
    if (!L)
        return fail_layer(g, err);
    for (size_t i = 0; i < r->n_localities; i++) {
        pl_gpkg_row_begin(L);
        pl_gpkg_set_text(L, 0, r->loc_code[i]);
        pl_gpkg_set_text(L, 1, r->loc_name[i]);
        pl_gpkg_set_text(L, 2, r->muni_code[r->loc_muni[i]]);
        pl_gpkg_set_text(L, 3, r->muni_lan[r->loc_muni[i]]);
        pl_gpkg_set_int(L, 4, r->loc_pop[i]);
        pl_gpkg_set_int(L, 5, r->loc_area_ha[i]);
        pl_gpkg_set_int(L, 6, r->loc_node[i]);
        pl_gpkg_set_xy(L, r->loc_x[i], r->loc_y[i]);
        if (pl_gpkg_row_end(L, err) != PL_OK)
            return fail_layer(g, err);
    }

    /* ---- roads ---- */
    /* the same columns as import-osm's roads layer where they overlap (car/bike/foot 1 or 0) */
    static const pl_field_def road_fields[] = {
        {"id", PL_FIELD_INT64, "Id", NULL},
        {"highway", PL_FIELD_TEXT, "Vägklass", "OSM highway value (motorway_link/trunk_link for ramps); ferry for ferry lines"},
        {"maxspeed_kmh", PL_FIELD_INT, "Hastighetsgräns (km/h)", "car speed limit (ferries: crossing speed)"},
        {"oneway", PL_FIELD_INT, "Enkelriktad", "1 along the line, 0 both ways"},
        {"car", PL_FIELD_INT, "Bil tillåten", "1 if cars may use it"},
        {"bike", PL_FIELD_INT, "Cykel tillåten", "1 if bicycles may use it"},
        {"foot", PL_FIELD_INT, "Gång tillåten", "1 if pedestrians may use it"},
        {"bridge", PL_FIELD_INT, "Bro", "1 on a bridge"},
        {"tunnel", PL_FIELD_INT, "Tunnel", "1 in a tunnel"},
        {"layer", PL_FIELD_INT, "Nivå", "0 at ground level, 1 on a bridge"},
        {"length_m", PL_FIELD_REAL, "Längd (m)", "length in metres (EPSG:3006)"},
        {"node_from", PL_FIELD_INT64, "Från nod", "junction node id of the first vertex"},
        {"node_to", PL_FIELD_INT64, "Till nod", "junction node id of the last vertex"},
    };
    snprintf(title, sizeof title, "SYNTHETIC roads (platsa synth, seed %s)", seedtxt);
    L = pl_gpkg_layer_add(g, "roads", 2, title, road_fields, 13, single_named(&single, "Vägar"), err);
    if (!L)
        return fail_layer(g, err);
    const pl_roads *R = &r->roads;
    for (size_t i = 0; i < R->n; i++) {
        size_t f = R->first_vertex[i], n = R->first_vertex[i + 1] - f;
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
        for (size_t k = 0; k < n; k++)
            GEOSCoordSeq_setXY_r(h, cs, (unsigned)k, R->vx[f + k], R->vy[f + k]);
        GEOSGeometry *line = GEOSGeom_createLineString_r(h, cs);
        char hw[32];
        snprintf(hw, sizeof hw, "%s%s", highway_of((pl_road_class)R->road_class[i]), r->road_is_link && r->road_is_link[i] ? "_link" : "");
        double len = 0;
        for (size_t k = 1; k < n; k++)
            len += hypot(R->vx[f + k] - R->vx[f + k - 1], R->vy[f + k] - R->vy[f + k - 1]);
        pl_gpkg_row_begin(L);
        pl_gpkg_set_int(L, 0, R->id[i]);
        pl_gpkg_set_text(L, 1, hw);
        pl_gpkg_set_int(L, 2, (int64_t)lrintf(R->speed_kmh[i]));
        pl_gpkg_set_int(L, 3, R->oneway[i]);
        pl_gpkg_set_int(L, 4, !(R->flags[i] & PL_ROAD_NO_CAR));
        pl_gpkg_set_int(L, 5, !(R->flags[i] & PL_ROAD_NO_BIKE));
        pl_gpkg_set_int(L, 6, !(R->flags[i] & PL_ROAD_NO_FOOT));
        pl_gpkg_set_int(L, 7, (R->flags[i] & PL_ROAD_BRIDGE) != 0);
        pl_gpkg_set_int(L, 8, (R->flags[i] & PL_ROAD_TUNNEL) != 0);
        pl_gpkg_set_int(L, 9, R->layer[i]);
        pl_gpkg_set_real(L, 10, round(len * 100.0) / 100.0);
        pl_gpkg_set_int(L, 11, r->road_node_a[i]);
        pl_gpkg_set_int(L, 12, r->road_node_b[i]);
        pl_gpkg_set_geos(L, line);
        GEOSGeom_destroy_r(h, line);
        if (pl_gpkg_row_end(L, err) != PL_OK)
            return fail_layer(g, err);
        if ((i & 0xffff) == 0)
            pl_progress(ctx, (double)i / (double)(R->n + 1), "synth: writing roads");
    }

    /* ---- services ---- */
    static const pl_field_def svc_fields[] = {
        {"id", PL_FIELD_TEXT, "Id", NULL},
        {"name", PL_FIELD_TEXT, "Namn", NULL},
        {"type", PL_FIELD_TEXT, "Typ", "service type key (share/service_types.ini)"},
        {"synthetic", PL_FIELD_INT, "Syntetisk", "1 generated by platsa synth, 0 real (OSM)"},
        {"source", PL_FIELD_TEXT, "Källa", NULL},
        {"kn_kod", PL_FIELD_TEXT, "Kommunkod", NULL},
    };
    snprintf(title, sizeof title,
             "SYNTHETIC services except REAL OSM pharmacies (platsa synth, seed %s)", seedtxt);
    L = pl_gpkg_layer_add(g, "services", 1, title, svc_fields, 6, single_named(&single, "Service"), err);
    if (!L)
        return fail_layer(g, err);
    char synth_src[96];
    snprintf(synth_src, sizeof synth_src, "SYNTHETIC (platsa synth, seed %s)", seedtxt);
    for (size_t i = 0; i < r->n_services; i++) {
        pl_gpkg_row_begin(L);
        pl_gpkg_set_text(L, 0, r->svc_id[i]);
        pl_gpkg_set_text(L, 1, r->svc_name[i]);
        pl_gpkg_set_text(L, 2, pl_synth_type_key(r->svc_type[i]));
        pl_gpkg_set_int(L, 3, r->svc_synthetic[i]);
        pl_gpkg_set_text(L, 4, r->svc_synthetic[i] ? synth_src : "REAL: OpenStreetMap, HOT export 2020 (ODbL)");
        pl_gpkg_set_text(L, 5, r->muni_code[r->svc_muni[i]]);
        pl_gpkg_set_xy(L, r->svc_x[i], r->svc_y[i]);
        if (pl_gpkg_row_end(L, err) != PL_OK)
            return fail_layer(g, err);
    }
    pl_progress(ctx, 1.0, "synth: writing");
    return pl_gpkg_commit(g, err);
}
