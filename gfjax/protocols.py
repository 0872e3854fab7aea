"""What the pipeline stages read from a data source, declared: the contracts every source meets.

A source is opened by :func:`gfjax.pipeline.data.open_scene` from ``data.source``:

======================  ==================================  ==========================
source                  class                               protocols
======================  ==================================  ==========================
synthetic               :class:`gfjax.sim.scene.MuldrowScene`  :class:`RadarScene`, :class:`Truth`
stack                   :class:`gfjax.io.stack.StackScene`     :class:`RadarScene`
msbas, autorift         :class:`gfjax.io.msbas_scene.MsbasScene`  :class:`MapScene`
sentinel1               :class:`gfjax.io.s1_scene.S1Scene`      :class:`RadarScene`
safe_sim                :class:`gfjax.io.s1_scene.S1Scene`      :class:`RadarScene` (truth: the scene's, resampled)
======================  ==================================  ==========================

Every attribute is a read-only property here (a dataclass field satisfies it). Units: map
coordinates in m of the grid's CRS, times in decimal years unless named otherwise. The
Sentinel-1 SAFE source (``data.source=sentinel1``, opened by ``gfjax.pipeline.sentinel1``) also
gives ``geometric_offsets`` (the orbits' offsets), which the offsets stage uses when a scene has
it. A source whose images are on disk is also a :class:`BlockRadarScene`: ``slc_blocks`` gives
the pair as :class:`ImageBlocks` (read a window at a time, :mod:`gfjax.io.blocks`), and the
offsets stage reads only the rows each batch of windows needs. ``tests/typing_sources.py``
has mypy check that each class meets its protocols (``tests/test_protocols.py``).
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from gfjax.geometry.grid import MapGrid

__all__ = ["Acquisition", "BlockRadarScene", "Flowline", "ImageBlocks", "MapScene", "RadarScene", "Scene", "Track",
           "Truth"]


@runtime_checkable
class Acquisition(Protocol):
    """One image of a track as a reader describes it."""

    @property
    def time(self) -> np.datetime64:
        """UTC acquisition time, datetime64[s]."""

    @property
    def shape(self) -> tuple[int, int]:
        """(azimuth lines, range samples) of the image."""


@runtime_checkable
class Track(Protocol):
    """One radar geometry (a relative orbit): its acquisitions, pairs and lookup table."""

    @property
    def name(self) -> str:
        """Track name, e.g. "T065"."""

    @property
    def direction(self) -> str:
        """"ascending" or "descending"."""

    @property
    def heading_deg(self) -> float:
        """Azimuth (flight) direction, degrees clockwise from north."""

    @property
    def incidence_deg(self) -> float:
        """Incidence angle at the scene, degrees."""

    @property
    def azimuth_spacing_m(self) -> float:
        """Azimuth pixel spacing, m."""

    @property
    def range_spacing_m(self) -> float:
        """Slant-range pixel spacing, m."""

    @property
    def times(self) -> np.ndarray:
        """Acquisition times, datetime64[s], sorted."""

    @property
    def decimal_years(self) -> np.ndarray:
        """The same times in decimal years."""

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(reference, secondary) indices into ``times`` of the pairs to track, in order."""

    @property
    def shape(self) -> tuple[int, int]:
        """(azimuth lines, range samples) of the radar images."""

    def map_to_radar(self) -> tuple[np.ndarray, np.ndarray]:
        """(azimuth px, range px) of every map cell in the radar images (NaN outside)."""


