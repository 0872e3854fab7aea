"""Map grids: a north-up raster in a projected CRS (metres), the common grid of all products."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class MapGrid:
    """North-up grid of ``ny`` rows × ``nx`` columns of square cells of ``spacing`` metres.

    ``x0``/``y0`` are the west/north *edges* (metres, in ``epsg``); row 0 is the northernmost.
    Cell centres are ``x = x0 + (col + 0.5) * spacing`` and ``y = y0 - (row + 0.5) * spacing``.
    """

    epsg: int
    x0: float
    y0: float
    spacing: float
    nx: int
    ny: int

    def __post_init__(self) -> None:
        if self.spacing <= 0:
            raise ValueError(f"MapGrid.spacing must be > 0 m, got {self.spacing}")
        if self.nx < 1 or self.ny < 1:
            raise ValueError(f"MapGrid must have at least one cell, got ny={self.ny}, nx={self.nx}")

    @classmethod
    def from_bounds(cls, epsg: int, xmin: float, ymin: float, xmax: float, ymax: float,
                    spacing: float) -> "MapGrid":
        """Smallest grid aligned on multiples of ``spacing`` that covers the bounds."""
        x0 = np.floor(xmin / spacing) * spacing
        y0 = np.ceil(ymax / spacing) * spacing
        nx = int(np.ceil((xmax - x0) / spacing))
        ny = int(np.ceil((y0 - ymin) / spacing))
        return cls(int(epsg), float(x0), float(y0), float(spacing), max(nx, 1), max(ny, 1))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the outer edges, metres."""
        return (self.x0, self.y0 - self.ny * self.spacing, self.x0 + self.nx * self.spacing, self.y0)

    @cached_property
    def x(self) -> np.ndarray:
        """Easting of column centres, metres (nx,)."""
        return self.x0 + (np.arange(self.nx) + 0.5) * self.spacing

    @cached_property
    def y(self) -> np.ndarray:
        """Northing of row centres, metres (ny,), decreasing."""
        return self.y0 - (np.arange(self.ny) + 0.5) * self.spacing

    def meshgrid(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y) easting/northing of every cell centre, each (ny, nx)."""
        return np.meshgrid(self.x, self.y)

    def fractional_index(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of map coordinates as fractional indices (0 = first cell centre)."""
        col = (np.asarray(x) - self.x0) / self.spacing - 0.5
        row = (self.y0 - np.asarray(y)) / self.spacing - 0.5
        return row, col

    @property
    def transform(self):
        """rasterio ``Affine`` of the grid (pixel corner convention)."""
        from rasterio.transform import Affine

        return Affine(self.spacing, 0.0, self.x0, 0.0, -self.spacing, self.y0)

    @property
    def crs(self):
        """``pyproj.CRS`` of the grid; ``ValueError`` if ``epsg`` is unknown to pyproj."""
        from .crs import crs_from_epsg

        return crs_from_epsg(self.epsg)

    @classmethod
    def from_transform(cls, transform, crs, width: int, height: int, name: str = "raster") -> "MapGrid":
        """MapGrid of a north-up raster with square cells (rasterio ``Affine`` + CRS).

        ``ValueError`` naming ``name`` when the raster is rotated, south-up, has non-square
        cells, or its CRS has no EPSG code.
        """
        from pyproj import CRS

        a, b, c, d, e, f = (transform.a, transform.b, transform.c,
                            transform.d, transform.e, transform.f)
        if b != 0 or d != 0 or a <= 0 or e >= 0:
            raise ValueError(f"{name}: transform must be north-up (b = d = 0, a > 0, e < 0), got {transform!r}")
        if not np.isclose(a, -e, rtol=1e-9, atol=0.0):
            raise ValueError(f"{name}: cells must be square, got {a} x {-e} m")
        epsg = CRS.from_user_input(crs).to_epsg() if crs is not None else None
        if epsg is None:
            raise ValueError(f"{name}: CRS must have an EPSG code, got {crs!r}")
        return cls(int(epsg), float(c), float(f), float(a), int(width), int(height))

    def overlaps(self, other: "MapGrid") -> bool:
        """True if the two grids (same EPSG assumed) share some area."""
        ax0, ay0, ax1, ay1 = self.bounds
        bx0, by0, bx1, by1 = other.bounds
        return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1

    def cf_grid_mapping(self) -> dict:
        """CF ``grid_mapping`` attributes (with ``crs_wkt`` and ``spatial_ref``)."""
        attrs = dict(self.crs.to_cf())
        attrs["spatial_ref"] = attrs.get("crs_wkt", self.crs.to_wkt())
        attrs["GeoTransform"] = " ".join(str(v) for v in self.transform.to_gdal())
        return attrs

    def to_dict(self) -> dict:
        return dict(epsg=self.epsg, x0=self.x0, y0=self.y0, spacing=self.spacing, nx=self.nx, ny=self.ny)
