#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""make screenshots: the README's pictures of platsa results as QGIS shows them. Real QGIS,
headless (PyQGIS, QT_QPA_PLATFORM=offscreen), lays out demo-output layers with the default
styles stored in their layer_styles and the Layers panel names platsa gives them (the
gpkg_contents titles), a legend and a scale bar, and writes docs/screenshots/*.png, 900 px
wide, as 8-bit palette PNGs (small enough for a README: each at most 150 kB, checked).

Usage: docs/screenshots.py [DEMO_DIR [OUT_DIR]]   (defaults: demo-output docs/screenshots)
"""
import math
import os
import sqlite3
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/runtime-" + str(os.getuid()))
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsFillSymbol,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendStyle,
    QgsPalLayerSettings,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayerSimpleLabeling,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
    QgsScaleBarSettings,
    QgsSingleSymbolRenderer,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize, Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont, QImage  # noqa: E402

WIDTH_PX = 900
PAGE_W, PAGE_H = 240.0, 170.0   # mm: 900 x 638 px
MAX_BYTES = 150 * 1024
FONT = "DejaVu Sans"

# name, title, subtitle, [(gpkg, table, in legend)], extent from (gpkg, table), borders (gpkg, table)
SHOTS = [
    ("orebro-access",
     "Avstånd till närmaste dagligvarubutik, mellersta Örebro län",
     "Verklig befolkning (SCB 1 km, delad i 250 m-rutor); SYNTETISKA vägar och butiker",
     [("orebro-access.gpkg", "access_cells", True)],
     ("orebro-region.gpkg", "municipalities", "kn_kod IN ('1880', '1881', '1814', '1861')"),
     ("orebro-region.gpkg", "municipalities")),
    ("orebro-coverage",
     "Apotek inom räckhåll: täckning och nya nav, Örebro län",
     "Verklig befolkning och apotek (OSM/HOT); SYNTETISKA vägar",
     [("orebro-coverage.gpkg", "coverage_cells", True), ("orebro-coverage.gpkg", "uncovered_clusters", True),
      ("orebro-coverage.gpkg", "new_hubs", True)],
     ("orebro-region.gpkg", "municipalities"), ("orebro-region.gpkg", "municipalities")),
    ("sodermalm-3-30-300",
     "3-30-300 per bostadshus, Södermalm",
     "OpenStreetMap (byggnader, träd, grönområden) och SCB-befolkning",
     [("sodermalm-green.gpkg", "green_buildings", True), ("sodermalm-green.gpkg", "green_areas", True)],
     ("sodermalm-green.gpkg", "green_buildings"), None),
    ("sodermalm-service-areas",
     "Serviceområden: gångtid till närmaste dagligvarubutik, Södermalm",
     "Restid längs gångvägar (OpenStreetMap); varje ring med sina invånare",
     [("sodermalm-access.gpkg", "service_areas", True)],
     ("sodermalm-access.gpkg", "service_areas"), None),
]


def title_of(gpkg, table):
    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT identifier FROM gpkg_contents WHERE table_name = ?", (table,)).fetchone()
        return row[0] if row and row[0] else table
    finally:
        db.close()


def load(demo, gpkg, table, subset=None):
    """The layer as the platsa plugin adds it: its default style, named by its title."""
    path = os.path.join(demo, gpkg)
    layer = QgsVectorLayer(f"{path}|layername={table}" + (f"|subset={subset}" if subset else ""),
                           title_of(path, table), "ogr")
    if not layer.isValid():
        raise SystemExit(f"screenshots: cannot open {path}:{table} (run make demo first)")
    return layer


def label(layout, text, x, y, w, h, size, bold=False, color="#222222"):
    item = QgsLayoutItemLabel(layout)
    item.setText(text)
    font = QFont(FONT)
    font.setPointSizeF(size)
    font.setBold(bold)
    item.setFont(font)
    item.setFontColor(QColor(color))
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(x, y))
    item.attemptResize(QgsLayoutSize(w, h))
    return item


def nice_length(x):
    """The largest 1, 2 or 5 times a power of ten not above x (metres)."""
    p = 10 ** math.floor(math.log10(x))
    return max(m * p for m in (1, 2, 5) if m * p <= x)


def palette_image(img):
    """The image in 8-bit colour: the 256 commonest colours (the styles' flat fills and the
    text's greys), each pixel the nearest of them; a README picture of a tenth the size."""
    img = img.convertToFormat(QImage.Format_RGB32)
    counts = {}
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            p = img.pixel(x, y)
            counts[p] = counts.get(p, 0) + 1
    table = [p for p, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:256]]
    return img.convertToFormat(QImage.Format_Indexed8, table, Qt.ThresholdDither)


def shot(demo, out_dir, name, title, subtitle, layers, extent_of, borders_of):
    project = QgsProject.instance()
    project.clear()
    shown = [(load(demo, g, t), leg) for g, t, leg in layers]
    border = None
    if borders_of:
        border = load(demo, *borders_of)
        border.setName("Kommungräns")
        border.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
            {"style": "no", "outline_color": "40,40,40,255", "outline_width": "0.35"})))
        names = QgsPalLayerSettings()
        names.fieldName = "kn_namn"
        names.placement = QgsPalLayerSettings.OverPoint
        fmt = QgsTextFormat()
        f = QFont(FONT)
        f.setPointSizeF(8)
        fmt.setFont(f)
        fmt.setSize(8)
        buf = QgsTextBufferSettings()
        buf.setEnabled(True)
        buf.setSize(0.8)
        fmt.setBuffer(buf)
        names.setFormat(fmt)
        border.setLabeling(QgsVectorLayerSimpleLabeling(names))
        border.setLabelsEnabled(True)
    for layer, _ in shown:
        project.addMapLayer(layer)
    if border:
        project.addMapLayer(border)
    extent_layer = load(demo, *extent_of)
    crs = shown[0][0].crs()
    project.setCrs(crs)

    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.pageCollection().page(0).setPageSize(QgsLayoutSize(PAGE_W, PAGE_H))
    label(layout, title, 6, 4, PAGE_W - 12, 9, 13, bold=True)
    label(layout, subtitle, 6, 12.5, PAGE_W - 12, 6, 8, color="#555555")

    map_w, map_h = 150.0, PAGE_H - 26
    item = QgsLayoutItemMap(layout)
    item.setCrs(crs)
    # Top to bottom: the borders over the results, the results in the order given.
    item.setLayers(([border] if border else []) + [layer for layer, _ in shown])
    item.setKeepLayerSet(True)
    item.setFrameEnabled(True)
    item.setFrameStrokeColor(QColor("#999999"))
    item.setBackgroundColor(QColor("#f7f8fa"))
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(6, 20))
    item.attemptResize(QgsLayoutSize(map_w, map_h))
    # The data's extent, widened to the map box's proportions (setExtent would resize the box).
    ext = QgsRectangle(extent_layer.extent())
    ext.scale(1.04)
    c, ratio = ext.center(), map_w / map_h
    w, h = max(ext.width(), ext.height() * ratio), max(ext.height(), ext.width() / ratio)
    item.setExtent(QgsRectangle(c.x() - w / 2, c.y() - h / 2, c.x() + w / 2, c.y() + h / 2))
    item.attemptResize(QgsLayoutSize(map_w, map_h))

    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(item)
    legend.setAutoUpdateModel(False)
    root = legend.model().rootGroup()
    root.clear()
    for layer, in_legend in shown:
        if in_legend:
            root.addLayer(layer)
    if border:
        root.addLayer(border)
    legend.setTitle("")
    for part, size, bold in ((QgsLegendStyle.Subgroup, 8, True), (QgsLegendStyle.SymbolLabel, 7.5, False)):
        f = QFont(FONT)
        f.setPointSizeF(size)
        f.setBold(bold)
        legend.setStyleFont(part, f)
    legend.setWrapString("|")
    legend.setSymbolWidth(6)
    legend.setSymbolHeight(4)
    legend.setBackgroundEnabled(False)
    layout.addLayoutItem(legend)
    legend.attemptMove(QgsLayoutPoint(6 + map_w + 5, 20))
    legend.attemptResize(QgsLayoutSize(PAGE_W - map_w - 17, map_h))
    legend.setResizeToContents(True)
    legend.adjustBoxSize()

    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(item)
    # Two segments of a round length, in metres below a kilometre ("250 m", not "0.25 km").
    seg = nice_length(item.extent().width() / 5)
    km = seg >= 1000
    bar.setUnits(QgsUnitTypes.DistanceKilometers if km else QgsUnitTypes.DistanceMeters)
    bar.setUnitLabel("km" if km else "m")
    bar.setUnitsPerSegment(seg / 1000 if km else seg)
    bar.setNumberOfSegments(2)
    bar.setNumberOfSegmentsLeft(0)
    bar.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeFixed)
    bar.setHeight(2.5)
    fmt = bar.textFormat()
    f = QFont(FONT)
    f.setPointSizeF(7)
    fmt.setFont(f)
    fmt.setSize(7)
    bar.setTextFormat(fmt)
    layout.addLayoutItem(bar)
    bar.attemptMove(QgsLayoutPoint(9, 20 + map_h - 12))

    label(layout, "Ritad i QGIS " + Qgis.QGIS_VERSION.split("-")[0] + " med platsas lagerstilar",
          6 + map_w + 5, PAGE_H - 10, PAGE_W - map_w - 17, 5, 6, color="#888888")

    img = QgsLayoutExporter(layout).renderPageToImage(0, QSize(WIDTH_PX, int(round(WIDTH_PX * PAGE_H / PAGE_W))))
    small = palette_image(img)
    path = os.path.join(out_dir, name + ".png")
    tmp = path + ".tmp.png"
    if not small.save(tmp, "PNG", 0):
        raise SystemExit(f"screenshots: cannot write {tmp}")
    os.replace(tmp, path)
    size = os.path.getsize(path)
    print(f"{path}: {small.width()}x{small.height()}, {size // 1024} kB")
    if size > MAX_BYTES:
        raise SystemExit(f"screenshots: {path} is {size // 1024} kB, more than {MAX_BYTES // 1024} kB")


def main(argv):
    demo = argv[0] if argv else "demo-output"
    out_dir = argv[1] if len(argv) > 1 else "docs/screenshots"
    os.makedirs(out_dir, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        for s in SHOTS:
            shot(demo, out_dir, *s)
    finally:
        QgsProject.instance().clear()
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