@runtime_checkable
class Flowline(Protocol):
    """A line from the glacier's head to its terminus, for profiles and figures."""

    @property
    def x(self) -> np.ndarray:
        """Easting of the samples, m."""

    @property
    def y(self) -> np.ndarray:
        """Northing of the samples, m."""

    @property
    def distance_m(self) -> np.ndarray:
        """Distance of each sample from the head, m."""

    @property
    def length_m(self) -> float:
        """Length, m."""

    def sample(self, distance_m: Any) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) at the distances ``distance_m`` from the head, m."""


class Scene(Protocol):
    """What every stage reads: the map grid, masks and geometry of a source."""

    @property
    def grid(self) -> MapGrid:
        """The common map grid of all products."""

    @property
    def ice_mask(self) -> np.ndarray:
        """(ny, nx) bool on ``grid``: True on the glacier."""

    @property
    def dem(self) -> np.ndarray:
        """(ny, nx) surface elevation on ``grid``, m."""

    @property
    def tracks(self) -> Mapping[str, Any]:
        """The tracks by name (a :class:`Track` each for radar sources)."""

    @property
    def outline_xy(self) -> np.ndarray | None:
        """(N, 2) exterior ring of the glacier outline, m; None = none known."""

    @property
    def holes_xy(self) -> list[Any]:
        """Interior rings of the outline, (M, 2) arrays, m."""

    @property
    def flowline(self) -> Flowline | None:
        """Head-to-terminus line; None = none known (no flowline products)."""

    @property
    def has_truth(self) -> bool:
        """True if the source also implements :class:`Truth` (simulations)."""

    @property
    def first_time(self) -> float:
        """First acquisition time, decimal years."""

    @property
    def last_time(self) -> float:
        """Last acquisition time, decimal years."""


@runtime_checkable
class RadarScene(Scene, Protocol):
    """A source of radar image pairs: what the offsets and geocode stages read."""

    @property
    def tracks(self) -> Mapping[str, Track]:
        """The tracks by name."""

    @property
    def dem_gradient(self) -> tuple[np.ndarray, np.ndarray]:
        """(dh/dN, dh/dE) of the DEM on ``grid`` (surface-parallel flow)."""

    def pair_times(self, track_name: str, pair_index: int) -> tuple[float, float]:
        """(reference, secondary) times of a track's pair, decimal years."""

    def slc_pair(self, track_name: str, pair_index: int) -> tuple[np.ndarray, np.ndarray]:
        """The pair's two coregistered complex images (azimuth, range)."""


@runtime_checkable
class ImageBlocks(Protocol):
    """A 2-D image read a window at a time (:mod:`gfjax.io.blocks`; a ``numpy.ndarray`` is one):
    ``block[r0:r1, c0:c1]`` returns that window as a NumPy array (slices of step 1, clipped to
    ``shape`` as NumPy clips)."""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) = (azimuth lines, range samples)."""

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the windows read (complex64 for SLCs)."""

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        """The window ``key`` = (row slice, column slice)."""


@runtime_checkable
class BlockRadarScene(RadarScene, Protocol):
    """A radar source whose images are read from disk by windows (a stack folder)."""

    def slc_blocks(self, track_name: str, pair_index: int) -> tuple[ImageBlocks, ImageBlocks]:
        """The pair's two images as :class:`ImageBlocks` (nothing read yet)."""


@runtime_checkable
class MapScene(Scene, Protocol):
    """A source of displacement maps already on the grid (msbas, autorift): msbas and products."""

    @property
    def has_dem(self) -> bool:
        """False if no DEM came with the maps (``dem`` raises; no surface-parallel flow)."""

    def map_stack(self) -> Any:
        """The map stack (xarray.Dataset in the geocode stage's layout)."""


@runtime_checkable
class Truth(Protocol):
    """The known answer of a simulation, for the truth metrics (``Scene.has_truth``)."""

    @property
    def surge_origin_m(self) -> float:
        """Distance from the flowline's head where the simulated surge starts, m."""

    def velocity(self, t_decyear: float) -> np.ndarray:
        """(3, ny, nx) true north, east, up velocity at a time, m/yr."""

    def interval_velocity(self, t0: float, t1: float) -> np.ndarray:
        """(3, ny, nx) true mean velocity over [t0, t1], m/yr."""

    def centreline_speed(self, t_decyear: float, distance_m: Any) -> np.ndarray:
        """True horizontal speed along the flowline at a time, m/yr."""

    def pair_displacement(self, track_name: str, pair_index: int) -> np.ndarray:
        """(3, ny, nx) true displacement over a pair, m."""

    def true_radar_offsets(self, track_name: str, pair_index: int, azimuth_px: Any, range_px: Any) -> Any:
        """True (azimuth, range) offsets of a pair at radar positions, px."""

    def true_radar_speed(self, track_name: str, pair_index: int, azimuth_px: Any,
                         range_px: Any) -> tuple[np.ndarray, np.ndarray]:
        """True speed at radar positions and whether each lies on ice (``(speed, on_ice)``)."""

    def reference_product(self, year: int) -> Any:
        """The ITS_LIVE-style reference velocity product of a year."""
