/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing the mapped OSM layers through the GeoPackage writer (fields, Swedish aliases,
 * default styles), and pl_osm_import = read + write. */
#include "osm.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gis/gpkg_writer.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum { WKB_POINT = 1, WKB_LINESTRING = 2, WKB_MULTIPOLYGON = 6 };

static const pl_field_def road_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "OpenStreetMap way id"},
    {"name", PL_FIELD_TEXT, "Namn", "street name (OSM name)"},
    {"highway", PL_FIELD_TEXT, "Vägklass", "road class: motorway, trunk, primary, secondary, tertiary, "
     "unclassified, residential, living_street, service, track, pedestrian, footway, cycleway, path, steps, ferry"},
    {"length_m", PL_FIELD_REAL, "Längd (m)", "geodesic length on the WGS84 ellipsoid, metres"},
    {"maxspeed_kmh", PL_FIELD_REAL, "Hastighetsgräns (km/h)",
     "parsed OSM maxspeed; NULL = unknown (the class default speed applies)"},
    {"maxspeed_tag", PL_FIELD_TEXT, "Hastighet enligt OSM", "the raw OSM maxspeed tag"},
    {"oneway", PL_FIELD_INT, "Enkelriktad", "1 along the line, -1 against it, 0 both ways"},
    {"car", PL_FIELD_INT, "Bil tillåten", "1 if cars may use it"},
    {"bike", PL_FIELD_INT, "Cykel tillåten", "1 if bicycles may use it"},
    {"foot", PL_FIELD_INT, "Gång tillåten", "1 if pedestrians may use it"},
    {"bridge", PL_FIELD_INT, "Bro", "1 on a bridge"},
    {"tunnel", PL_FIELD_INT, "Tunnel", "1 in a tunnel"},
    {"layer", PL_FIELD_INT, "Nivå", "OSM layer (-5..5), 0 at ground level"},
    {"indoor", PL_FIELD_INT, "Inomhus", "1 indoors (corridors, indoor=yes)"},
    {"source", PL_FIELD_INT64, "Från nod", "OSM node id of the first vertex (ways are split at every node they "
     "share with another road way, and at their ends)"},
    {"target", PL_FIELD_INT64, "Till nod", "OSM node id of the last vertex"},
};

static const pl_field_def service_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "OpenStreetMap id (with osm_type)"},
    {"osm_type", PL_FIELD_TEXT, "OSM-objekttyp", "node, way or relation"},
    {"name", PL_FIELD_TEXT, "Namn", "OSM name"},
    {"type", PL_FIELD_TEXT, "Servicetyp", "service type key (share/service_types.ini)"},
    {"raw_tag", PL_FIELD_TEXT, "OSM-tagg", "the OSM tag the type was mapped from"},
};

static const pl_field_def green_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "OpenStreetMap id (with osm_type)"},
    {"osm_type", PL_FIELD_TEXT, "OSM-objekttyp", "way or relation"},
    {"kind", PL_FIELD_TEXT, "Typ av grönområde", "park, garden, playground, nature_reserve, recreation_ground, "
     "village_green, grass, forest, meadow, wood"},
    {"name", PL_FIELD_TEXT, "Namn", "OSM name"},
    {"area_ha", PL_FIELD_REAL, "Area (ha)", "area in hectares"},
    {"access", PL_FIELD_TEXT, "Tillträde", "public, private (access=private|no) or unknown (no access tag)"},
    {"public", PL_FIELD_INT, "Allmänt tillgänglig", "0 for access=private|no, else 1"},
};

static const pl_field_def tree_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "node id, or way id of the tree row"},
    {"source", PL_FIELD_TEXT, "Källa", "node (natural=tree) or tree_row (sampled along natural=tree_row)"},
    {"crown_radius_m", PL_FIELD_REAL, "Kronradie (m)", "diameter_crown/2, else 0.3 x height (1..10 m), else default"},
    {"crown_from", PL_FIELD_TEXT, "Kronradie från", "diameter_crown, height or default"},
    {"height_m", PL_FIELD_REAL, "Höjd (m)", "OSM height, NULL if untagged"},
};

static const pl_field_def canopy_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "OpenStreetMap id (with osm_type)"},
    {"osm_type", PL_FIELD_TEXT, "OSM-objekttyp", "node, way or relation"},
    {"source", PL_FIELD_TEXT, "Källa", "wood (natural=wood), forest (landuse=forest), tree or tree_row (crown)"},
    {"area_m2", PL_FIELD_REAL, "Area (m²)", "area in square metres"},
};

