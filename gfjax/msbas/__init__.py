"""MSBAS multidimensional time-series inversion (Samsonov 2022; MSBAS v10 conventions).

``invert_maps`` (in memory, api.py), ``python -m gfjax.msbas header.txt`` (cli.py),
``lcurve`` / ``plot_lcurve`` (lcurve.py), ``MsbasOptions`` (options.py).
"""
from gfjax.msbas.api import invert_maps
from gfjax.msbas.options import MsbasOptions

__all__ = ["invert_maps", "MsbasOptions"]
