#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inputs of `platsa access` for the issue-19 goal rows (bench/sections/35_access_goals.sh),
made once from the bench's own workloads with Debian's python3-gdal.

usage: goal_inputs.py anchor DIR OUT.gpkg
         the routing anchor as `platsa access` inputs: DIR/origins.csv as layer population
         (points, pop = 1, id = the origin's row), DIR/facilities.csv as layer services (points,
         type = pharmacy, id = the facility's row), and layer municipalities: one polygon, the
         points' extent grown by 1 km (kn_kod 9999, kn_namn "Anchor grid (synthetic)").
       goal_inputs.py county SYNTH.gpkg LN_KOD OUT.gpkg
         one county of a `platsa synth` region: population (ln_kod = LN_KOD: the county's own
         population file), services (kn_kod starting with LN_KOD), roads (every road line that
         intersects the county's polygon in layer lan, whole, as a county's road extract) and
         municipalities (the county's).
       goal_inputs.py agree DIR OUT.gpkg
         compares OUT.gpkg's access_cells.pharmacy_km (an anchor run's output, printed to the
         metre) with the nearest distances bench_routing exported (DIR/platsa_k1.csv, which SciPy's
         answers equal, see bench/peers/compare.py); prints one line.
Writes OUT.gpkg.tmp.gpkg, then renames it into place."""
import csv
import os
import sys

from osgeo import ogr, osr

ogr.UseExceptions()


def srs3006():
    s = osr.SpatialReference()
    s.ImportFromEPSG(3006)
    return s


def points_layer(ds, name, fields):
    lyr = ds.CreateLayer(name, srs3006(), ogr.wkbPoint, ["GEOMETRY_NAME=geom"])
    for fname, ftype in fields:
        lyr.CreateField(ogr.FieldDefn(fname, ftype))
    return lyr


def read_xy(path):
    with open(path) as f:
        return [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]


def anchor(d, out):
    origins = read_xy(d + "/origins.csv")
    facilities = read_xy(d + "/facilities.csv")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(out)
    for name, xy, extra in (("population", origins, ("pop", ogr.OFTInteger)),
                            ("services", facilities, ("type", ogr.OFTString))):
        lyr = points_layer(ds, name, [("id", ogr.OFTString), extra])
        ds.StartTransaction()
        for i, (x, y) in enumerate(xy):
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("id", str(i))
            f.SetField(extra[0], 1 if name == "population" else "pharmacy")
            f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (%.17g %.17g)" % (x, y)))
            lyr.CreateFeature(f)
        ds.CommitTransaction()
    xs = [p[0] for p in origins + facilities]
    ys = [p[1] for p in origins + facilities]
    x0, y0, x1, y1 = min(xs) - 1000, min(ys) - 1000, max(xs) + 1000, max(ys) + 1000
    lyr = ds.CreateLayer("municipalities", srs3006(), ogr.wkbMultiPolygon, ["GEOMETRY_NAME=geom"])
    lyr.CreateField(ogr.FieldDefn("kn_kod", ogr.OFTString))
    lyr.CreateField(ogr.FieldDefn("kn_namn", ogr.OFTString))
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetField("kn_kod", "9999")
    f.SetField("kn_namn", "Anchor grid (synthetic)")
    f.SetGeometry(ogr.CreateGeometryFromWkt(
        "MULTIPOLYGON (((%r %r, %r %r, %r %r, %r %r, %r %r)))" % (x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)))
    lyr.CreateFeature(f)
    ds = None


def copy_layer(src, dst, where=None, spatial=None):
    src.ResetReading()
    src.SetAttributeFilter(where)
    src.SetSpatialFilter(spatial)  # a polygon: GDAL tests the geometry, not only its box
    defn = src.GetLayerDefn()
    lyr = dst.CreateLayer(src.GetName(), src.GetSpatialRef(), defn.GetGeomType(), ["GEOMETRY_NAME=geom"])
    for i in range(defn.GetFieldCount()):
        lyr.CreateField(defn.GetFieldDefn(i))
    dst.StartTransaction()
    n = 0
    for f in src:
        g = ogr.Feature(lyr.GetLayerDefn())
        g.SetFrom(f)
        lyr.CreateFeature(g)
        n += 1
    dst.CommitTransaction()
    return n


def county(synth, code, out):
    src = ogr.Open(synth)
    lan = src.GetLayerByName("lan")
    lan.SetAttributeFilter("ln_kod = '%s'" % code)
    feats = list(lan)
    if len(feats) != 1:
        sys.exit("goal_inputs: %s: no county %s in layer lan" % (synth, code))
    poly = feats[0].GetGeometryRef().Clone()
    dst = ogr.GetDriverByName("GPKG").CreateDataSource(out)
    counts = {
        "population": copy_layer(src.GetLayerByName("population"), dst, "ln_kod = '%s'" % code),
        "services": copy_layer(src.GetLayerByName("services"), dst, "kn_kod LIKE '%s%%'" % code),
        "roads": copy_layer(src.GetLayerByName("roads"), dst, spatial=poly),
        "municipalities": copy_layer(src.GetLayerByName("municipalities"), dst, "ln_kod = '%s'" % code),
    }
    dst = None
    print("county %s: %s" % (code, ", ".join("%s %d" % kv for kv in counts.items())))


def agree(d, out):
    import sqlite3
    with open(d + "/platsa_k1.csv") as f:
        next(f)
        ref = [float(line) for line in f]
    db = sqlite3.connect("file:%s?mode=ro" % out, uri=True)  # never creates a file
    n = same = 0
    worst = 0.0
    for cell, km in db.execute("SELECT cell_id, pharmacy_km FROM access_cells"):
        r = ref[int(cell)]
        n += 1
        if km is None:
            worst = float("inf")
            continue
        diff = abs(km * 1000 - r)
        worst = max(worst, diff)
        same += diff <= 0.5 + 1e-6  # printed to the metre
    print("%d of %d origins equal to the metre (largest difference %.3f m)" % (same, len(ref), worst))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "agree":
        agree(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "anchor":
        out = sys.argv[3]
        make = lambda tmp: anchor(sys.argv[2], tmp)  # noqa: E731
    elif len(sys.argv) == 5 and sys.argv[1] == "county":
        out = sys.argv[4]
        make = lambda tmp: county(sys.argv[2], sys.argv[3], tmp)  # noqa: E731
    else:
        sys.exit(__doc__)
    tmp = out + ".tmp.gpkg"
    if os.path.exists(tmp):
        os.remove(tmp)
    make(tmp)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