static const pl_field_def building_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "OpenStreetMap id (with osm_type)"},
    {"osm_type", PL_FIELD_TEXT, "OSM-objekttyp", "way or relation"},
    {"building", PL_FIELD_TEXT, "Byggnadstyp", "OSM building value"},
    {"levels", PL_FIELD_REAL, "Våningar", "building:levels, else height/3 m, else 1 for houses and sheds, else default"},
    {"levels_from", PL_FIELD_TEXT, "Våningar från", "tag, height or default"},
    {"residential", PL_FIELD_INT, "Bostadshus", "1 for residential building types, or building=yes in landuse=residential"},
    {"footprint_m2", PL_FIELD_REAL, "Byggnadsarea (m²)", "footprint area"},
    {"floor_area_m2", PL_FIELD_REAL, "Våningsyta (m²)", "footprint x levels"},
    {"height_m", PL_FIELD_REAL, "Höjd (m)", "OSM height, NULL if untagged"},
};

static const pl_field_def muni_fields[] = {
    {"osm_id", PL_FIELD_INT64, "OSM-id", "relation id"},
    {"code", PL_FIELD_TEXT, "Kommunkod", "ref:scb, else ref (e.g. 0180), else R + the OSM relation id"},
    {"name", PL_FIELD_TEXT, "Kommun", "OSM name"},
    {"admin_level", PL_FIELD_INT, "Administrativ nivå", "OSM admin_level (7 = Swedish kommun)"},
};

static void set_text_or_null(pl_gpkg_layer *l, int field, const char *v)
{
    if (v && *v)
        pl_gpkg_set_text(l, field, v);
}

/* A one-symbol style named for the Layers panel's style list. */
static const pl_style *single_named(pl_style *st, const char *name)
{
    st->name = name;
    return st;
}

static int progress(pl_ctx *ctx, size_t done, size_t total)
{
    return pl_progress(ctx, total ? (double)done / (double)total : 1.0, "writing layers");
}

/* Long: one block per output layer (roads, services, green areas, trees, canopy, buildings,
 * municipalities), each a layer_add and a row loop, in file order. */
