"""MSBAS multidimensional time-series inversion (Samsonov 2022; MSBAS v10 conventions).

Modules (rings: kernel = pure JAX, one pixel; driver = NumPy / I/O):

- network.py   epochs, interval spans, common window + boundary factors, decimal years (NumPy)
- banded.py    symmetric banded LDLᵀ / solve / matvec / Lanczos extreme eigenvalues (kernel)
- solver.py    block-banded normal equations of one pixel, SPF + Tikhonov, ridge + refinement
- rank.py      rank of the un-regularised data rows (float64 pivot count)       (kernel)
- rates.py     OLS linear rate, its standard error and R²                       (kernel)
- pixel.py     the whole inversion of ONE pixel (vmapped by api.py)             (kernel)
- api.py       ``invert_maps(...) -> xarray.Dataset``: blocks from a memory budget, pixel mesh
- lcurve.py    ``lcurve(...)`` one-pass L-curve over λ candidates, ``plot_lcurve(result, path)``
- v10.py       MSBAS v10's preprocessing rules (passes, dimension, statistics, C_FLAG, z-score mask)
- cli.py, __main__.py: ``python -m gfjax.msbas header.txt`` (drop-in for MSBAS v10); its file I/O
  is in gfjax/io/msbas_header.py, msbas_maps.py, msbas_outputs.py (header.py and geotiff.py here
  are aliases of those)
- calibration.py  C_FLAG-like calibration of the pipeline's map stack
- options.py   ``MsbasOptions`` (OmegaConf-compatible)
- synthetic.py two-track network and maps from known velocities (tests, benchmark)
"""
from gfjax.msbas.api import invert_maps
from gfjax.msbas.options import MsbasOptions

__all__ = ["invert_maps", "MsbasOptions"]
