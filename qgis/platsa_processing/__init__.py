# SPDX-License-Identifier: GPL-3.0-or-later
"""platsa inside QGIS: a Processing provider that runs the platsa program."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import PlatsaPlugin
    return PlatsaPlugin(iface)