int pl_osm_write(pl_ctx *ctx, const pl_osm_data *d, const pl_osm_import_opts *o, pl_error *err)
{
    const char *inputs[] = {o->input, NULL};
    pl_gpkg_opts go = {.overwrite = o->overwrite, .command_line = o->command_line, .inputs = inputs};
    pl_gpkg *g = pl_gpkg_create(ctx, o->output, &go, err);
    if (!g)
        return err ? (int)err->code : PL_EINPUT;

    char buf[64];
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    pl_gpkg_add_parameter(g, "osmconf", "share/osmconf.ini");
    snprintf(buf, sizeof buf, "%g", o->read.tree_row_spacing_m);
    pl_gpkg_add_parameter(g, "tree_row_spacing_m", buf);
    snprintf(buf, sizeof buf, "%g", o->read.default_crown_m);
    pl_gpkg_add_parameter(g, "default_crown_m", buf);
    snprintf(buf, sizeof buf, "%g", o->read.default_levels);
    pl_gpkg_add_parameter(g, "default_levels", buf);
    snprintf(buf, sizeof buf, "%d", o->read.admin_level);
    pl_gpkg_add_parameter(g, "admin_level", buf);
    pl_gpkg_add_parameter(g, "service_types", o->read.service_types ? "share/service_types.ini (osm selectors)"
                                                                     : "built-in mapping (layers/osm.h)");
    snprintf(buf, sizeof buf, "%ld", d->services_merged);
    pl_gpkg_add_parameter(g, "services_merged", buf);

    size_t total = d->n_roads + d->n_services + d->n_green + d->n_trees + d->n_canopy + d->n_buildings +
                   d->n_municipalities, done = 0;
    pl_style single = {.kind = PL_STYLE_SINGLE};
    static const pl_style_class public_classes[] = {
        {.value = 1, .label = "allmänt tillgänglig", .color = {26, 150, 65}},
        {.value = 0, .label = "ej allmänt tillgänglig", .color = {215, 25, 28}},
    };
    pl_style public_style = {.kind = PL_STYLE_CATEGORIZED, .field = "public", .classes = public_classes,
                             .n_classes = 2, .null_label = "uppgift saknas", .name = "Allmänt tillgänglig"};
    pl_gpkg_layer *l;

#define FAIL() do { pl_gpkg_abort(g); return err ? (int)err->code : PL_EINTERNAL; } while (0)
#define END_ROW() do { if (pl_gpkg_row_end(l, err) != PL_OK) FAIL(); \
                       if (++done % 5000 == 0 && progress(ctx, done, total)) { \
                           pl_error_set(err, PL_EINPUT, "cancelled"); FAIL(); } } while (0)

    if (!(l = pl_gpkg_layer_add(g, "roads", WKB_LINESTRING, "Vägar och färjor (OSM)", road_fields, N(road_fields),
                                single_named(&single, "Vägar och färjor"), err)))
        FAIL();
    for (size_t i = 0; i < d->n_roads; i++) {
        const pl_osm_road *r = &d->roads[i];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, r->osm_id);
        set_text_or_null(l, 1, r->name);
        pl_gpkg_set_text(l, 2, r->highway);
        pl_gpkg_set_real(l, 3, r->length_m);
        pl_gpkg_set_real(l, 4, r->maxspeed_kmh);
        set_text_or_null(l, 5, r->maxspeed_tag);
        pl_gpkg_set_int(l, 6, r->oneway);
        pl_gpkg_set_int(l, 7, r->car);
        pl_gpkg_set_int(l, 8, r->bike);
        pl_gpkg_set_int(l, 9, r->foot);
        pl_gpkg_set_int(l, 10, r->bridge);
        pl_gpkg_set_int(l, 11, r->tunnel);
        pl_gpkg_set_int(l, 12, r->layer);
        pl_gpkg_set_int(l, 13, r->indoor);
        pl_gpkg_set_int(l, 14, r->source);
        pl_gpkg_set_int(l, 15, r->target);
        GEOSGeometry *line = pl_osm_road_geom(ctx, d, i);
        if (!line) {
            pl_error_set(err, PL_EINTERNAL, "roads: way %" PRId64 ": cannot make its line", r->osm_id);
            FAIL();
        }
        pl_gpkg_set_geos(l, line);
        GEOSGeom_destroy_r(ctx->geos, line);
        END_ROW();
    }

    if (!(l = pl_gpkg_layer_add(g, "services", WKB_POINT, "Service (OSM)", service_fields, N(service_fields),
                                single_named(&single, "Service"), err)))
        FAIL();
    for (size_t i = 0; i < d->n_services; i++) {
        const pl_osm_service *s = &d->services[i];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, s->osm_id);
        pl_gpkg_set_text(l, 1, pl_osm_type_name(s->osm_type));
        set_text_or_null(l, 2, s->name);
        pl_gpkg_set_text(l, 3, s->type);
        pl_gpkg_set_text(l, 4, s->raw_tag);
        pl_gpkg_set_xy(l, s->x, s->y);
        END_ROW();
    }

    if (!(l = pl_gpkg_layer_add(g, "green_areas", WKB_MULTIPOLYGON, "Grönområden (OSM)", green_fields,
                                N(green_fields), &public_style, err)))
        FAIL();
    for (size_t i = 0; i < d->n_green; i++) {
        const pl_osm_green *a = &d->green[i];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, a->osm_id);
        pl_gpkg_set_text(l, 1, pl_osm_type_name(a->osm_type));
        pl_gpkg_set_text(l, 2, a->kind);
        set_text_or_null(l, 3, a->name);
        pl_gpkg_set_real(l, 4, a->area_ha);
        pl_gpkg_set_text(l, 5, a->access);
        pl_gpkg_set_int(l, 6, a->is_public);
        pl_gpkg_set_geos(l, a->geom);
        END_ROW();
    }

    if (!(l = pl_gpkg_layer_add(g, "trees", WKB_POINT, "Träd (OSM)", tree_fields, N(tree_fields),
                                single_named(&single, "Träd"), err)))
        FAIL();
    for (size_t i = 0; i < d->n_trees; i++) {
        const pl_osm_tree *t = &d->trees[i];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, t->osm_id);
        pl_gpkg_set_text(l, 1, t->from_row ? "tree_row" : "node");
        pl_gpkg_set_real(l, 2, t->crown_radius_m);
        pl_gpkg_set_text(l, 3, t->crown_from);
        pl_gpkg_set_real(l, 4, t->height_m);
        pl_gpkg_set_xy(l, t->x, t->y);
        END_ROW();
    }

    if (!(l = pl_gpkg_layer_add(g, "canopy", WKB_MULTIPOLYGON, "Krontäckning (OSM: skog och trädkronor)",
                                canopy_fields, N(canopy_fields), single_named(&single, "Krontäckning"), err)))
        FAIL();
    for (size_t i = 0; i < d->n_canopy; i++) {
        const pl_osm_canopy *c = &d->canopy[i];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, c->osm_id);
        pl_gpkg_set_text(l, 1, pl_osm_type_name(c->osm_type));
        pl_gpkg_set_text(l, 2, c->source);
        pl_gpkg_set_real(l, 3, c->area_m2);
        pl_gpkg_set_geos(l, c->geom);
        END_ROW();
    }

    if (!(l = pl_gpkg_layer_add(g, "buildings", WKB_MULTIPOLYGON, "Byggnader (OSM)", building_fields,
                                N(building_fields), single_named(&single, "Byggnader"), err)))
        FAIL();
    for (size_t i = 0; i < d->n_buildings; i++) {
        const pl_osm_building *b = &d->buildings[i];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, b->osm_id);
        pl_gpkg_set_text(l, 1, pl_osm_type_name(b->osm_type));
        pl_gpkg_set_text(l, 2, b->building);
        pl_gpkg_set_real(l, 3, b->levels);
        pl_gpkg_set_text(l, 4, b->levels_from);
        pl_gpkg_set_int(l, 5, b->residential);
        pl_gpkg_set_real(l, 6, b->footprint_m2);
        pl_gpkg_set_real(l, 7, b->floor_area_m2);
        pl_gpkg_set_real(l, 8, b->height_m);
        pl_gpkg_set_geos(l, b->geom);
        END_ROW();
    }

    if (d->n_municipalities) {
        if (!(l = pl_gpkg_layer_add(g, "municipalities", WKB_MULTIPOLYGON, "Kommuner (OSM)", muni_fields,
                                    N(muni_fields), single_named(&single, "Kommuner"), err)))
            FAIL();
        for (size_t i = 0; i < d->n_municipalities; i++) {
            const pl_osm_municipality *m = &d->municipalities[i];
            pl_gpkg_row_begin(l);
            pl_gpkg_set_int(l, 0, m->osm_id);
            set_text_or_null(l, 1, m->code);
            set_text_or_null(l, 2, m->name);
            pl_gpkg_set_int(l, 3, m->admin_level);
            pl_gpkg_set_geos(l, m->geom);
            END_ROW();
        }
    }
