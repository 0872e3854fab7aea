"""Moved to :mod:`gfjax.io.msbas_maps` and :mod:`gfjax.io.msbas_outputs` (issue 13); an alias."""
from gfjax.io.msbas_maps import MapReadError, read_map  # noqa: F401
from gfjax.io.msbas_outputs import AtomicOutputs  # noqa: F401
