#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opens every layer of platsa GeoPackages in real QGIS (PyQGIS, headless) the way a user
does, and checks what the user would see:

  * the layer is valid;
  * spatial layers: the renderer is the default style stored in layer_styles (same
    renderer type, same number of classes as the stored QML), not QGIS's single symbol;
  * field aliases are the Swedish titles of gpkg_data_columns (attribute tables too when
    the GeoPackage has a layer_styles row for them; otherwise reported as a known gap);
  * a rendered 800x600 PNG of the layer is not blank;
  * a layer stored as an SQL view (service_level over access_cells) has every field of its
    declared type (no computed column falling back to String) and all of its rows.

Usage: check_styles.py [--png-dir DIR] [--strict-table-aliases] GPKG...
Prints one line per layer and closes with "N passed, N failed"; exit 1 on any failure.
"""
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/runtime-" + str(os.getuid()))
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

from qgis.core import (
    QgsRectangle,  # noqa: E402
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize, QVariant  # noqa: E402
from qgis.PyQt.QtGui import QColor, QImage  # noqa: E402

SIZE = (800, 600)


def stored(gpkg):
    """Layers, stored default styles and aliases as written in the file."""
    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        layers = db.execute(
            "SELECT table_name, data_type FROM gpkg_contents "
            "WHERE data_type IN ('features','attributes') AND table_name <> 'layer_styles' "
            "ORDER BY rowid").fetchall()
        styles = {}
        has_styles = db.execute(
            "SELECT 1 FROM sqlite_master WHERE name='layer_styles'").fetchone()
        if has_styles:
            # QGIS's own choice: default first, newest first.
            for name, geom, qml in db.execute(
                    "SELECT f_table_name, f_geometry_column, styleQML FROM layer_styles "
                    "WHERE f_table_schema='' ORDER BY CASE WHEN useAsDefault THEN 1 ELSE 2 END, "
                    "update_time DESC"):
                styles.setdefault(name, (geom, qml))
        aliases = {}
        if db.execute("SELECT 1 FROM sqlite_master WHERE name='gpkg_data_columns'").fetchone():
            for t, c, title in db.execute(
                    "SELECT table_name, column_name, title FROM gpkg_data_columns"):
                if title:
                    aliases.setdefault(t, {})[c] = title
        views = {}
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'"):
            views[name] = ({c[1]: c[2] for c in db.execute(f'PRAGMA table_info("{name}")')},
                           db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
        return layers, styles, aliases, views
    finally:
        db.close()


def stored_geometry_column(gpkg, name):
    """The layer's geometry column (gpkg_geometry_columns), None for an attribute table."""
    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def row_count(gpkg, name):
    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        return db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    finally:
        db.close()


def qml_renderer(qml):
    """(renderer type, class count) of a stored QML; (None, 0) without a renderer."""
    root = ET.fromstring(qml.encode("utf-8"))
    r = root.find("renderer-v2")
    if r is None:
        return None, 0
    kind = r.get("type")
    if kind == "graduatedSymbol":
        return kind, len(r.findall("ranges/range"))
    if kind == "categorizedSymbol":
        return kind, len(r.findall("categories/category"))
    return kind, 1


def renderer_classes(renderer):
    kind = renderer.type()
    if kind == "graduatedSymbol":
        return len(renderer.ranges())
    if kind == "categorizedSymbol":
        return len(renderer.categories())
    return 1


def symbol_colours(renderer):
    """Class colours, taken while the renderer's range/category copies are alive."""
    kind = renderer.type()
    if kind == "graduatedSymbol":
        cols = [r.symbol().color() for r in renderer.ranges() if r.symbol()]
    elif kind == "categorizedSymbol":
        cols = [c.symbol().color() for c in renderer.categories() if c.symbol()]
    elif kind == "singleSymbol":
        cols = [renderer.symbol().color()]
    else:
        cols = []
    return [(c.red(), c.green(), c.blue()) for c in cols]


def render(layer, path, extent=None):
    """Renders the layer to a PNG; returns (painted sample pixels, total samples, colours seen)."""
    ms = QgsMapSettings()
    ms.setLayers([layer])
    ms.setDestinationCrs(layer.crs())
    ms.setOutputSize(QSize(*SIZE))
    ms.setBackgroundColor(QColor(255, 255, 255))
    if extent is None:
        extent = layer.extent().buffered(max(layer.extent().width(), layer.extent().height()) * 0.02 + 1)
    ms.setExtent(extent)
    job = QgsMapRendererSequentialJob(ms)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    if path:
        img.save(path, "PNG")
    img = img.convertToFormat(QImage.Format_RGB32)
    bg = QColor(255, 255, 255).rgb()
    step = 2
    painted = total = 0
    seen = set()
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            total += 1
            p = img.pixel(x, y)
            if p != bg:
                painted += 1
                seen.add(((p >> 16) & 255, (p >> 8) & 255, p & 255))
    return painted, total, seen


def colour_seen(c, seen, tol=3):
    return any(abs(c[0] - s[0]) <= tol and abs(c[1] - s[1]) <= tol and abs(c[2] - s[2]) <= tol for s in seen)


# Declared SQLite types of platsa's columns and the QVariant types QGIS gives them.
QGIS_TYPES = {"MEDIUMINT": ("int",), "INTEGER": ("int", "qlonglong"), "REAL": ("double",), "TEXT": ("QString",)}