#undef END_ROW
#undef FAIL
    progress(ctx, total, total);
    return pl_gpkg_commit(g, err);
}

int pl_osm_import(pl_ctx *ctx, const pl_osm_import_opts *o, pl_error *err)
{
    const char *inputs[] = {o->input, NULL};
    pl_gpkg_opts check = {.overwrite = o->overwrite, .inputs = inputs};
    if (pl_gpkg_check_output(o->output, &check, NULL, err) != PL_OK)  /* before reading the extract */
        return err->code;
    pl_osm_data *d = pl_osm_read(ctx, o->input, &o->read, err);
    if (!d)
        return err ? (int)err->code : PL_EINPUT;
    pl_info(ctx, "%s: %zu roads, %zu services, %zu green areas, %zu trees, %zu canopy polygons, %zu buildings, "
            "%zu municipalities", d->source, d->n_roads, d->n_services, d->n_green, d->n_trees, d->n_canopy,
            d->n_buildings, d->n_municipalities);
    /* An empty extract, or one whose features all fell outside the working CRS, used to be
     * written as a GeoPackage of empty layers with exit 0. */
    size_t total = d->n_roads + d->n_services + d->n_green + d->n_trees + d->n_canopy + d->n_buildings +
                   d->n_municipalities;
    if (total == 0) {
        int rc = pl_error_set(err, PL_EINPUT, "%s: nothing in the extract: no roads, services, green areas, trees, "
                              "buildings or municipalities (an empty extract, or one outside the area of --crs %s?); "
                              "check it with platsa info", d->source, ctx->work_crs);
        pl_osm_data_free(ctx, d);
        return rc;
    }
    if (d->n_roads == 0)
        pl_warn(ctx, "osm-no-roads", "%s: no roads in the extract; the roads layer is empty (access, classify and "
                "scenario need roads)", d->source);
    int rc = pl_osm_write(ctx, d, o, err);
    pl_osm_data_free(ctx, d);
    return rc;
}
