#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Agreement of a peer's answers with platsa's, for the routing workloads that
bench_routing --export writes (see bench/bench_routing.c).

usage: compare.py DIR nodes FILE     FILE: node,dist lines (node ids as in DIR/edges.csv; the
                                     distance from the virtual super source, node 0)
       compare.py DIR origins FILE   FILE: origin,dist lines (origin = 0-based row of origins.csv)
Prints one line:  n=... compared=... max_abs_m=... differ=... unreachable_mismatch=... missing=...
  compared: origins with an answer from the peer (and, for per-origin answers, at a node);
  differ: origins whose distances differ by more than 1e-6 relative (or reachability differs).
"""
import sys

import numpy as np


def load_snap(d):
    s = np.loadtxt(d + "/origins_snap.csv", delimiter=",", skiprows=1, ndmin=2)
    return s[:, 0].astype(np.int64), s[:, 1], s[:, 2].astype(np.int64), s[:, 3], s[:, 4]


def origin_dist_from_nodes(d, dist):
    """dist: array indexed by node id (0 = super source), inf where unreachable."""
    a, ca, b, cb, acc = load_snap(d)
    with np.errstate(invalid="ignore"):
        return np.minimum(dist[a] + ca, dist[b] + cb) + acc


def report(d, theirs, mask=None):
    ours = np.loadtxt(d + "/platsa_k1.csv", skiprows=1, ndmin=1)
    n = len(ours)
    if mask is None:
        mask = np.ones(n, bool)
    o, t = ours[mask], theirs[mask]
    fin = np.isfinite(o) & np.isfinite(t)
    reach_mismatch = int(np.sum(np.isfinite(o) != np.isfinite(t)))
    diff = np.abs(o[fin] - t[fin])
    rel = diff / np.maximum(np.abs(o[fin]), 1e-9)
    differ = int(np.sum(rel > 1e-6)) + reach_mismatch
    max_abs = float(diff.max()) if len(diff) else 0.0
    max_rel = float(rel.max()) if len(rel) else 0.0
    line = "n=%d compared=%d max_abs_m=%.6g max_rel=%.3g differ=%d unreachable_mismatch=%d missing=%d" % (
        n, int(mask.sum()), max_abs, max_rel, differ, reach_mismatch, n - int(mask.sum()))
    if differ:
        idx = np.nonzero(mask)[0][np.isfinite(o) & np.isfinite(t)][np.argsort(-rel)[:3]]
        line += " e.g. " + ", ".join("origin %d: platsa %.3f peer %.3f" % (i, ours[i], theirs[i]) for i in idx)
    print(line)
    return line


def main():
    d, kind, path = sys.argv[1], sys.argv[2], sys.argv[3]
    n_nodes = int(dict(l.split() for l in open(d + "/meta.txt"))["nodes"])
    ours_n = len(np.loadtxt(d + "/platsa_k1.csv", skiprows=1, ndmin=1))
    raw = np.loadtxt(path, delimiter=",", ndmin=2) if open(path).read(1) else np.zeros((0, 2))
    if kind == "nodes":
        dist = np.full(n_nodes + 1, np.inf)
        dist[0] = 0
        if len(raw):
            dist[raw[:, 0].astype(np.int64)] = raw[:, 1]
        report(d, origin_dist_from_nodes(d, dist))
    else:
        theirs = np.full(ours_n, np.inf)
        mask = np.zeros(ours_n, bool)
        if len(raw):
            i = raw[:, 0].astype(np.int64)
            theirs[i] = raw[:, 1]
            mask[i] = True
        report(d, theirs, mask)


if __name__ == "__main__":
    main()
