"""The map-grid inputs of a stack folder (:mod:`gfjax.io.stack`): grid, DEM, ice mask,
flowline and each track's map → radar lookup table. Each must lie on the one map grid; errors
(:class:`StackError`) name the file and what differs."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..geometry.grid import MapGrid

if TYPE_CHECKING:
    from ..geometry.flowline import Flowline


class StackError(ValueError):
    """The stack folder does not follow the layout; the message names the file and field."""


def read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise StackError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(doc, dict):
        raise StackError(f"{path}: expected a mapping of keys to values")
    return doc


def load_grid(root: Path) -> MapGrid:
    path = root / "grid.yaml"
    if path.is_file():
        doc = read_yaml(path)
        missing = [k for k in ("epsg", "bounds", "spacing") if k not in doc]
        if missing:
            raise StackError(f"{path}: field(s) {missing} missing (epsg, bounds [xmin, ymin, xmax, ymax], spacing)")
        try:
            bounds, spacing, epsg = [float(v) for v in doc["bounds"]], float(doc["spacing"]), int(doc["epsg"])
        except (TypeError, ValueError):
            raise StackError(f"{path}: fields epsg (integer), bounds (4 numbers), spacing (m) expected, got "
                             f"{doc['epsg']!r}, {doc['bounds']!r}, {doc['spacing']!r}") from None
        if len(bounds) != 4 or bounds[0] >= bounds[2] or bounds[1] >= bounds[3] or not spacing > 0:
            raise StackError(f"{path}: fields 'bounds'/'spacing': expected [xmin, ymin, xmax, ymax] and a "
                             f"spacing > 0 m, got {doc['bounds']}, {doc['spacing']}")
        # the grid's edges: bounds on multiples of the spacing (to 1e-6 cell) stay where they are
        x0 = np.floor(bounds[0] / spacing + 1e-6) * spacing
        y0 = np.ceil(bounds[3] / spacing - 1e-6) * spacing
        nx = int(np.ceil((bounds[2] - x0) / spacing - 1e-6))
        ny = int(np.ceil((y0 - bounds[1]) / spacing - 1e-6))
        return MapGrid(epsg, float(x0), float(y0), spacing, nx, ny)
    if (root / "dem.tif").is_file():
        from .geotiff import read_geotiff

        return read_geotiff(root / "dem.tif", band=1)[1]
    raise StackError(f"{root}: no grid.yaml and no dem.tif to define the map grid")


def same_grid(a: MapGrid, b: MapGrid) -> bool:
    return bool(a.epsg == b.epsg and a.shape == b.shape and np.isclose(a.spacing, b.spacing)
                and np.isclose(a.x0, b.x0, atol=1e-3 * a.spacing) and np.isclose(a.y0, b.y0, atol=1e-3 * a.spacing))


def raster_on_grid(path: Path, grid: MapGrid, what: str) -> np.ndarray:
    """A GeoTIFF (all bands) that must lie on ``grid``."""
    from .geotiff import read_geotiff

    data, g = read_geotiff(path)
    if not same_grid(g, grid):
        raise StackError(f"{path}: the {what} is not on the map grid (EPSG:{g.epsg}, {g.shape} cells of "
                         f"{g.spacing} m at x0={g.x0}, y0={g.y0}; the grid: EPSG:{grid.epsg}, {grid.shape} "
                         f"of {grid.spacing} m at x0={grid.x0}, y0={grid.y0})")
    return data


def load_dem(root: Path, grid: MapGrid) -> np.ndarray:
    if (root / "dem.tif").is_file():
        return raster_on_grid(root / "dem.tif", grid, "DEM").astype(np.float32)
    if (root / "dem").is_file():
        from .gamma import read_dem

        dem, g = read_dem(root / "dem")
        if not same_grid(g, grid):
            raise StackError(f"{root / 'dem.par'}: the DEM is not on the map grid of {root / 'grid.yaml'}")
        return dem
    raise StackError(f"{root}: DEM missing (dem.tif, or dem + dem.par)")


def load_ice(root: Path, grid: MapGrid) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
    """(ice mask, outline exterior or None, holes)."""
    if (root / "ice_mask.tif").is_file():
        m = raster_on_grid(root / "ice_mask.tif", grid, "ice mask")
        mask = np.isfinite(m) & (m > 0.5)
        outline: np.ndarray | None = None
        holes: list[np.ndarray] = []
    elif (root / "ice_outline.geojson").is_file():
        from ..geometry.outline import load_outline_rings, rasterize_polygon

        path = root / "ice_outline.geojson"
        outline, holes, epsg = load_outline_rings(path)
        if epsg is not None and int(epsg) != grid.epsg:
            raise StackError(f"{path}: outline in EPSG:{epsg}, the map grid is EPSG:{grid.epsg}")
        mask = rasterize_polygon(grid, outline, holes)
    else:
        return np.ones(grid.shape, bool), None, []
    if not mask.any():
        raise StackError(f"{root}: the ice mask has no ice cell on the map grid")
    return mask, outline, holes


def load_flowline(root: Path) -> Flowline | None:
    path = root / "flowline.geojson"
    if not path.is_file():
        return None
    from ..geometry.flowline import Flowline  # noqa: F811 (the run-time import of the annotation's class)

    doc = json.loads(path.read_text())
    geom = doc.get("features", [doc])[0] if doc.get("type") == "FeatureCollection" else doc
    geom = geom.get("geometry", geom)
    if geom.get("type") != "LineString" or len(geom.get("coordinates", [])) < 2:
        raise StackError(f"{path}: expected a LineString (head → terminus) with at least 2 points")
    xy = np.asarray(geom["coordinates"], np.float64)[:, :2]
    dist = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    return Flowline(xy[:, 0], xy[:, 1], dist)


def load_lut(folder: Path, grid: MapGrid, shape: Sequence[int],
             looks: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    if (folder / "lut.tif").is_file():
        path = folder / "lut.tif"
        lut = raster_on_grid(path, grid, "lookup table")
        if lut.ndim != 3 or lut.shape[0] != 2:
            raise StackError(f"{path}: expected 2 bands (azimuth px, range px), got {lut.shape}")
        az, rg = lut[0], lut[1]
    elif (folder / "lut.nc").is_file():
        from .netcdf import read_netcdf

        path = folder / "lut.nc"
        ds, g = read_netcdf(path)
        if not same_grid(g, grid):
            raise StackError(f"{path}: the lookup table is not on the map grid")
        if "azimuth_px" not in ds or "range_px" not in ds:
            raise StackError(f"{path}: variables 'azimuth_px' and 'range_px' expected, found {list(ds.data_vars)}")
        az, rg = ds["azimuth_px"].values, ds["range_px"].values
    elif (folder / "lut.lt").is_file():
        from .gamma import read_raw

        path = folder / "lut.lt"
        raw = read_raw(path, grid.shape, ">f4", 2, folder.parent / "grid.yaml",
                       f"the map grid's {grid.ny} lines x {grid.nx} samples, FCOMPLEX", "FCOMPLEX lookup table")
        rg, az = raw[..., 0] * looks[1], raw[..., 1] * looks[0]
        outside = (raw[..., 0] == 0) & (raw[..., 1] == 0)
        az, rg = np.where(outside, np.nan, az), np.where(outside, np.nan, rg)
    else:
        raise StackError(f"{folder}: map → radar lookup table missing (lut.tif, lut.nc or lut.lt)")
    az, rg = np.asarray(az, np.float32), np.asarray(rg, np.float32)
    inside = np.isfinite(az) & np.isfinite(rg)
    if not inside.any():
        raise StackError(f"{path}: no map cell has a radar position")
    if (az[inside].min() < -1 or rg[inside].min() < -1 or az[inside].max() > shape[0]
            or rg[inside].max() > shape[1]):
        raise StackError(f"{path}: radar positions span azimuth {az[inside].min():.1f}…{az[inside].max():.1f}, "
                         f"range {rg[inside].min():.1f}…{rg[inside].max():.1f} px, outside the SLCs' {shape}")
    return az, rg
