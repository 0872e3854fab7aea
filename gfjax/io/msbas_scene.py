"""An MSBAS v10 input folder (``header.txt`` + list files + GeoTIFF maps, as
:func:`gfjax.io.msbas_export.export_msbas` writes them) as a data source of the pipeline:
``python -m gfjax.run +experiment=msbas_inputs data.path=<folder>/header.txt`` runs the stages
msbas and products on the maps the header lists (no tracking, no geocoding).

Next to ``header.txt`` (all optional, on the grid of the maps' WINDOW_SIZE, as in a stack folder,
:mod:`gfjax.io.stack`)::

    dem.tif (or dem + dem.par)   DEM, m: needed only with msbas.dim=4 and no DD_NSEW_FILES
    ice_mask.tif / ice_outline.geojson   the ice (default: every cell)
    flowline.geojson             flowline products and figures

The maps become the map stack the geocode stage writes (:func:`map_stack`, the layout of
``work/geocode-*/maps.nc``; a 7-field SET's per-pixel vectors as ``set_vector`` (set, neu, y, x)),
read as ``python -m gfjax.msbas`` reads them (FORMAT=2, r fills holes; v10's vectors, passes,
DD_NSEW_FILES slopes and dimension: :attr:`MsbasScene.geometry`, gfjax/io/msbas_geometry.py).
The experiment leaves ``msbas.dim`` / ``order`` / ``lam`` / ``min_coverage`` / ``calibration``
null: the msbas stage then follows v10's dimension and the header's R_FLAG / MC_FLAG / C_FLAG
and DD_NSEW_FILES as ``python -m gfjax.msbas header.txt`` does (same code,
gfjax/msbas/header_flags.py); a value given on the command line overrides the header's.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..geometry.grid import MapGrid
from .msbas_export import MsbasInputs, read_msbas_inputs
from .stack_rasters import StackError, load_dem, load_flowline, load_ice

if TYPE_CHECKING:
    import xarray as xr

    from .msbas_geometry import HeaderGeometry

    from ..protocols import Flowline

__all__ = ["MsbasScene", "dem_file", "load_autorift_scene", "load_msbas_scene", "map_stack", "stack_dataset"]

KIND_NAMES = {0: "range", 1: "azimuth"}


def dem_file(folder: str | PathLike[str]) -> Path | None:
    """The DEM next to a header (``dem.tif`` or ``dem`` + ``dem.par``), or None."""
    for name in ("dem.tif", "dem"):
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


@dataclass(eq=False)
class MsbasScene:
    """The scene duck type for the msbas and products stages: grid, ice mask, DEM (when
    given), flowline and the map stack; no tracks (nothing to track or geocode), no truth."""

    path: Path  # header.txt (or the folder of autoRIFT products)
    stack: xr.Dataset = field(repr=False)  # the map stack (map_stack's layout)
    grid: MapGrid
    ice_mask: np.ndarray = field(repr=False)
    outline_xy: np.ndarray | None = None
    holes_xy: list[np.ndarray] = field(default_factory=list)
    flowline: Flowline | None = None  # gfjax.protocols.Flowline
    folder: Path | None = None  # where dem.tif / ice_mask.tif / flowline.geojson are looked for
    tracks: dict[str, Any] = field(default_factory=dict)
    geometry: HeaderGeometry | None = None  # MSBAS header: passes, DD_NSEW_FILES slopes, v10's dimension
    has_truth = False

    def map_stack(self) -> xr.Dataset:
        return self.stack.copy(deep=True)

    @property
    def has_dem(self) -> bool:
        return self.folder is not None and dem_file(self.folder) is not None

    @cached_property
    def dem(self) -> np.ndarray:
        if not self.has_dem:
            raise StackError(f"{self.folder}: DEM missing (dem.tif, or dem + dem.par, on the maps' grid): "
                             "msbas.dim=4 needs it for the surface gradients; add it or set msbas.dim=3")
        assert self.folder is not None              # has_dem
        return load_dem(self.folder, self.grid)

    @property
    def first_time(self) -> float:
        return float(self.stack["t_master"].values.min())

    @property
    def last_time(self) -> float:
        return float(self.stack["t_slave"].values.max())


def map_stack(inputs: MsbasInputs, grid: MapGrid) -> xr.Dataset:
    """The maps of an MSBAS folder as the geocode stage's map stack (``displacement`` (map, y, x),
    ``set_index``, ``t_master``, ``t_slave``, ``pair``, ``track`` = the set's list-file stem,
    ``kind``, ``set_vector`` (set, neu) — (set, neu, y, x) with a 7-field SET's per-pixel look
    angles —, ``set_track``, ``set_kind``; grid attached)."""
    sets = inputs.header.sets
    return stack_dataset(inputs.maps, inputs.set_index, inputs.t_master, inputs.t_slave, inputs.set_vectors,
                         [Path(s.list_file).stem for s in sets], [KIND_NAMES[int(s.kind)] for s in sets], grid,
                         f"MSBAS inputs {inputs.header.path}")


def stack_dataset(maps: ArrayLike, set_index: ArrayLike, t_master: ArrayLike, t_slave: ArrayLike,
                  set_vectors: ArrayLike, names: Sequence[str], kinds: Sequence[str], grid: MapGrid,
                  source: str) -> xr.Dataset:
    """Maps (M, ny, nx) m along their set's vector ((S, 3), or (S, 3, ny, nx) per pixel) → the
    geocode stage's map stack layout."""
    import xarray as xr

    from .netcdf import attach_grid

    idx = np.asarray(set_index, np.int32)
    pair = np.zeros(idx.size, np.int32)
    for s in range(len(names)):
        pair[idx == s] = np.arange(int((idx == s).sum()))
    ds = xr.Dataset(
        {"displacement": (("map", "y", "x"), np.asarray(maps, np.float32),
                          {"units": "m", "long_name": "displacement along the set's projection vector "
                                                      "(range: toward the satellite)"})},
        coords={"track": ("map", [names[i] for i in idx]), "kind": ("map", [kinds[i] for i in idx]),
                "set_index": ("map", idx), "t_master": ("map", np.asarray(t_master, np.float64)),
                "t_slave": ("map", np.asarray(t_slave, np.float64)), "pair": ("map", pair),
                "set_vector": (("set", "neu", "y", "x")[:np.ndim(set_vectors)], np.asarray(set_vectors, np.float64)),
                "set_track": ("set", list(names)), "set_kind": ("set", list(kinds))},
        attrs={"source": source, "grid_spacing_m": grid.spacing})
    return attach_grid(ds, grid)


