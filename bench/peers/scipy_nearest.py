#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""SciPy peer: nearest facility by scipy.sparse.csgraph.dijkstra(indices=facilities,
min_only=True) (Debian's python3-scipy) on the graph bench_routing --export wrote.

usage: scipy_nearest.py DIR     prints  search_s=..  total_s=..  and the agreement line.
Reads DIR/edges.csv with numpy.loadtxt (the total includes it), builds a CSR matrix with
both directions of every edge (directed=True: cheaper than directed=False, which
symmetrises the matrix on every call), takes the facilities' zero-cost attachment nodes
from DIR/super.csv as the sources, and maps node distances to origins as platsa attaches
them (DIR/origins_snap.csv)."""
import os
import sys
import time

t_start = time.perf_counter()
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

d = sys.argv[1]
E = np.loadtxt(d + "/edges.csv", delimiter=",", skiprows=1)
S = np.loadtxt(d + "/super.csv", delimiter=",", skiprows=1, ndmin=2)
n = int(dict(l.split() for l in open(d + "/meta.txt"))["nodes"]) + 1  # node 0: the super source
src, dst, w = E[:, 0].astype(np.int32), E[:, 1].astype(np.int32), E[:, 2]
G = csr_matrix((np.concatenate([w, w]), (np.concatenate([src, dst]), np.concatenate([dst, src]))), shape=(n, n))
sources = np.unique(S[S[:, 1] == 0, 0].astype(np.int32))
n_fac = int(dict(l.split() for l in open(d + "/meta.txt"))["facilities"])
t0 = time.perf_counter()
dist = dijkstra(G, directed=True, indices=sources, min_only=True)
t_search = time.perf_counter() - t0
dist[0] = 0
theirs = compare.origin_dist_from_nodes(d, dist)
t_total = time.perf_counter() - t_start
print("search_s=%.3f total_s=%.3f sources=%d of %d facilities" % (t_search, t_total, len(sources), n_fac))
compare.report(d, theirs)