def check_view(layer, declared, count):
    """Problems of a layer stored as a view: untyped or mistyped fields, missing rows."""
    problems = []
    for f in layer.fields():
        if f.name() == "fid":
            continue
        decl = declared.get(f.name(), "")
        got = QVariant.typeToName(f.type())
        if decl.upper() not in QGIS_TYPES:
            problems.append(f"field {f.name()} has no platsa type (declared {decl!r}, QGIS {got})")
        elif got not in QGIS_TYPES[decl.upper()]:
            problems.append(f"field {f.name()} is {got}, declared {decl}")
    if layer.featureCount() != count:
        problems.append(f"{layer.featureCount()} features, the view has {count} rows")
    return problems


def open_gpkg_layer(gpkg, name):
    return QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")


def check_layer(gpkg, name, data_type, styles, aliases, png_dir, strict_tables, views, opener=open_gpkg_layer):
    """What a user sees of layer `name`, against what `gpkg` stores; opener(gpkg, name) opens the
    layer as the user does (the GeoPackage itself here, the same layer from PostGIS in check_pg.py)."""
    problems, notes = [], []
    layer = opener(gpkg, name)
    if not layer.isValid():
        return False, "invalid layer"
    if name in views:
        problems += check_view(layer, *views[name])
        notes.append(f"view: {len(layer.fields())} typed fields, {layer.featureCount()} features")
    spatial = data_type == "features"
    style = styles.get(name)
    if spatial:
        if style is None:
            problems.append("no layer_styles row")
        else:
            want_kind, want_n = qml_renderer(style[1])
            r = layer.renderer()
            got_kind = r.type() if r else None
            got_n = renderer_classes(r) if r else 0
            if got_kind != want_kind:
                problems.append(f"renderer {got_kind}, stored {want_kind}")
            elif got_n != want_n:
                problems.append(f"{got_n} classes, stored {want_n}")
            else:
                notes.append(f"{got_kind} {got_n} classes")
            if want_kind != "singleSymbol" and got_kind == "singleSymbol":
                problems.append("QGIS fell back to its default single symbol")
    # Aliases.
    want = aliases.get(name, {})
    if want:
        got = {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())}
        wrong = [c for c, a in want.items() if c in got and got[c] != a]
        missing = [c for c in want if c not in got]
        if missing:
            problems.append("fields missing: " + ", ".join(missing))
        if not spatial and style is None and len(wrong) == len(want):
            msg = "aliases not shown (QGIS 3.22 reads none for attribute tables without a layer_styles row)"
            (problems if strict_tables else notes).append(msg)
        elif wrong:
            problems.append("aliases differ: " + ", ".join(f"{c}={got[c]!r}" for c in wrong[:4]))
        else:
            notes.append(f"{len(want)} Swedish aliases")
    else:
        notes.append("no aliases stored")
    if spatial:
        png = os.path.join(png_dir, f"{os.path.splitext(os.path.basename(gpkg))[0]}-{name}.png") if png_dir else None
        painted, total, seen = render(layer, png)
        colours = symbol_colours(layer.renderer()) if layer.renderer() else []
        n_seen = sum(1 for c in colours if colour_seen(c, seen))
        if painted >= 40 and colours and n_seen == 0:
            # Tens of thousands of sub-pixel cells (250 m squares of a whole county) blend under
            # antialiasing: look again at the first features' extent, where cells are pixels wide.
            zoom = QgsRectangle()
            for i, feat in enumerate(layer.getFeatures()):
                if i >= 50:
                    break
                zoom.combineExtentWith(feat.geometry().boundingBox())
            if not zoom.isEmpty():
                zoom_png = png.replace(".png", "-zoom.png") if png else None
                _, _, seen = render(layer, zoom_png, zoom.buffered(max(zoom.width(), zoom.height()) * 0.05 + 1))
                n_seen = sum(1 for c in colours if colour_seen(c, seen))
                notes.append("class colours checked on a zoomed render")
        if painted < 40:
            problems.append(f"rendered image is blank ({painted} of {total} sampled pixels painted)")
        elif colours and n_seen == 0:
            problems.append("none of the style's class colours appears in the rendered image")
        else:
            notes.append(f"rendered {SIZE[0]}x{SIZE[1]}: {painted / total:.1%} painted, "
                         f"{n_seen}/{len(colours)} class colours seen")
    else:
        notes.append(f"{layer.featureCount()} rows")
    if problems:
        return False, "; ".join(problems + notes)
    return True, "; ".join(notes)


def main(argv):
    png_dir = None
    strict = False
    files = []
    it = iter(argv)
    for a in it:
        if a == "--png-dir":
            png_dir = next(it)
        elif a == "--strict-table-aliases":
            strict = True
        else:
            files.append(a)
    if not files:
        print("usage: check_styles.py [--png-dir DIR] [--strict-table-aliases] GPKG...", file=sys.stderr)
        return 2
    if png_dir:
        os.makedirs(png_dir, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    passed = failed = 0
    try:
        for gpkg in files:
            layers, styles, aliases, views = stored(gpkg)
            if not layers:
                print(f"FAIL {gpkg}: no layers")
                failed += 1
                continue
            for name, data_type in layers:
                ok, msg = check_layer(gpkg, name, data_type, styles, aliases, png_dir, strict, views)
                print(f"{'PASS' if ok else 'FAIL'} {os.path.basename(gpkg)}:{name}: {msg}", flush=True)
                if ok:
                    passed += 1
                else:
                    failed += 1
    finally:
        app.exitQgis()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
