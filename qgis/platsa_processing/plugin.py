# SPDX-License-Identifier: GPL-3.0-or-later
"""The plugin object QGIS (and qgis_process) loads: it only registers the provider."""
from qgis.core import QgsApplication

from .provider import PlatsaProvider


class PlatsaPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None

    # qgis_process calls initProcessing only; the desktop calls initGui.
    def initProcessing(self):  # noqa: N802
        if self.provider is None:
            self.provider = PlatsaProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