def load_msbas_scene(header: str | PathLike[str]) -> MsbasScene:
    """Read ``header`` (MSBAS v10 ``header.txt``) and its maps; the grid is the maps' (their
    GeoTIFF transform and CRS, cropped to WINDOW_SIZE). ``StackError`` names what is wrong."""
    path = Path(header)
    if not path.is_file():
        raise StackError(f"{path}: MSBAS header not found")
    try:
        inputs = read_msbas_inputs(path)
    except (OSError, ValueError) as err:
        raise StackError(str(err)) from None
    if inputs.grid is None:
        raise StackError(f"{path}: the maps ({inputs.names[0]}) have no georeferencing (GeoTIFF transform and "
                         "CRS): the products need the map grid")
    folder = path.parent
    mask, outline, holes = load_ice(folder, inputs.grid)
    return MsbasScene(path, map_stack(inputs, inputs.grid), inputs.grid, mask, outline, holes,
                      load_flowline(folder), folder, geometry=inputs.geometry)


def load_autorift_scene(folder: str | PathLike[str]) -> MsbasScene:
    """HyP3 autoRIFT products (``<folder>/*.nc``, :func:`gfjax.io.autorift.read_autorift`) as
    two sets of maps: north and east displacement (``vy``, ``vx`` × the pair's time span, m;
    projection vectors (1, 0, 0) and (0, 1, 0)); the vertical is not measured (msbas.dim=4 with
    a DEM adds surface-parallel flow). Grid: ``grid.yaml`` / ``dem.tif`` in the folder, else the
    first product's; products on another grid are warped onto it, their velocities rotated
    into its east/north."""
    from ..core.time import decimal_year
    from .autorift import read_autorift
    from .netcdf import grid_from_dataset
    from .stack_rasters import load_grid

    root = Path(folder)
    if not root.is_dir():
        raise StackError(f"{root}: autoRIFT folder not found")
    files = sorted(root.glob("*.nc"))
    if not files:
        raise StackError(f"{root}: no autoRIFT product (*.nc)")
    try:
        if (root / "grid.yaml").is_file() or dem_file(root) is not None:
            grid = load_grid(root)
        else:
            grid = grid_from_dataset(read_autorift(files[0]), str(files[0]))
        maps: list[tuple[np.ndarray, np.ndarray]] = []
        t1: list[float] = []
        t2: list[float] = []
        seen: dict[tuple[np.datetime64, np.datetime64], str] = {}
        for f in files:
            native = read_autorift(f)
            ds = native if grid_from_dataset(native, str(f)) == grid else read_autorift(f, grid=grid)
            # numpy's stubs lack np.datetime64(<0-d datetime64 array>, unit), which numpy accepts
            a, b = (np.datetime64(ds[k].values, "s")  # type: ignore[call-overload]
                    for k in ("acquisition_date_img1", "acquisition_date_img2"))
            if b <= a:
                raise StackError(f"{f}: acquisition_date_img2 {b} is not after acquisition_date_img1 {a}")
            if (a, b) in seen:
                raise StackError(f"{f}: same pair {a} – {b} as {seen[(a, b)]}; keep one")
            seen[(a, b)] = f.name
            ya, yb = decimal_year(np.array([a, b], dtype="datetime64[s]"))
            maps.append((ds["vy"].values * (yb - ya), ds["vx"].values * (yb - ya)))
            t1.append(float(ya))
            t2.append(float(yb))
    except ValueError as err:
        raise StackError(str(err)) from None
    n = len(files)
    stack = stack_dataset([m[0] for m in maps] + [m[1] for m in maps], [0] * n + [1] * n, t1 + t1, t2 + t2,
                          [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], ["autorift_north", "autorift_east"],
                          ["north", "east"], grid, f"HyP3 autoRIFT products {root}")
    mask, outline, holes = load_ice(root, grid)
    return MsbasScene(root, stack, grid, mask, outline, holes, load_flowline(root), root)
