#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The provider's result loading, in QGIS's Python (qgis_process never loads result layers):
registers the provider from a plugin folder, runs platsa:access through processing.run, then
loads each layer the run asks QGIS to load, the way Processing does (QgsProcessingUtils, then
the layer's post-processor), and checks what the Layers panel would show:

  * one layer per table of the GeoPackage, named by platsa's Swedish title (gpkg_contents);
  * spatial layers drawn with the GeoPackage's default style (the renderer type of its
    layer_styles QML, not QGIS's single symbol); every layer's field aliases from that QML.

Usage: provider_style.py PLUGIN_PARENT_DIR OUT.gpkg PROCESSING_PARAMETERS.json
Prints PASS/FAIL lines and "N passed, N failed"; exit 1 on any failure.
"""
import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, "/usr/share/qgis/python/plugins")
sys.path.insert(0, sys.argv[1])

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProcessingUtils,
    QgsProject,
)

app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing  # noqa: E402
import processing  # noqa: E402
from platsa_processing.provider import PlatsaProvider  # noqa: E402

Processing.initialize()
provider = PlatsaProvider()
QgsApplication.processingRegistry().addProvider(provider)

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("PASS " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


# The program: the provider setting first, then $PLATSA_BIN.
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402
from platsa_processing.provider import SETTING_BIN  # noqa: E402

env_bin = os.path.abspath(os.environ["PLATSA_BIN"])
check(provider.binary() == env_bin, "binary from $PLATSA_BIN: %s" % provider.binary())
ProcessingConfig.setSettingValue(SETTING_BIN, "/bin/true")
check(provider.binary() == "/bin/true", "binary from the provider setting: %s" % provider.binary())
ProcessingConfig.setSettingValue(SETTING_BIN, "")

# No platsa anywhere: no algorithms, and the provider's name says why.
saved = dict(os.environ)
os.environ.update(PLATSA_BIN="/nonexistent/platsa", PATH="/nonexistent")
lost = PlatsaProvider()
lost.refreshAlgorithms()
os.environ.clear()
os.environ.update(saved)
check(not lost.algorithms() and lost.longName().startswith("platsa (platsa not found: set its path"),
      "platsa not found: %d algorithms, named %r" % (len(lost.algorithms()), lost.longName()))


# Every command's every option is a parameter of the kind its type and metavar call for.
from platsa_processing import spec  # noqa: E402

QGIS_TYPE = {spec.BOOL: "boolean", spec.ENUM: "enum", spec.INT: "number", spec.DOUBLE: "number",
             spec.LIST: "string", spec.STRING: "string", spec.LAYER: "vector",
             spec.LAYERS: "multilayer", spec.FILE: "file", spec.FOLDER: "file",
             spec.OUT_FILE: "fileDestination", spec.OUT_FOLDER: "folderDestination"}
OPTIONAL = QgsProcessingParameterDefinition.FlagOptional
for cmd in provider.help["commands"]:
    alg = provider.algorithm(spec.algorithm_name(cmd["name"]))
    if alg is None:
        check(False, "%s: no algorithm" % cmd["name"])
        continue
    bad = []
    wanted = [(spec.positional_param(*p)[0], spec.positional_param(*p)[1], True, None)
              for p in spec.positionals(cmd)]
    wanted += [(spec.param_name(o["name"]), spec.option_kind(o), o["required"], o) for o in cmd["options"]]
    for name, kind, required, opt in wanted:
        d = alg.parameterDefinition(name)
        if d is None or d.type() != QGIS_TYPE[kind]:
            bad.append("%s: %s, want %s" % (name, d.type() if d else "missing", QGIS_TYPE[kind]))
            continue
        if kind != spec.BOOL and bool(d.flags() & OPTIONAL) == bool(required):
            bad.append("%s: %s, want %s" % (name, "required" if not required else "optional", "required" if required else "optional"))
        rng = (opt or {}).get("range") or {}
        if kind in (spec.INT, spec.DOUBLE) and rng.get("min") is not None and d.minimum() != rng["min"]:
            bad.append("%s: minimum %s, want %s" % (name, d.minimum(), rng["min"]))
        if kind in (spec.INT, spec.DOUBLE) and rng.get("max") is not None and d.maximum() != rng["max"]:
            bad.append("%s: maximum %s, want %s" % (name, d.maximum(), rng["max"]))
        if kind == spec.ENUM and (d.options() != opt["choices"]
                                  or d.options()[int(d.defaultValue())] != opt["default"]):
            bad.append("%s: choices %s default %s" % (name, d.options(), d.defaultValue()))
    check(not bad, "%s: %d parameters from --help-json%s" % (cmd["name"], len(wanted),
                                                              (": " + "; ".join(bad[:3])) if bad else ""))

out = sys.argv[2]
with open(sys.argv[3], encoding="utf-8") as f:
    params = json.load(f)
params["output"] = out
context = QgsProcessingContext()
context.setProject(QgsProject.instance())
feedback = QgsProcessingFeedback()
res = processing.run("platsa:access", params, context=context, feedback=feedback)
check(res.get("output") == out, "processing.run platsa:access returns the output path")

con = sqlite3.connect(out)
titles = dict(con.execute("SELECT table_name, identifier FROM gpkg_contents WHERE table_name <> 'layer_styles'"))
qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault"))
to_load = context.layersToLoadOnCompletion()
check(len(to_load) == len(titles), "%d layers to load for %d tables" % (len(to_load), len(titles)))
for uri, details in to_load.items():
    table = uri.split("layername=")[-1]
    check(details.name == titles.get(table), "%s: named %r" % (table, details.name))
    layer = QgsProcessingUtils.mapLayerFromString(uri, context)
    if layer is None or not layer.isValid():
        check(False, "%s: loads" % table)
        continue
    if details.postProcessor() is not None:
        details.postProcessor().postProcessLayer(layer, context, feedback)
    root = ET.fromstring(qml[table])
    r = root.find("renderer-v2")
    if r is not None and layer.isSpatial():
        check(layer.renderer().type() == r.get("type"),
              "%s: renderer %s (stored %s)" % (table, layer.renderer().type(), r.get("type")))
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias") if a.get("name")}
    got = {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())}
    wrong = [f for f, a in aliases.items() if f in got and got[f] != a]
    check(aliases and not wrong, "%s: %d field aliases from the stored style%s"
          % (table, len(aliases), (", wrong: " + ", ".join(wrong[:3])) if wrong else ""))

# The plugin's own refusals: platsa reads files, so a layer that is not one (a memory layer)
# or shows only part of one (a filter) is refused in one line, before platsa runs.
from qgis.core import QgsProcessingException, QgsVectorLayer  # noqa: E402


def refused(population, want, what):
    p = dict(params, population=population, output=out + ".refused.gpkg")
    if os.path.exists(p["output"]):
        os.remove(p["output"])
    try:
        processing.run("platsa:access", p, context=context, feedback=QgsProcessingFeedback())
        check(False, "%s: ran" % what)
    except QgsProcessingException as e:
        check(str(e) == want and not os.path.exists(p["output"]), "%s: refused: %s" % (what, e))


mem = QgsVectorLayer("Point?crs=EPSG:3006&field=pop:integer", "befolkning", "memory")
refused(mem, 'platsa access: population: layer "befolkning" is not read from a file (memory); '
        "save it as a GeoPackage first", "memory layer")
filt = QgsVectorLayer(params["population"], "befolkning", "ogr")
filt.setSubsetString("pop > 100")
refused(filt, 'platsa access: population: layer "befolkning" has a filter; save the filtered '
        "features as a file first", "filtered layer")

print("%d passed, %d failed" % (passed, failed))
app.exitQgis()
sys.exit(1 if failed else 0)
