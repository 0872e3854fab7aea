"""Geoid undulations (EGM96, EGM2008): heights above the geoid → heights above the WGS84 ellipsoid.

SRTM and Copernicus GLO-30 heights are orthometric (above the EGM96 / EGM2008 geoid); the
range–Doppler geometry needs ellipsoidal heights ``h = H + N``, ``N`` the geoid undulation
(at Terceira, Azores, N ≈ +58 m: left out, it would move a point by ~20 range samples).

Where the geoid comes from, tried in this order by :func:`geoid_undulation`:

1. **A grid file you name** (``grid_path``): any GDAL raster of undulations in metres on a
   geographic CRS, e.g. PROJ's ``us_nga_egm96_15.tif`` / ``us_nga_egm08_25.tif`` (from
   https://cdn.proj.org, open licence) or a GeographicLib-derived GeoTIFF. Bilinear in lon/lat.
2. **PROJ's own transformation** (pyproj, ``EPSG:4326+5773`` or ``+3855`` → ``EPSG:4979``),
   used only when PROJ finds the grid: installed in a PROJ data folder (``projsync --file
   us_nga_egm96_15.tif`` puts it in ``pyproj.sync.get_user_data_dir()``) or fetched by PROJ
   itself when its network access is on (``PROJ_NETWORK=ON``). PROJ's fallback without the
   grid is a "ballpark" transformation that adds **zero** — it is refused here, never used.
3. **The** ``egm96`` **PyPI package** (EGM96 only; it bundles the full 5′ grid, 3 MB; needs
   Python ≥ 3.12): ``pip install egm96``.

Nothing is downloaded by gfjax. With none available, :class:`GeoidUnavailableError` says what
was tried and how to get a grid. Measured here (this project's CI machine: no PROJ grid, no
access to cdn.proj.org, Python 3.11): none of 2 and 3 is present, so a geoid-referenced DEM needs
``grid_path``; the ``egm96`` 5′ grid reproduces NGA's published EGM96 check values (NGA's
``OUTINTPT.DAT``) to ≤ 5 mm (tests/test_io_dem.py), and the same grid written as a PROJ grid
(``us_nga_egm96_15.tif`` in a PROJ data folder) makes route 2 give the package's values to 1e-11 m
(N = +57.81 m at Terceira, 38.66 N 27.20 W).
"""
from __future__ import annotations

import importlib
import warnings
from os import PathLike
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["GEOID_MODELS", "GeoidUnavailableError", "geoid_source", "geoid_undulation", "to_ellipsoid"]

# model → (EPSG code of its vertical CRS, PROJ grid name)
GEOID_MODELS = {"egm96": (5773, "us_nga_egm96_15.tif"), "egm2008": (3855, "us_nga_egm08_25.tif")}
VERTICAL_DATUMS = ("egm96", "egm2008", "ellipsoid")


class GeoidUnavailableError(RuntimeError):
    """No geoid model could be found for a geoid-referenced DEM."""


def _check_model(model: str) -> str:
    m = str(model).lower()
    if m not in GEOID_MODELS:
        raise ValueError(f"geoid model must be one of {sorted(GEOID_MODELS)}, got {model!r}")
    return m


