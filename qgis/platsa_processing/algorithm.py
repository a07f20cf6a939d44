# SPDX-License-Identifier: GPL-3.0-or-later
"""One Processing algorithm per platsa command, its parameters built from `platsa --help-json`."""
import os
import sqlite3
import subprocess
import threading
from urllib.parse import quote

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProviderRegistry,
)

from . import spec

# Post-processors must outlive processAlgorithm (QGIS holds them by raw pointer).
_POST_PROCESSORS = []


class _LoadDefaultStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies the GeoPackage's default style (layer_styles): Processing loads result layers
    without it."""

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        msg, ok = layer.loadDefaultStyle()
        if not ok and feedback:
            feedback.pushInfo('%s: no default style (%s)' % (layer.name(), msg))


def _layer_titles(path):
    """table -> the Swedish title platsa gives it (gpkg_contents.identifier), for the Layers panel."""
    try:
        con = sqlite3.connect('file:%s?mode=ro' % quote(os.path.abspath(path)), uri=True)
        try:
            return dict(con.execute('SELECT table_name, identifier FROM gpkg_contents '
                                    "WHERE identifier IS NOT NULL AND identifier <> ''"))
        finally:
            con.close()
    except sqlite3.Error:
        return {}


def _file_filter(ext):
    if not ext:
        return 'All files (*)'
    return '%s files (*.%s);;All files (*)' % (ext.upper(), ext)


def _description(opt):
    text = opt['name']
    if opt.get('metavar'):
        text += ' ' + opt['metavar']
    rng = (opt.get('range') or {}).get('text')
    if rng:
        text += ' [%s]' % rng
    return '%s: %s' % (text, opt.get('description') or '')


class PlatsaAlgorithm(QgsProcessingAlgorithm):
    """A platsa command. cmd: its entry in --help-json; binary: the platsa program."""

    def __init__(self, cmd, binary):
        super().__init__()
        self._cmd = cmd
        self._binary = binary

    # -- identity --
    def createInstance(self):  # noqa: N802
        return PlatsaAlgorithm(self._cmd, self._binary)

    def name(self):
        return spec.algorithm_name(self._cmd['name'])

    def displayName(self):  # noqa: N802
        return '%s: %s' % (self._cmd['name'], self._cmd.get('summary', ''))

    def group(self):
        return spec.GROUPS.get(self._cmd['name'], 'Analyses')

    def groupId(self):  # noqa: N802
        return self.group().lower().replace(' ', '_')

    def shortHelpString(self):  # noqa: N802
        return '%s\n\n%s\n\nCommand line: %s' % (
            self._cmd.get('summary', ''), self._cmd.get('description', ''), self._cmd['usage'])

    # -- parameters --
    def initAlgorithm(self, config=None):  # noqa: N802
        for metavar, repeatable in spec.positionals(self._cmd):
            name, kind, ext = spec.positional_param(metavar, repeatable)
            self._add_input(name, kind, metavar, True, None, ext)
        for opt in self._cmd['options']:
            self._add_option(opt)
        if not any(o.get('output_path') and o['name'] == 'output' for o in self._cmd['options']):
            # info and route print their answer: it is the algorithm's output.
            self.addOutput(QgsProcessingOutputString('stdout', 'platsa output'))

    def _add_input(self, name, kind, desc, required, default, ext):
        optional = not required
        if kind == spec.LAYER:
            p = QgsProcessingParameterVectorLayer(name, desc, [QgsProcessing.TypeVector], None, optional)
        elif kind == spec.LAYERS:
            p = QgsProcessingParameterMultipleLayers(name, desc, QgsProcessing.TypeVector, None, optional)
        elif kind == spec.FOLDER:
            p = QgsProcessingParameterFile(name, desc, QgsProcessingParameterFile.Folder, '', default,
                                           optional)
        else:
            p = QgsProcessingParameterFile(name, desc, QgsProcessingParameterFile.File, '', default,
                                           optional, _file_filter(ext))
        self.addParameter(p)

    def _add_option(self, opt):
        kind = spec.option_kind(opt)
        name = spec.param_name(opt['name'])
        desc = _description(opt)
        required = bool(opt.get('required'))
        default = opt.get('default')
        rng = opt.get('range') or {}
        if kind == spec.BOOL:
            p = QgsProcessingParameterBoolean(name, desc, bool(default), True)
        elif kind == spec.ENUM:
            choices = opt['choices']
            idx = choices.index(default) if default in choices else None
            p = QgsProcessingParameterEnum(name, desc, choices, False, idx, not required)
        elif kind in (spec.INT, spec.DOUBLE):
            ntype = QgsProcessingParameterNumber.Integer if kind == spec.INT \
                else QgsProcessingParameterNumber.Double
            # QGIS bounds are inclusive; platsa refuses an excluded bound itself, in one line.
            lo = rng.get('min')
            hi = rng.get('max')
            p = QgsProcessingParameterNumber(name, desc, ntype, default, not required,
                                             lo if lo is not None else -1.7e308,
                                             hi if hi is not None else 1.7e308)
        elif kind == spec.LIST:
            if isinstance(default, list):
                default = ','.join('%.15g' % x if isinstance(x, (int, float)) else str(x) for x in default)
            p = QgsProcessingParameterString(name, desc, default, False, not required)
        elif kind in (spec.LAYER, spec.FILE, spec.FOLDER):
            self._add_input(name, kind, desc, required, default, spec._ext(opt.get('metavar')))
            return
        elif kind == spec.OUT_FOLDER:
            p = QgsProcessingParameterFolderDestination(name, desc, None, not required)
        elif kind == spec.OUT_FILE:
            ext = spec.out_extension(opt)
            # Only the main output is made by default; caches and dumps when asked for.
            p = QgsProcessingParameterFileDestination(name, desc, _file_filter(ext), None, not required,
                                                      opt['name'] == 'output')
        else:
            p = QgsProcessingParameterString(name, desc, default, False, not required)
        self.addParameter(p)

    # -- values -> platsa's command line --
    def _layer_path(self, layer, what):
        """FILE[:LAYER] for platsa from a QGIS layer; platsa reads files, not database tables."""
        if layer is None:
            return ''
        if layer.providerType() != 'ogr':
            raise QgsProcessingException(
                'platsa %s: %s: layer "%s" is not read from a file (%s); save it as a GeoPackage first'
                % (self._cmd['name'], what, layer.name(), layer.providerType()))
        parts = QgsProviderRegistry.instance().decodeUri('ogr', layer.source())
        path = parts.get('path') or layer.source()
        sub = parts.get('layerName')
        if layer.subsetString():
            raise QgsProcessingException(
                'platsa %s: %s: layer "%s" has a filter; save the filtered features as a file first'
                % (self._cmd['name'], what, layer.name()))
        return '%s:%s' % (path, sub) if sub else path

    def _value(self, kind, name, parameters, context):
        if kind == spec.BOOL:
            return self.parameterAsBool(parameters, name, context)
        if kind == spec.ENUM:
            if parameters.get(name) is None:
                return None
            return self.parameterDefinition(name).options()[self.parameterAsEnum(parameters, name, context)]
        if kind in (spec.INT, spec.DOUBLE):
            if parameters.get(name) is None:
                return None
            if kind == spec.INT:
                return self.parameterAsInt(parameters, name, context)
            return self.parameterAsDouble(parameters, name, context)
        if kind == spec.LAYER:
            return self._layer_path(self.parameterAsVectorLayer(parameters, name, context), name)
        if kind == spec.LAYERS:
            return [self._layer_path(lyr, name) for lyr in self.parameterAsLayerList(parameters, name, context)]
        if kind == spec.FILE:
            return self.parameterAsFile(parameters, name, context)
        if kind in (spec.FOLDER, spec.STRING, spec.LIST):
            return self.parameterAsString(parameters, name, context)
        if kind == spec.OUT_FILE:
            return self.parameterAsFileOutput(parameters, name, context)
        if kind == spec.OUT_FOLDER:
            return self.parameterAsString(parameters, name, context)
        return None

    def build_argv(self, parameters, context):
        pos = []
        for metavar, repeatable in spec.positionals(self._cmd):
            name, kind, _ = spec.positional_param(metavar, repeatable)
            v = self._value(kind, name, parameters, context)
            pos += v if isinstance(v, list) else [v]
        values = {}
        for opt in self._cmd['options']:
            values[opt['name']] = self._value(spec.option_kind(opt), spec.param_name(opt['name']),
                                              parameters, context)
        return spec.build_argv(self._binary, self._cmd, values, pos)

    # -- the run --
    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        argv = self.build_argv(parameters, context)
        feedback.pushCommandInfo(' '.join(argv))
        stdout, stderr, rc = self._run(argv, feedback)
        if feedback.isCanceled():
            raise QgsProcessingException('platsa %s: cancelled' % self._cmd['name'])
        if rc != 0:
            raise QgsProcessingException(spec.error_line(stderr) or
                                         'platsa %s exited %d' % (self._cmd['name'], rc))
        results = {}
        for opt in self._cmd['options']:
            if opt.get('output_path'):
                v = self._value(spec.option_kind(opt), spec.param_name(opt['name']), parameters, context)
                if v:
                    results[spec.param_name(opt['name'])] = v
        if 'output' in results:
            self._load_layers(results['output'], context)
        else:
            results['stdout'] = stdout
            feedback.pushInfo(stdout)
        return results

    def _run(self, argv, feedback):
        """Runs platsa: stderr (its progress and warnings) streamed into the feedback line by
        line, stdout collected; killed (SIGTERM: platsa removes its temporaries) on cancel."""
        out = []
        err = []
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL) as proc:
            reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))
            reader.start()
            for raw in iter(proc.stderr.readline, b''):
                line = raw.decode('utf-8', 'replace').rstrip('\r\n')
                err.append(line)
                feedback.pushConsoleInfo(line)
                if feedback.isCanceled():
                    proc.terminate()
                    break
            reader.join()
            rc = proc.wait()
        return (out[0] if out else b'').decode('utf-8', 'replace'), err, rc

    def _load_layers(self, path, context):
        """Every layer of the output GeoPackage is loaded when the run ends, with its own style."""
        if not path.lower().endswith('.gpkg') or not os.path.isfile(path):
            return
        names = []
        try:
            md = QgsProviderRegistry.instance().providerMetadata('ogr')
            names = [s.name() for s in md.querySublayers(path)]
        except AttributeError:
            pass
        titles = _layer_titles(path)
        for name in names:
            details = QgsProcessingContext.LayerDetails(titles.get(name, name), context.project(), 'output')
            # One per layer: one shared by several layers crashed qgis_process 3.22 at exit.
            post = _LoadDefaultStyle()
            _POST_PROCESSORS.append(post)
            details.setPostProcessor(post)
            context.addLayerToLoadOnCompletion('%s|layername=%s' % (path, name), details)
