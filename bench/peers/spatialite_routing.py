#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""SpatiaLite peer: VirtualRouting (SpatiaLite 5.0.1, mod_spatialite from Debian's
libsqlite3-mod-spatialite, loaded into Python's sqlite3), the "within cost range" query from
the virtual super source (node 0, linked to the facilities by the edges of DIR/super.csv):
    SELECT NodeTo, Cost FROM route WHERE NodeFrom = 0 AND Cost <= 1e15
i.e. every node's cost from the super source, on the graph bench_routing --export wrote.

usage: spatialite_routing.py DIR
prints: spatialite_VirtualRouting load_s=.. build_s=.. search_s=.. total_s=..  then the
agreement line. load_s: reading the CSV files into a new database; build_s: CreateRouting
(the binary routing data); search_s: the query, rows fetched."""
import csv
import os
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

d = sys.argv[1]
EPS = 1e-3  # metres
tmp = tempfile.mkdtemp(prefix="platsa-bench-spl.")
db_path = os.path.join(tmp, "db.sqlite")
t_start = time.perf_counter()
db = sqlite3.connect(db_path)
db.enable_load_extension(True)
db.load_extension("mod_spatialite")
db.execute("PRAGMA synchronous = OFF")
db.execute("PRAGMA journal_mode = OFF")
db.execute("CREATE TABLE roads (id INTEGER PRIMARY KEY, node_from INTEGER, node_to INTEGER, cost DOUBLE)")
with open(d + "/edges.csv") as f:
    r = csv.reader(f)
    next(r)
    db.executemany("INSERT INTO roads (node_from, node_to, cost) VALUES (?, ?, ?)",
                   ((int(a), int(b), float(c)) for a, b, c in r))
with open(d + "/super.csv") as f:
    r = csv.reader(f)
    next(r)
    # VirtualRouting refuses zero costs: every super-source edge gets EPS more, taken off again below.
    db.executemany("INSERT INTO roads (node_from, node_to, cost) VALUES (0, ?, ?)",
                   ((int(a), float(c) + EPS) for a, c in r))
db.commit()
t_load = time.perf_counter() - t_start
t0 = time.perf_counter()
ok = db.execute("SELECT CreateRouting('route_data', 'route', 'roads', 'node_from', 'node_to', NULL, 'cost', NULL, "
                "0, 1, NULL, NULL, 1)").fetchone()[0]
db.commit()
t_build = time.perf_counter() - t0
if ok != 1:
    print("spatialite_VirtualRouting failed CreateRouting=%r %s" % (ok, db.execute("SELECT CreateRouting_GetLastError()").fetchone()[0]))
    sys.exit(0)
t0 = time.perf_counter()
rows = db.execute("SELECT NodeTo, Cost FROM route WHERE NodeFrom = 0 AND Cost <= 1e15").fetchall()
t_search = time.perf_counter() - t0
ans = os.path.join(tmp, "answer.csv")
with open(ans, "w") as f:
    for node, cost in rows:
        if node is not None and node != 0 and cost is not None:
            f.write("%d,%.17g\n" % (node, cost - EPS))
t_total = time.perf_counter() - t_start
print("spatialite_VirtualRouting load_s=%.3f build_s=%.3f search_s=%.3f total_s=%.3f rows=%d"
      % (t_load, t_build, t_search, t_total, len(rows)))
sys.stdout.flush()
import compare  # noqa: E402
import numpy as np  # noqa: E402,F401
n_nodes = int(dict(l.split() for l in open(d + "/meta.txt"))["nodes"])
dist = np.full(n_nodes + 1, np.inf)
dist[0] = 0
for node, cost in rows:
    if node is not None and cost is not None and 0 < node <= n_nodes:
        dist[node] = min(dist[node], cost - EPS)
compare.report(d, compare.origin_dist_from_nodes(d, dist))
db.close()
shutil.rmtree(tmp)