def _grid_file(path: str | PathLike[str], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Bilinear undulation (m) from a geographic raster of undulations."""
    import rasterio
    from rasterio.windows import Window
    from scipy.ndimage import map_coordinates

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"geoid grid {path}: file not found")
    with rasterio.open(path) as src:
        if src.crs is None or not src.crs.is_geographic:
            raise ValueError(f"{path}: geoid grid must be on a geographic (lon/lat) CRS, got {src.crs}")
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise ValueError(f"{path}: geoid grid must not be rotated, got transform {t!r}")
        # read only the rows/columns around the points (a global 1′ grid is 800 MB)
        lon_w = (lon - src.bounds.left) % 360.0 + src.bounds.left   # wrap into the grid's span
        col = (lon_w - t.c) / t.a - 0.5
        row = (lat - t.f) / t.e - 0.5
        if np.any((row < -0.5) | (row > src.height - 0.5)) or np.any(col < -0.5) or np.any(col > src.width - 0.5):
            raise ValueError(f"{path}: geoid grid (bounds {tuple(src.bounds)}) does not cover the points "
                             f"(lat {lat.min():.3f}…{lat.max():.3f}, lon {lon.min():.3f}…{lon.max():.3f})")
        r0, r1 = int(max(np.floor(row.min()) - 1, 0)), int(min(np.ceil(row.max()) + 2, src.height))
        c0, c1 = int(max(np.floor(col.min()) - 1, 0)), int(min(np.ceil(col.max()) + 2, src.width))
        values = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), out_dtype=np.float64)
        nodata = src.nodata
    if nodata is not None:
        values[values == nodata] = np.nan
    out: np.ndarray = map_coordinates(values, [row - r0, col - c0], order=1, mode="nearest")
    if np.isnan(out).any():
        raise ValueError(f"{path}: geoid grid has no data at some of the points")
    return out


def _proj_available(model: str) -> bool:
    from pyproj.transformer import TransformerGroup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # "best transformation is not available"
        group = TransformerGroup(f"EPSG:4326+{GEOID_MODELS[model][0]}", "EPSG:4979", always_xy=True)
    return bool(group.best_available and group.transformers)


def _proj(model: str, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from pyproj import Transformer

    tr = Transformer.from_crs(f"EPSG:4326+{GEOID_MODELS[model][0]}", "EPSG:4979", always_xy=True,
                              only_best=True)
    _, _, h = tr.transform(lon, lat, np.zeros_like(lat))
    return np.asarray(h, np.float64)


def _egm96_package() -> ModuleType | None:
    try:
        egm96 = importlib.import_module("egm96")   # optional, not installable on Python 3.11: no stub to find
    except ImportError:
        return None
    return egm96 if hasattr(egm96, "undulation") else None   # 0.1.0 on PyPI is an empty placeholder


def geoid_source(model: str, grid_path: str | PathLike[str] | None = None) -> str:
    """Which source :func:`geoid_undulation` would use: ``"file"``, ``"proj"`` or ``"egm96-package"``."""
    model = _check_model(model)
    if grid_path is not None:
        return "file"
    if _proj_available(model):
        return "proj"
    if model == "egm96" and _egm96_package() is not None:
        return "egm96-package"
    name = GEOID_MODELS[model][1]
    raise GeoidUnavailableError(
        f"no {model.upper()} geoid grid available to convert the DEM's heights to the ellipsoid: tried "
        f"PROJ's grid {name} (not in the PROJ data folders, PROJ network access off or unreachable)"
        + (" and the egm96 package (not installed; Python ≥ 3.12)" if model == "egm96" else "")
        + f". Give the grid file (dem geoid_path=/path/{name}, from https://cdn.proj.org/{name}), "
        f"or run `projsync --file {name}`, or set PROJ_NETWORK=ON when online"
        + (", or `pip install egm96`" if model == "egm96" else "")
        + "; a DEM already above the ellipsoid takes vertical datum 'ellipsoid'")


def geoid_undulation(lat_deg: ArrayLike, lon_deg: ArrayLike, model: str = "egm96",
                     grid_path: str | PathLike[str] | None = None) -> np.ndarray:
    """Geoid height above the WGS84 ellipsoid (m, float64) at geodetic latitudes/longitudes (degrees)."""
    model = _check_model(model)
    lat, lon = np.broadcast_arrays(np.asarray(lat_deg, np.float64), np.asarray(lon_deg, np.float64))
    kind = geoid_source(model, grid_path)
    if kind == "file":
        assert grid_path is not None                  # "file" only when a grid is given
        out = _grid_file(grid_path, lat.ravel(), lon.ravel())
    elif kind == "proj":
        out = _proj(model, lat.ravel(), lon.ravel())
    else:
        package = _egm96_package()
        assert package is not None                    # "egm96-package" only when it is there
        out = np.asarray(package.undulation(lat.ravel(), lon.ravel()), np.float64)
    return out.reshape(lat.shape)


def to_ellipsoid(height_m: ArrayLike, lat_deg: ArrayLike, lon_deg: ArrayLike, vertical_datum: str,
                 grid_path: str | PathLike[str] | None = None) -> np.ndarray:
    """Heights above the WGS84 ellipsoid from heights in ``vertical_datum`` ("egm96", "egm2008", "ellipsoid")."""
    datum = str(vertical_datum).lower()
    if datum not in VERTICAL_DATUMS:
        raise ValueError(f"DEM vertical datum must be one of {list(VERTICAL_DATUMS)}, got {vertical_datum!r}")
    h = np.asarray(height_m, np.float64)
    if datum == "ellipsoid":
        return h
    ellipsoidal: np.ndarray = h + geoid_undulation(lat_deg, lon_deg, datum, grid_path)
    return ellipsoidal
