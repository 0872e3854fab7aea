"""An MSBAS v10 input folder (``header.txt`` + list files + GeoTIFF maps, as
:func:`gfjax.io.msbas_export.export_msbas` writes them) as a data source of the pipeline:
``python -m gfjax.run +experiment=msbas_inputs data.path=<folder>/header.txt`` runs the stages
msbas and products on the maps the header lists (no tracking, no geocoding).

Next to ``header.txt`` (all optional, on the grid of the maps' WINDOW_SIZE, as in a stack folder,
:mod:`gfjax.io.stack`)::

    dem.tif (or dem + dem.par)   DEM, m: needed only with msbas.dim=4 (surface gradients)
    ice_mask.tif / ice_outline.geojson   the ice (default: every cell)
    flowline.geojson             flowline products and figures

The maps become the map stack the geocode stage writes (:func:`map_stack`, the layout of
``work/geocode-*/maps.nc``), so the msbas stage runs unchanged. The inversion settings are the
``msbas.*`` options of the run (the header's R_FLAG / MC_FLAG / C_FLAG are not used).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..geometry.grid import MapGrid
from .msbas_export import MsbasInputs, read_msbas_inputs
from .stack_rasters import StackError, load_dem, load_flowline, load_ice

__all__ = ["MsbasScene", "dem_file", "load_msbas_scene", "map_stack"]

KIND_NAMES = {0: "range", 1: "azimuth"}


def dem_file(folder: Path) -> Path | None:
    """The DEM next to a header (``dem.tif`` or ``dem`` + ``dem.par``), or None."""
    for name in ("dem.tif", "dem"):
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


@dataclass(eq=False)
class MsbasScene:
    """The scene duck type for the msbas and products stages: grid, ice mask, DEM (when
    given), flowline; no tracks (nothing to track or geocode), no truth."""

    path: Path  # header.txt
    inputs: MsbasInputs = field(repr=False)
    grid: MapGrid
    ice_mask: np.ndarray = field(repr=False)
    outline_xy: np.ndarray | None = None
    holes_xy: list = field(default_factory=list)
    flowline: object | None = None
    tracks: dict = field(default_factory=dict)
    has_truth = False

    @property
    def has_dem(self) -> bool:
        return dem_file(self.path.parent) is not None

    @cached_property
    def dem(self) -> np.ndarray:
        if not self.has_dem:
            raise StackError(f"{self.path.parent}: DEM missing (dem.tif, or dem + dem.par, on the maps' grid): "
                             "msbas.dim=4 needs it for the surface gradients; add it or set msbas.dim=3")
        return load_dem(self.path.parent, self.grid)

    @property
    def first_time(self) -> float:
        return float(self.inputs.t_master.min())

    @property
    def last_time(self) -> float:
        return float(self.inputs.t_slave.max())


def map_stack(inputs: MsbasInputs, grid: MapGrid):
    """The maps of an MSBAS folder as the geocode stage's map stack (``displacement`` (map, y, x),
    ``set_index``, ``t_master``, ``t_slave``, ``pair``, ``track`` = the set's list-file stem,
    ``kind``, ``set_vector`` (set, neu), ``set_track``, ``set_kind``; grid attached)."""
    import xarray as xr

    from .netcdf import attach_grid

    sets = inputs.header.sets
    names = [Path(s.list_file).stem for s in sets]
    kinds = [KIND_NAMES[int(s.kind)] for s in sets]
    idx = np.asarray(inputs.set_index, np.int32)
    pair = np.zeros(idx.size, np.int32)
    for s in range(len(sets)):
        pair[idx == s] = np.arange(int((idx == s).sum()))
    ds = xr.Dataset(
        {"displacement": (("map", "y", "x"), np.asarray(inputs.maps, np.float32),
                          {"units": "m", "long_name": "displacement along the set's projection vector "
                                                      "(range: toward the satellite)"})},
        coords={"track": ("map", [names[i] for i in idx]), "kind": ("map", [kinds[i] for i in idx]),
                "set_index": ("map", idx), "t_master": ("map", np.asarray(inputs.t_master, np.float64)),
                "t_slave": ("map", np.asarray(inputs.t_slave, np.float64)), "pair": ("map", pair),
                "set_vector": (("set", "neu"), np.asarray(inputs.set_vectors, np.float64)),
                "set_track": ("set", names), "set_kind": ("set", kinds)},
        attrs={"source": f"MSBAS inputs {inputs.header.path}", "grid_spacing_m": grid.spacing})
    return attach_grid(ds, grid)


def load_msbas_scene(header) -> MsbasScene:
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
    return MsbasScene(path, inputs, inputs.grid, mask, outline, holes, load_flowline(folder))
