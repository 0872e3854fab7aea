"""Sentinel-1 IW SLC metadata (compatibility names): :mod:`gfjax.io.safe` reads it now, through xarray-sentinel.

``read_sentinel1(path, swath, polarisation)`` is :func:`gfjax.io.safe.read_swath` and
``Sentinel1Swath`` is :class:`gfjax.io.safe.SafeSwath` (the same fields as before, plus the
orbit, Doppler centroid, FM rate, geolocation grid and a windowed reader).
"""
from __future__ import annotations

from .safe import Burst, SafeSwath, Sentinel1Error, find_annotations, read_swath, relative_orbit

Sentinel1Swath = SafeSwath
read_sentinel1 = read_swath

__all__ = ["Burst", "Sentinel1Error", "Sentinel1Swath", "find_annotations", "read_sentinel1", "relative_orbit"]
