# SPDX-License-Identifier: GPL-3.0-or-later
"""What a platsa command takes, read from `platsa --help-json`, and the argv for a run.

No QGIS import here: the parameter kinds and the command line are plain data, so they can be
checked without QGIS (tests/qgis/test_provider_spec.py).
"""
import json
import os
import re
import shutil
import subprocess

# Kinds of parameter an option becomes (algorithm.py maps each to a QgsProcessingParameter*).
BOOL, ENUM, INT, DOUBLE, LIST, LAYER, LAYERS, FILE, FOLDER, STRING, OUT_FILE, OUT_FOLDER = (
    'bool', 'enum', 'int', 'double', 'list', 'layer', 'layers', 'file', 'folder', 'string',
    'out_file', 'out_folder')

GROUPS = {
    'info': 'Data and roads', 'import-osm': 'Data and roads', 'population': 'Data and roads',
    'synth': 'Data and roads', 'route': 'Data and roads', 'report': 'Reports',
    'partition': 'Cluster (Slurm)', 'partition-task': 'Cluster (Slurm)', 'partition-run': 'Cluster (Slurm)',
    'merge': 'Cluster (Slurm)',
}


def find_binary(setting=None):
    """The platsa program: the provider setting, then $PLATSA_BIN, then PATH; None if none."""
    for cand in (setting, os.environ.get('PLATSA_BIN')):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return shutil.which('platsa')


def read_help(binary):
    """platsa --help-json as a dict; raises RuntimeError with platsa's message on failure."""
    res = subprocess.run([binary, '--help-json'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        msg = res.stderr.decode('utf-8', 'replace').strip().splitlines()
        raise RuntimeError(msg[-1] if msg else '%s --help-json exited %d' % (binary, res.returncode))
    return json.loads(res.stdout.decode('utf-8'))


def param_name(option_name):
    """QGIS parameter names: `bands-km` -> `bands_km` (valid in processing.run dicts too)."""
    return option_name.replace('-', '_')


def algorithm_name(command):
    """QGIS wants lowercase alphanumerics and underscores: `import-osm` -> `import_osm`."""
    return command.replace('-', '_')


def _ext(metavar):
    """`OUT.gpkg` -> `gpkg`, `FILE.csv` -> `csv`, `FILE` -> ''."""
    m = re.search(r'\.([A-Za-z0-9]+)$', metavar or '')
    return m.group(1).lower() if m else ''


def option_kind(opt):
    """Which kind of parameter an option of the JSON becomes (decided by type and metavar)."""
    t, mv = opt['type'], opt.get('metavar') or ''
    if t == 'flag':
        return BOOL
    if opt.get('choices'):
        return ENUM
    if t == 'int':
        return INT
    if t == 'double':
        return DOUBLE
    if t in ('doubles', 'strings', 'ints'):
        return LIST
    if opt.get('output_path'):
        return OUT_FOLDER if mv in ('FOLDER', 'DIR') else OUT_FILE
    if 'FILE[:LAYER]' in mv:
        return LAYER
    if mv == 'DIR':
        return FOLDER
    # NAME|FILE.ini is a name or a file: a string says both.
    if '|' not in mv and (mv.startswith('FILE') or mv.startswith('FEED') or _ext(mv)):
        return FILE
    return STRING


def out_extension(opt):
    """The file extension of an output option: from its metavar; the main output is a GeoPackage."""
    ext = _ext(opt.get('metavar'))
    if not ext and opt['name'] == 'output':
        return 'gpkg'
    return ext


def positionals(cmd):
    """The positional arguments of a command, from its usage line: the upper-case words that
    follow no option (`platsa info [options] FILE[:LAYER]...` -> [('FILE[:LAYER]', True)]).
    Returns (metavar, repeatable) pairs."""
    words = cmd['usage'].split()[2:]
    out = []
    prev_is_option = False
    for w in words:
        bare = w.strip('[]()|')
        is_option = bare.startswith('-')
        if not is_option and not prev_is_option \
                and re.match(r'^[A-Z][A-Z0-9_]*(\.[a-z0-9.]+?)?(\[:LAYER\])?(\.\.\.)?$', w):
            out.append((w[:-3] if w.endswith('...') else w, w.endswith('...')))
        prev_is_option = is_option
    return out


def positional_param(metavar, repeatable):
    """(name, kind, extension) of a positional: FILE[:LAYER] -> layer(s); anything else a file."""
    if 'FILE[:LAYER]' in metavar:
        return ('inputs', LAYERS, '') if repeatable else ('input', LAYER, '')
    return ('input', FILE, _ext(metavar))


def _fmt_number(v, kind):
    if kind == INT:
        return str(int(v))
    return '%.15g' % float(v)


def _is_default(opt, kind, value):
    d = opt.get('default')
    if d is None:
        return False
    if kind in (INT, DOUBLE):
        try:
            return float(value) == float(d)
        except (TypeError, ValueError):
            return False
    if kind == LIST and isinstance(d, list):
        return str(value) == ','.join(_fmt_number(x, DOUBLE) if isinstance(x, (int, float))
                                      else str(x) for x in d)
    return str(value) == str(d)


def build_argv(binary, cmd, values, pos_values):
    """platsa's command line for a run. values: option name -> value (bool for flags, the choice
    string for enums, a number, or a string; None or '' for unset); options at their default
    are left out, so the command line is the one a user would type. pos_values: the positional
    arguments, in order."""
    argv = [binary, cmd['name']]
    for opt in cmd['options']:
        kind = option_kind(opt)
        v = values.get(opt['name'])
        if kind == BOOL:
            if v:
                argv.append('--' + opt['name'])
            continue
        if v is None or v == '' or _is_default(opt, kind, v):
            continue
        if kind in (INT, DOUBLE):
            v = _fmt_number(v, kind)
        argv += ['--' + opt['name'], str(v)]
    argv += list(pos_values)
    return argv


def error_line(stderr_lines):
    """platsa's one-line error: the last `platsa ...` line on stderr, else the last line."""
    lines = [ln.strip() for ln in stderr_lines if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith('platsa'):
            return ln
    return lines[-1] if lines else ''
