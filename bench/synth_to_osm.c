/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The roads of a `platsa synth` GeoPackage as an OSM XML file, for the national OSM import
 * benchmark (bench/osm_import_bench.sh converts it to PBF with osmium).
 *
 * Usage: synth_to_osm REGION.gpkg OUT.osm
 *
 * Node identity comes from the synthetic network: a road's first and last vertex are its
 * junctions node_from/node_to (OSM node id = junction id + 1, shared by the roads meeting
 * there); interior vertices get their own ids from 1e9 up. Every road is one OSM way (id =
 * road id + 1) with highway (or route=ferry), maxspeed, oneway (oneway=no on a two-way motorway,
 * where OSM implies yes), bridge/tunnel/layer and
 * explicit motor_vehicle/bicycle/foot tags. Nodes come first in id order, as in a PBF. */
#include <gdal.h>
#include <inttypes.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTERIOR_BASE INT64_C(1000000000)

typedef struct junction {
    int32_t lat, lon;          /* 1e-7 degrees; lat == INT32_MIN: unused */
} junction;

static int field(OGRFeatureDefnH d, const char *name)
{
    int i = OGR_FD_GetFieldIndex(d, name);
    if (i < 0) {
        fprintf(stderr, "synth_to_osm: roads layer has no field %s\n", name);
        exit(2);
    }
    return i;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: synth_to_osm REGION.gpkg OUT.osm\n");
        return 2;
    }
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(argv[1], GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRLayerH l = ds ? GDALDatasetGetLayerByName(ds, "roads") : NULL;
    if (!l) {
        fprintf(stderr, "synth_to_osm: %s: no roads layer\n", argv[1]);
        return 2;
    }
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OSRSetFromUserInput(wgs, "EPSG:4326");
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH src = OSRClone(OGR_L_GetSpatialRef(l));
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, wgs);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int f_id = field(d, "id"), f_hw = field(d, "highway"), f_ms = field(d, "maxspeed_kmh"), f_ow = field(d, "oneway"),
        f_car = field(d, "car"), f_bike = field(d, "bike"), f_foot = field(d, "foot"), f_br = field(d, "bridge"),
        f_tu = field(d, "tunnel"), f_la = field(d, "layer"), f_nf = field(d, "node_from"), f_nt = field(d, "node_to");

    char ways_path[4200], inner_path[4200];
    snprintf(ways_path, sizeof ways_path, "%s.ways.tmp", argv[2]);
    snprintf(inner_path, sizeof inner_path, "%s.nodes.tmp", argv[2]);
    FILE *ways = fopen(ways_path, "w"), *inner = fopen(inner_path, "w"), *out = fopen(argv[2], "w");
    if (!ways || !inner || !out) {
        fprintf(stderr, "synth_to_osm: cannot write %s\n", argv[2]);
        return 2;
    }
    junction *jn = NULL;
    size_t n_jn = 0;
    int64_t next_inner = INTERIOR_BASE;
    long n_roads = 0;
    double *x = NULL, *y = NULL;
    int cap = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        int n = g ? OGR_G_GetPointCount(g) : 0;
        if (n < 2) {
            OGR_F_Destroy(f);
            continue;
        }
        if (n > cap) {
            cap = 2 * n;
            x = realloc(x, (size_t)cap * sizeof *x);
            y = realloc(y, (size_t)cap * sizeof *y);
        }
        for (int i = 0; i < n; i++) {
            x[i] = OGR_G_GetX(g, i);
            y[i] = OGR_G_GetY(g, i);
        }
        OCTTransform(ct, n, x, y, NULL);
        int64_t ends[2] = {OGR_F_GetFieldAsInteger64(f, f_nf), OGR_F_GetFieldAsInteger64(f, f_nt)};
        for (int e = 0; e < 2; e++) {
            size_t j = (size_t)ends[e];
            if (j >= n_jn) {
                size_t nn = n_jn ? n_jn : 1024;
                while (nn <= j)
                    nn *= 2;
                jn = realloc(jn, nn * sizeof *jn);
                for (size_t k = n_jn; k < nn; k++)
                    jn[k].lat = INT32_MIN;
                n_jn = nn;
            }
            int i = e ? n - 1 : 0;
            jn[j].lat = (int32_t)(y[i] * 1e7 + (y[i] >= 0 ? 0.5 : -0.5));
            jn[j].lon = (int32_t)(x[i] * 1e7 + (x[i] >= 0 ? 0.5 : -0.5));
        }
        fprintf(ways, " <way id=\"%" PRId64 "\"><nd ref=\"%" PRId64 "\"/>", (int64_t)OGR_F_GetFieldAsInteger64(f, f_id) + 1,
                ends[0] + 1);
        for (int i = 1; i < n - 1; i++) {
            fprintf(inner, " <node id=\"%" PRId64 "\" lat=\"%.7f\" lon=\"%.7f\"/>\n", next_inner, y[i], x[i]);
            fprintf(ways, "<nd ref=\"%" PRId64 "\"/>", next_inner++);
        }
        fprintf(ways, "<nd ref=\"%" PRId64 "\"/>", ends[1] + 1);
        const char *hw = OGR_F_GetFieldAsString(f, f_hw);
        if (!strcmp(hw, "ferry"))
            fprintf(ways, "<tag k=\"route\" v=\"ferry\"/>");
        else
            fprintf(ways, "<tag k=\"highway\" v=\"%s\"/>", hw);
        fprintf(ways, "<tag k=\"maxspeed\" v=\"%d\"/>", OGR_F_GetFieldAsInteger(f, f_ms));
        /* A synthetic motorway is one line for both carriageways, open both ways: OSM implies
         * oneway=yes for highway=motorway, so say oneway=no (without it, import-osm and
         * osm2pgrouting make these 518 roads one-way and the national distances change). */
        int ow = OGR_F_GetFieldAsInteger(f, f_ow);
        if (ow == 1)
            fprintf(ways, "<tag k=\"oneway\" v=\"yes\"/>");
        else if (ow == -1)
            fprintf(ways, "<tag k=\"oneway\" v=\"-1\"/>");
        else if (!strcmp(hw, "motorway"))
            fprintf(ways, "<tag k=\"oneway\" v=\"no\"/>");
        if (OGR_F_GetFieldAsInteger(f, f_br))
            fprintf(ways, "<tag k=\"bridge\" v=\"yes\"/>");
        if (OGR_F_GetFieldAsInteger(f, f_tu))
            fprintf(ways, "<tag k=\"tunnel\" v=\"yes\"/>");
        if (OGR_F_GetFieldAsInteger(f, f_la))
            fprintf(ways, "<tag k=\"layer\" v=\"%d\"/>", OGR_F_GetFieldAsInteger(f, f_la));
        fprintf(ways, "<tag k=\"motor_vehicle\" v=\"%s\"/><tag k=\"bicycle\" v=\"%s\"/><tag k=\"foot\" v=\"%s\"/>",
                OGR_F_GetFieldAsInteger(f, f_car) ? "yes" : "no", OGR_F_GetFieldAsInteger(f, f_bike) ? "yes" : "no",
                OGR_F_GetFieldAsInteger(f, f_foot) ? "yes" : "no");
        fprintf(ways, "</way>\n");
        n_roads++;
        OGR_F_Destroy(f);
    }
    fclose(ways);
    fclose(inner);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"platsa synth_to_osm\">\n");
    long n_nodes = 0;
    for (size_t j = 0; j < n_jn; j++)
        if (jn[j].lat != INT32_MIN) {
            fprintf(out, " <node id=\"%zu\" lat=\"%.7f\" lon=\"%.7f\"/>\n", j + 1, jn[j].lat / 1e7, jn[j].lon / 1e7);
            n_nodes++;
        }
    const char *parts[] = {inner_path, ways_path};
    char buf[1 << 16];
    for (int p = 0; p < 2; p++) {
        FILE *in = fopen(parts[p], "r");
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, in)) > 0)
            fwrite(buf, 1, k, out);
        fclose(in);
        remove(parts[p]);
    }
    fprintf(out, "</osm>\n");
    if (fclose(out) != 0) {
        fprintf(stderr, "synth_to_osm: write error\n");
        return 2;
    }
    printf("synth_to_osm: %ld ways, %ld junction nodes, %" PRId64 " interior nodes\n", n_roads, n_nodes,
           next_inner - INTERIOR_BASE);
    free(jn);
    free(x);
    free(y);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(src);
    GDALClose(ds);
    return 0;
}
