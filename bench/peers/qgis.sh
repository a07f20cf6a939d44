#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# QGIS processing peer: native:shortestpathlayertopoint (qgis_process, QGIS 3.22 from Debian)
# from every origin to one virtual end point linked to all facilities, on the workload
# bench_routing --export wrote. QGIS has no zero-cost edges, so the virtual point is joined
# to the facilities by straight connector lines at 1e9 km/h (their cost is below 1e-6 s)
# and the roads run at 3.6 km/h (1 m/s: the "fastest" cost in seconds is the length in metres;
# QGIS reports it in hours). Connector lines join the network only at their end points
# (QGIS's graph builder joins lines at shared vertices). Planar lengths (EPSG:3006, no
# ellipsoid). Debian's /usr/bin/qgis_process wrapper passes --noversioncheck, which
# qgis_process 3.22 refuses, so qgis_process.bin is run directly.
# usage: sh bench/peers/qgis.sh DIR
# prints: qgis_shortestpathlayertopoint prep_s=.. search_s=.. total_s=.. peak_kb=..
#   prep_s: writing the network (roads + connectors) and start points as GeoPackages;
#   search_s: the qgis_process run (start-up, graph build, search, writing the paths);
#   peak_kb: qgis_process's peak memory.
set -eu
DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/platsa-bench-qgis.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$TMP"
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/lib/grass82/lib
now() { date +%s.%N; }
t0=$(now)
END=$(/usr/bin/python3 - "$DIR" "$TMP" <<'PY'
import sys
from osgeo import ogr, osr
d, tmp = sys.argv[1], sys.argv[2]
ogr.UseExceptions()
srs = osr.SpatialReference(); srs.ImportFromEPSG(3006)
src = ogr.Open(d + "/roads.gpkg")
roads = src.GetLayer("roads")
xmin, xmax, ymin, ymax = roads.GetExtent()
sx, sy = xmin - 5000.0, ymin - 5000.0
drv = ogr.GetDriverByName("GPKG")
out = drv.CreateDataSource(tmp + "/net.gpkg")
lyr = out.CreateLayer("net", srs, ogr.wkbLineString)
lyr.CreateField(ogr.FieldDefn("speed", ogr.OFTReal))
defn = lyr.GetLayerDefn()
out.StartTransaction()
for f in roads:
    g = ogr.Feature(defn); g.SetGeometry(f.GetGeometryRef()); g.SetField("speed", 3.6); lyr.CreateFeature(g)
for line in open(d + "/facilities.csv").read().split()[1:]:
    x, y = map(float, line.split(","))
    l = ogr.Geometry(ogr.wkbLineString); l.AddPoint_2D(sx, sy); l.AddPoint_2D(x, y)
    g = ogr.Feature(defn); g.SetGeometry(l); g.SetField("speed", 1e9); lyr.CreateFeature(g)
out.CommitTransaction()
pts = drv.CreateDataSource(tmp + "/origins.gpkg")
pl = pts.CreateLayer("origins", srs, ogr.wkbPoint)
pl.CreateField(ogr.FieldDefn("oid", ogr.OFTInteger))
pdef = pl.GetLayerDefn()
pts.StartTransaction()
for i, line in enumerate(open(d + "/origins.csv").read().split()[1:]):
    x, y = map(float, line.split(","))
    p = ogr.Geometry(ogr.wkbPoint); p.AddPoint_2D(x, y)
    g = ogr.Feature(pdef); g.SetGeometry(p); g.SetField("oid", i); pl.CreateFeature(g)
pts.CommitTransaction()
print("%.6f,%.6f" % (sx, sy))
PY
)
# The algorithm needs a project: an empty one in EPSG:3006 without an ellipsoid (planar lengths).
cat >"$TMP/p.qgs" <<'QGS'
<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis projectname="" version="3.22.16-Białowieża">
  <projectCrs><spatialrefsys><authid>EPSG:3006</authid></spatialrefsys></projectCrs>
  <properties><Measure><Ellipsoid type="QString">NONE</Ellipsoid></Measure></properties>
</qgis>
QGS
t1=$(now)
/usr/bin/time -f "%M" -o "$TMP/peak" qgis_process.bin run native:shortestpathlayertopoint "--PROJECT_PATH=$TMP/p.qgs" --ELLIPSOID=NONE -- \
  "INPUT=$TMP/net.gpkg|layername=net" STRATEGY=1 SPEED_FIELD=speed DEFAULT_SPEED=3.6 DEFAULT_DIRECTION=2 \
  TOLERANCE=0 "START_POINTS=$TMP/origins.gpkg|layername=origins" "END_POINT=$END [EPSG:3006]" \
  "OUTPUT=$TMP/paths.gpkg" >"$TMP/log" 2>&1 || { tail -5 "$TMP/log"; exit 0; }
t2=$(now)
/usr/bin/python3 - "$TMP" <<'PY'
import sys
from osgeo import ogr
tmp = sys.argv[1]
ds = ogr.Open(tmp + "/paths.gpkg")
lyr = ds.GetLayer(0)
with open(tmp + "/answer.csv", "w") as f:
    for feat in lyr:
        c = feat.GetField("cost")
        if c is not None:
            f.write("%d,%.17g\n" % (feat.GetField("oid"), c * 3600.0))  # hours -> seconds = metres
PY
t3=$(now)
echo | awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v p="$(cat "$TMP/peak")" \
  '{printf "qgis_shortestpathlayertopoint prep_s=%.3f search_s=%.3f total_s=%.3f peak_kb=%s\n", b - a, c - b, d - a, p}'
/usr/bin/python3 "$HERE/compare.py" "$DIR" origins "$TMP/answer.csv"
