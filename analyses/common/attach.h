/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How places are attached to the roads, shared by every command that attaches population
 * units and services: the options (declared once, put into each command's table) and the
 * output layers listing what did not attach properly.
 *
 * Rules (README "Attachment"): a place attaches by a straight leg to the nearest road it
 * may attach to for the mode (pl_road_attachable: by car, never a motorway, its ramps or a
 * motortrafikled). A population unit farther than --max-snap is still attached across the
 * long leg and counted in every summary (its distance includes the leg; a unit with no road
 * at all counts as unreachable), flagged far_from_road and listed in unattached_units. A
 * service farther than --max-service-snap is left out of the search (nobody's nearest),
 * counted in a warning (snap-left-out) and listed in unattached_services. */
#ifndef PLATSA_ANALYSES_ATTACH_H
#define PLATSA_ANALYSES_ATTACH_H

#include <stdint.h>
#include "gis/gpkg_writer.h"
#include "gis/graph.h"
#include "gis/options.h"
#include "layers/layers.h"

/* The default of --max-service-snap, metres. */
#define PL_MAX_SERVICE_SNAP_DEFAULT 2000.0

/* The population-unit options: OFF(field) gives the offset of the command's field
 * (max_snap_m, id_field). */
#define PL_ID_FIELD_OPTION(OFF)                                                                                \
    {"id-field", 0, PL_OPT_STRING, OFF(id_field), "FIELD", NULL,                                               \
     "the population units' own id, kept as cell_id in every output row; duplicates are refused [auto: "       \
     "rut_id, ruta, deso, desokod, regso, regsokod, nyckelkod, id, kod, ...; else the feature id]", 0, PL_NO_RANGE}
#define PL_UNIT_ATTACH_OPTIONS(OFF)                                                                            \
    {"max-snap", 0, PL_OPT_DOUBLE, OFF(max_snap_m), "M", "1000",                                               \
     "population units farther than this from every road they may attach to are still attached and counted, " \
     "flagged far_from_road and listed in the unattached_units layer", 0, PL_GT(0)},                                     \
    PL_ID_FIELD_OPTION(OFF)

/* The service option: OFF(max_service_snap_m). */
#define PL_SERVICE_ATTACH_OPTIONS(OFF)                                                                         \
    {"max-service-snap", 0, PL_OPT_DOUBLE, OFF(max_service_snap_m), "M", "2000",                               \
     "services farther than this from every road they may attach to are left out of the search, counted in a " \
     "warning and listed in the unattached_services layer (2000 m: twice --max-snap's 1000, as a service's "   \
     "point, often a geocoded address, is less exact than a unit's; beyond it the service lies off the given " \
     "roads, e.g. outside the county they cover)", 0, PL_GT(0)}

/* PL_EINPUT with a one-line message unless max_snap_m and max_service_snap_m are > 0
 * (max_service_snap_m < 0 is not checked when check_service is 0). */
int pl_attach_check(double max_snap_m, double max_service_snap_m, int check_service, pl_error *err);

/* Snap options for services: left out beyond max_service_snap_m, named in the warning. */
void pl_attach_service_opts(pl_snap_opts *so, double max_service_snap_m);

/* Services attached with other places (one snap call) are left out afterwards: each of
 * the n farther than max_m (<= 0: the default) becomes PL_SNAP_NONE with its distance kept,
 * as pl_attach_service_opts would have made it; the same counted warning. Returns how many. */
size_t pl_attach_leave_out(pl_ctx *ctx, pl_snap *snap, size_t n, double max_m, pl_mode mode);

/* The unattached_services layer: every service left out (status PL_SNAP_NONE): id, name,
 * type, raw_type, road_m (distance to the nearest road it may attach to; NULL = none open to
 * the mode), point geometry. Only written when there is one (an empty
 * layer would be an empty map in platsa report). st may be NULL (type left NULL). */
int pl_write_unattached_services(pl_gpkg *g, const pl_services *svc, const pl_service_types *st,
                                 const pl_snap *snap, pl_error *err);

/* The unattached_units layer: every unit (in_region[c] != 0, or all when in_region is NULL)
 * not attached within --max-snap: cell_id, pop, road_m (NULL = no road open to the mode),
 * attached (1 = attached across the long leg and counted with it; 0 = no road at all,
 * counted as unreachable), the unit's representative point. Only written when there is one. */
int pl_write_unattached_units(pl_gpkg *g, const pl_population *pop, const pl_snap *snap, const uint8_t *in_region,
                              pl_error *err);

/* The same two layers under another name and title (a multi-mode run's unattached_units_bike, ...). */
#define PL_UNATTACHED_UNITS_TITLE "Befolkningsenheter längre än --max-snap från väg (räknas ändå)"
#define PL_UNATTACHED_SERVICES_TITLE "Service utan väg inom --max-service-snap (utelämnad)"
int pl_write_unattached_units_as(pl_gpkg *g, const char *layer, const char *title, const pl_population *pop,
                                 const pl_snap *snap, const uint8_t *in_region, pl_error *err);
int pl_write_unattached_services_as(pl_gpkg *g, const char *layer, const char *title, const pl_services *svc,
                                    const pl_service_types *st, const pl_snap *snap, pl_error *err);

#endif
