# SPDX-License-Identifier: GPL-3.0-or-later
# Setup: the peers' Debian packages (installed only when missing) and the inputs, generated
# once and cached in $WORK (bench/work/, gitignored):
#   grid-20k, grid-250k, grid-2M   bench_routing --export workloads (small / medium / anchor)
#   synth_{S,M,L}_{1km,250m}.gpkg   platsa synth --seed 1 (L: about 3 minutes each)
if [ "$BENCH_QUICK" = 1 ]; then
  apt_need time python3-numpy python3-scipy postgresql-15-pgrouting
  GRIDS="2M"
  SYNTH_SIZES="S"
else
  apt_need time python3-numpy python3-scipy python3-gdal postgresql-15-pgrouting grass-core spatialite-bin \
    libsqlite3-mod-spatialite qgis
  GRIDS="20k 250k 2M"
  SYNTH_SIZES="S M L"
fi
grid_args() {
  case $1 in
    20k) echo "--nodes 20000 --facilities 30 --origins 5000" ;;
    250k) echo "--nodes 250000 --facilities 300 --origins 50000" ;;
    2M) echo "--nodes 2000000 --facilities 3000 --origins 400000" ;;
  esac
}
for gsize in $GRIDS; do
  d=$WORK/grid-$gsize
  if [ ! -f "$d/meta.txt" ] || [ ! -f "$d/roads.gpkg" ] || [ bench/bench_routing.c -nt "$d/meta.txt" ]; then
    echo "bench: exporting the $gsize grid workload to $d"
    mkdir -p "$d"
    "$BENCH_DIR/bench_routing" $(grid_args "$gsize") --runs 1 --k 1 --export "$d" >"$d/export.log"
  fi
done
for ssize in $SYNTH_SIZES; do
  for cells in 1km 250m; do
    f=$WORK/synth_${ssize}_$cells.gpkg
    if [ ! -f "$f" ]; then
      echo "bench: generating $f (platsa synth --size $ssize --cells $cells)"
      "$PLATSA" -q synth --size "$ssize" --seed 1 --cells "$cells" -o "$f" --overwrite >"$f.log" 2>&1
    fi
  done
done
note 00_setup "## Inputs"
note 00_setup ""
note 00_setup "- Routing grids (bench/bench_routing.c, deterministic): jittered 150 m grid, 5 % of edges removed, diagonals in 4 % of cells; facilities at distinct random nodes, origins at random nodes. small = 20,000 nodes / 30 facilities / 5,000 origins; medium = 250,000 / 300 / 50,000; anchor = 2,000,000 / 3,000 / 400,000. Exported once (\`--export\`) to GeoPackage (the lines) and CSV (the graph platsa built, for the peers)."
note 00_setup "- Synthetic regions: \`platsa synth --seed 1\`: S = Örebro kommun, M = Örebro län, L = all of Sweden (2.94 M road nodes, 3.72 M edges; 103,464 populated 1 km squares or 605,490 populated 250 m cells; 7 service types). Generated once and cached. \`platsa synth\` reads the full real data (all of Sweden) from \`\$PLATSA_SHARED/real-data\` or \`../shared/real-data\`, which is not in the repository (the tests use the small extracts in \`tests/data/\` instead)."
