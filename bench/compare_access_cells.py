#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compares two `platsa access` outputs on the same population and services but different
roads files (bench/sections/60_osm_import.sh: synth L's own roads against the same roads
after an OSM round trip): every distance (*_km) and time (*_min) column of access_cells,
nearest and second, matched on cell_id; the nearest service's id (by distance and by time);
and every number of access_municipalities_table (what the CSV twin holds).

usage: compare_access_cells.py REFERENCE.gpkg OTHER.gpkg
Prints two lines: key=value pairs (no spaces in values), then the same in words.
Exits 1 when the cells or columns do not match (different inputs), else 0.
"""
import sqlite3
import sys


def table(path, name):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    cur = con.execute('SELECT * FROM "%s"' % name)
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    con.close()
    return cols, rows


def main():
    ref, other = sys.argv[1], sys.argv[2]
    ca, ra = table(ref, "access_cells")
    cb, rb = table(other, "access_cells")
    if ca != cb:
        print("columns differ: %s vs %s" % (len(ca), len(cb)))
        return 1
    key = ca.index("cell_id")
    num = [i for i, c in enumerate(ca) if c.endswith(("_km", "_min", "_km_2nd", "_min_2nd")) and "_band_" not in c]
    ids = [i for i, c in enumerate(ca) if c.endswith(("_id", "_id_time")) and c != "cell_id"]
    a = {r[key]: r for r in ra}
    b = {r[key]: r for r in rb}
    if a.keys() != b.keys():
        print("cells differ: %d vs %d, %d in common" % (len(a), len(b), len(a.keys() & b.keys())))
        return 1
    # the outputs round km to 3 decimals (1 m) and min to 2: a difference of one unit in the last
    # digit is rounding; beyond it a cell's route or attachment changed
    equal = rounding = id_differs = id_ties = 0
    # the distance column of service_id, the time column of service_id_time
    val_of = {i: ca.index(ca[i][:-len("_id_time")] + "_min") if ca[i].endswith("_id_time")
              else ca.index(ca[i][:-len("_id")] + "_km") for i in ids}
    beyond = []
    max_km = max_min = 0.0
    worst = None
    for k, x in a.items():
        y = b[k]
        state = 0  # 0 equal, 1 rounding, 2 beyond
        for i in num:
            if x[i] == y[i]:
                continue
            d = float("inf") if x[i] is None or y[i] is None else abs(x[i] - y[i])
            is_km = ca[i].endswith(("_km", "_km_2nd"))
            state = max(state, 1 if d <= (0.0015 if is_km else 0.015) else 2)
            if is_km and d > max_km:
                max_km, worst = d, (k, ca[i], x[i], y[i])
            elif not is_km and d > max_min:
                max_min = d
        equal += state == 0
        rounding += state == 1
        if state == 2:
            beyond.append(k)
        differs = [i for i in ids if x[i] != y[i]]
        if differs:
            id_differs += 1
            # the same printed distance (or time) to another service: a tie the round trip tipped
            if all(x[val_of[i]] == y[val_of[i]] for i in differs):
                id_ties += 1

    ma, mra = table(ref, "access_municipalities_table")
    mb, mrb = table(other, "access_municipalities_table")
    mvals = mdiff = mpop = 0
    mmax = 0.0
    for x, y in zip(sorted(mra, key=str), sorted(mrb, key=str)):
        for c, u, v in zip(ma, x, y):
            if isinstance(u, (int, float)) or isinstance(v, (int, float)):
                mvals += 1
                if u != v:
                    mdiff += 1
                    if u is None or v is None:
                        continue
                    # people counted in a distance band: a cell that crossed the band's edge
                    if "_pop_" in c:
                        mpop = max(mpop, abs(u - v))
                    else:
                        mmax = max(mmax, abs(u - v))
    print("cells=%d equal=%d rounding=%d beyond=%d max_km=%.3f max_min=%.2f id_differs=%d id_ties=%d muni_values=%d "
          "muni_differ=%d muni_max=%.3f muni_pop=%d" % (len(a), equal, rounding, len(beyond), max_km, max_min,
                                                        id_differs, id_ties, mvals, mdiff, mmax, mpop))
    words = ("%d of %d cells equal in all %d km/min columns, %d differ by rounding only (1 m, 0.01 min), %d by more "
             "(largest %.3f km, %.2f min%s); nearest service differs in %d cells (%d of them a tie: the same printed "
             "distance or time); municipality table (the CSV twin): %d of %d numbers differ (means and shares by at "
             "most %.3f, people per distance band by at most %d)" % (
                 equal, len(a), len(num), rounding, len(beyond), max_km, max_min,
                 (": cell %s %s %s vs %s" % worst) if worst and len(beyond) else "", id_differs, id_ties, mdiff, mvals,
                 mmax, mpop))
    print(words)
    if beyond:
        print("cells beyond rounding: " + " ".join(sorted(beyond)[:20]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
