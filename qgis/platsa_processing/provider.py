# SPDX-License-Identifier: GPL-3.0-or-later
"""The platsa Processing provider: one algorithm per command of `platsa --help-json`."""
from qgis.core import Qgis, QgsMessageLog, QgsProcessingProvider

from . import spec
from .algorithm import PlatsaAlgorithm

SETTING_BIN = 'PLATSA_BIN'

try:  # the Processing plugin's settings (Options > Processing > Providers); absent without it
    from processing.core.ProcessingConfig import ProcessingConfig, Setting
except ImportError:  # pragma: no cover
    ProcessingConfig = None


class PlatsaProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self.help = None
        self.error = ''

    def id(self):
        return 'platsa'

    def name(self):
        return 'platsa'

    def longName(self):  # noqa: N802
        if self.help:
            return 'platsa %s' % self.help.get('version', '')
        # An empty provider says why in the Toolbox, not only in the message log.
        return 'platsa (%s)' % self.error if self.error else 'platsa'

    def load(self):
        if ProcessingConfig is not None:
            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(self.name(), SETTING_BIN,
                                                'platsa program (empty: $PLATSA_BIN, then PATH)', '',
                                                valuetype=Setting.FILE))
            ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        if ProcessingConfig is not None:
            ProcessingConfig.removeSetting(SETTING_BIN)

    def binary(self):
        setting = ProcessingConfig.getSetting(SETTING_BIN) if ProcessingConfig is not None else None
        return spec.find_binary(setting)

    def loadAlgorithms(self):  # noqa: N802
        self.help = None
        self.error = ''
        binary = self.binary()
        if binary is None:
            self.error = ('platsa not found: set its path in Settings > Options > Processing > Providers > platsa, '
                          'or PLATSA_BIN, or put it on PATH')
            QgsMessageLog.logMessage(self.error, 'platsa', Qgis.Warning)
            return
        try:
            self.help = spec.read_help(binary)
        except (OSError, RuntimeError, ValueError) as e:
            self.error = '%s --help-json: %s' % (binary, e)
            QgsMessageLog.logMessage(self.error, 'platsa', Qgis.Warning)
            return
        for cmd in self.help['commands']:
            self.addAlgorithm(PlatsaAlgorithm(cmd, binary))
