#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The legends a Swedish planner reads in QGIS (headless PyQGIS), for every styled layer of
platsa GeoPackages, as QGIS itself gives them from the default style in layer_styles:

  * every label of a graduated legend agrees with the range QGIS draws it for: "högst X"
    is the first class up to X, "X–Y" is (X, Y], "mer än X" is the open class above X, in
    percent for shares ("25–50 %"); no raw "≤", ">" or unit-less "0–1" ranges;
  * the style's name (Layer Properties > Styles) is set, Swedish, at most 30 characters, and
    the layer's title in gpkg_contents (the Layers panel name the platsa plugin gives) is not
    the table name;
  * the expected labels, in order, of the demo's layers (EXPECT), each command's layers at
    least once; uncovered clusters draw in no green; a scenario change below the first
    limit is drawn.

Usage: check_legends.py GPKG...  (files whose layers are not in EXPECT get the generic checks)
Prints one line per layer and closes with "N passed, N failed"; exit 1 on any failure.
"""
import os
import re
import sqlite3
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/runtime-" + str(os.getuid()))
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402

NB = "\u00a0"  # thousands are grouped by a no-break space: "1 000"
KM = ["högst 5 km", "5–10 km", "10–20 km", "20–30 km", "mer än 30 km", "ej nåbar"]
KM_SMALL = ["högst 0,5 km", "0,5–1 km", "1–2 km", "2–5 km", "mer än 5 km", "ej nåbar"]
# The service level: one class per count of types, the last "alla N typer" (N = types analysed).
LEVEL = ["0 typer", "1 typ", re.compile(r"^(\d+ typer|alla \d+ typer)$"), "uppgift saknas"]

# (file, layer) -> (style name, labels in order; a compiled pattern matches one label, and a
# pattern before the last entry stands for one or more labels).
EXPECT = {
    ("orebro-access.gpkg", "access_cells"): ("Avstånd till närmaste (km)", KM),
    ("orebro-access.gpkg", "access_municipalities"): ("Medelavstånd per kommun (km)", KM),
    ("orebro-access.gpkg", "service_level"): ("Servicenivå (antal typer)", LEVEL),
    ("sodermalm-access.gpkg", "service_areas"): (
        "Serviceområden (restid)",
        ["högst 3 min", "3–5 min", "5–10 min", "10–20 min", "mer än 20 min", "ej nåbar"]),
    ("orebro-classify.gpkg", "classify_cells"): (
        "Territoriell klass", ["tätort", "tätortsnära landsbygd", "landsbygd avlägset belägen", "uppgift saknas"]),
    ("orebro-classify.gpkg", "classify_municipalities"): (
        "Andel avlägsen landsbygd (%)",
        ["högst 5 %", "5–10 %", "10–25 %", "25–50 %", "mer än 50 %", "uppgift saknas"]),
    ("orebro-coverage.gpkg", "coverage_cells"): ("Täckning med nya nav", ["täckt", "ej täckt", "uppgift saknas"]),
    ("orebro-coverage.gpkg", "uncovered_clusters"): (
        "Otäckta kluster (invånare)",
        ["högst 10 inv.", "10–50 inv.", "50–200 inv.", f"200–1{NB}000 inv.", f"mer än 1{NB}000 inv.",
         "uppgift saknas"]),
    ("orebro-coverage.gpkg", "new_hubs"): (
        "Nya nav (nytäckta invånare)",
        ["högst 50 inv.", "50–200 inv.", f"200–1{NB}000 inv.", f"1{NB}000–5{NB}000 inv.", f"mer än 5{NB}000 inv.",
         "uppgift saknas"]),
    ("orebro-coverage.gpkg", "coverage_municipalities"): (
        "Täckt andel per kommun (%)",
        ["högst 90 %", "90–95 %", "95–98 %", "98–99 %", "mer än 99 %", "uppgift saknas"]),
    ("sodermalm-green.gpkg", "green_buildings"): (
        "3-30-300: uppfyllda regler",
        ["regler uppfyllda: 0", "regler uppfyllda: 1", "regler uppfyllda: 2", "regler uppfyllda: 3",
         "uppgift saknas"]),
    ("sodermalm-green.gpkg", "green_neighbourhoods"): (
        "Regel 30 (krontäckning)", ["krontäckning minst 30 %", "krontäckning under 30 %", "uppgift saknas"]),
    ("orebro-stores.gpkg", "store_priority"): (
        "Butikers sårbarhet (invånare)",
        ["ingen", "högst 10 inv.", "10–50 inv.", "50–200 inv.", f"200–1{NB}000 inv.", f"mer än 1{NB}000 inv.",
         "ingen uppgift"]),
    ("orebro-stores.gpkg", "store_catchments"): (
        "Restid om butiken stängs (min)",
        ["högst 10 min", "10–20 min", "20–30 min", "30–45 min", "mer än 45 min", "ej nåbar"]),
    ("monaco-scenarios.gpkg", "delta_cells"): (
        "Förändring av restid (min)",
        ["minst 5 min kortare", "1–5 min kortare", "högst 1 min kortare", "högst 1 min längre", "1–5 min längre",
         "mer än 5 min längre", "ny eller ej nåbar"]),
    ("monaco-scenarios.gpkg", "scenario_cells_grande_corniche_avstangd"): ("Avstånd till närmaste (km)", KM_SMALL),
    ("orebro-region.gpkg", "population"): (
        "Befolkning per ruta",
        ["högst 10 inv.", "10–50 inv.", "50–200 inv.", f"200–1{NB}000 inv.", f"1{NB}000–5{NB}000 inv.",
         f"mer än 5{NB}000 inv.", "uppgift saknas"]),
    ("sodermalm-population.gpkg", "population"): (
        "Befolkning per byggnad",
        ["högst 1 inv.", "1–5 inv.", "5–10 inv.", "10–25 inv.", "25–50 inv.", "50–100 inv.", "mer än 100 inv.",
         "uppgift saknas"]),
    ("sodermalm-layers.gpkg", "green_areas"): (
        "Allmänt tillgänglig", ["allmänt tillgänglig", "ej allmänt tillgänglig", "uppgift saknas"]),
}

NUM = r"-?\d{1,3}(?:" + NB + r"\d{3})*(?:,\d+)?"
UNIT = r"(?: (?P<unit>[^\d\s].*))?"
PATTERNS = [
    ("first", re.compile(rf"^högst (?P<a>{NUM}){UNIT}$")),
    ("open", re.compile(rf"^mer än (?P<a>{NUM}){UNIT}$")),
    ("range", re.compile(rf"^(?P<a>{NUM})–(?P<b>{NUM}){UNIT}$")),
    ("value", re.compile(rf"^(?P<a>{NUM}){UNIT}$")),
]


def number(s):
    return float(s.replace(NB, "").replace(",", "."))


def near(x, y):
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def range_problem(i, rng, label, n):
    """What is wrong with one graduated class's label against its range; None if it agrees
    or is a name (no number pattern)."""
    if re.search(r"[≤≥<>]|&gt;|&lt;", label):
        return f"class {i}: raw comparison sign in {label!r}"
    for kind, pat in PATTERNS:
        m = pat.match(label)
        if not m:
            continue
        unit = m.group("unit") or ""
        if unit == "":
            return f"class {i}: {label!r} has no unit"
        if unit.endswith(("kortare", "längre")):
            return None  # a change, worded by its sign: checked in EXPECT
        scale = 100.0 if unit == "%" else 1.0
        a = number(m.group("a")) / scale
        lo, hi = rng.lowerValue(), rng.upperValue()
        if kind == "first" and not ((i == 0 or near(lo, 0)) and near(hi, a)):
            return f"class {i}: {label!r} but the range is {lo}..{hi}"
        if kind == "open" and not (near(lo, a) and hi >= 1e11):
            return f"class {i}: {label!r} but the range is {lo}..{hi}"
        if kind == "range" and not (near(lo, a) and near(hi, number(m.group("b")) / scale)):
            return f"class {i}: {label!r} but the range is {lo}..{hi}"
        # a whole count: [a, a], or (a - 1, a] for integer fields (open when a is every type there is)
        if kind == "value" and not ((near(hi, a) or hi >= 1e11) and (near(lo, a) or near(lo, a - 1))):
            return f"class {i}: {label!r} but the range is {lo}..{hi}"
        return None
    return None


def matches(want, got):
    """Labels against an EXPECT list (see EXPECT)."""
    if len(want) >= 2 and isinstance(want[-2], re.Pattern):
        head, pat, tail = want[:-2], want[-2], want[-1:]
        mid = got[len(head):len(got) - 1]
        return (got[:len(head)] == head and got[-1:] == tail and len(mid) >= 1
                and all(pat.match(x) for x in mid))
    return got == want


def check_layer(gpkg, name, title):
    problems, notes = [], []
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
    if not layer.isValid():
        return False, "invalid layer"
    r = layer.renderer()
    labels = [item.label() for item in r.legendSymbolItems()] if r else []
    # The style QGIS lists for the layer in the GeoPackage (Layer Properties > Styles).
    n, ids, names, descs, err = layer.listStylesInDatabase()
    style_name = names[0] if n > 0 else None
    if style_name is None:
        problems.append("no style in the database")
    elif len(style_name) > 30 or style_name.startswith("platsa ") or style_name == name:
        problems.append(f"style name {style_name!r}: not a Swedish name of at most 30 characters")
    if not title or title == name:
        problems.append(f"no Swedish title in gpkg_contents (identifier {title!r})")
    if r and r.type() == "graduatedSymbol":
        ranges = r.ranges()
        for i, rng in enumerate(ranges):
            p = range_problem(i, rng, rng.label(), len(ranges))
            if p:
                problems.append(p)
    key = (os.path.basename(gpkg), name)
    if key in EXPECT:
        want_name, want = EXPECT[key]
        if style_name != want_name:
            problems.append(f"style name {style_name!r}, expected {want_name!r}")
        if not matches(want, labels):
            problems.append(f"legend {labels}, expected {want}")
        if name == "uncovered_clusters":
            greens = [c.name() for c in (rng.symbol().color() for rng in r.ranges())
                      if c.green() > c.red() and c.green() > c.blue()]
            if greens:
                problems.append(f"uncovered clusters drawn in green: {greens}")
        if name == "delta_cells":
            if r.symbolForValue(-30.0) is None:
                problems.append(f"a change of -30 min ({r.classAttribute()}) is not drawn")
        notes.append("expected legend")
    notes.append(f"{style_name!r}: " + " | ".join(labels))
    if problems:
        return False, "; ".join(problems + notes[-1:])
    return True, "; ".join(notes)


def main(argv):
    if not argv:
        print("usage: check_legends.py GPKG...", file=sys.stderr)
        return 2
    app = QgsApplication([], False)
    app.initQgis()
    passed = failed = 0
    seen = set()
    try:
        for gpkg in argv:
            db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
            try:
                if not db.execute("SELECT 1 FROM sqlite_master WHERE name='layer_styles'").fetchone():
                    continue
                layers = db.execute(
                    "SELECT c.table_name, c.identifier FROM gpkg_contents c JOIN layer_styles s "
                    "ON s.f_table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.rowid").fetchall()
            finally:
                db.close()
            for name, title in layers:
                ok, msg = check_layer(gpkg, name, title)
                seen.add((os.path.basename(gpkg), name))
                print(f"{'PASS' if ok else 'FAIL'} {os.path.basename(gpkg)}:{name}: {msg}", flush=True)
                passed += ok
                failed += not ok
        # Every expected layer of the files given was found.
        given = {os.path.basename(g) for g in argv}
        for key in sorted(EXPECT):
            if key[0] in given and key not in seen:
                print(f"FAIL {key[0]}:{key[1]}: expected layer not found")
                failed += 1
    finally:
        app.exitQgis()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
