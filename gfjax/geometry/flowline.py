"""A glacier flowline: samples ``x``, ``y`` (m) with their distance from the head, and the
nearest-point projection of map cells onto it (geometry ring, NumPy/SciPy)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Flowline:
    """Flowline samples ``x``, ``y`` (m, in the map grid's CRS; EPSG:32605 for Muldrow) and
    ``distance_m`` from the head (m)."""

    x: np.ndarray
    y: np.ndarray
    distance_m: np.ndarray

    @property
    def length_m(self) -> float:
        return float(self.distance_m[-1])

    @cached_property
    def tangent(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit flow direction (north, east) at each sample, pointing toward the terminus."""
        tn = np.gradient(self.y, self.distance_m)
        te = np.gradient(self.x, self.distance_m)
        norm = np.hypot(tn, te)
        return tn / norm, te / norm

    def sample(self, distance_m) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) m at the given distances from the head (clipped to the flowline)."""
        d = np.clip(np.asarray(distance_m, dtype=np.float64), 0.0, self.length_m)
        return np.interp(d, self.distance_m, self.x), np.interp(d, self.distance_m, self.y)

    def direction(self, distance_m) -> tuple[np.ndarray, np.ndarray]:
        """Unit flow direction (north, east) at the given distances (interpolated, renormalised)."""
        tn, te = self.tangent
        n = np.interp(distance_m, self.distance_m, tn)
        e = np.interp(distance_m, self.distance_m, te)
        norm = np.hypot(n, e)
        return n / norm, e / norm

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.x, self.y]))

    def project(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Nearest flowline point of map points: (distance along flowline m, distance to it m)."""
        x = np.asarray(x, dtype=np.float64)
        pts = np.column_stack([x.ravel(), np.asarray(y, dtype=np.float64).ravel()])
        dist, idx = self._tree.query(pts)
        return self.distance_m[idx].reshape(x.shape), dist.reshape(x.shape)
