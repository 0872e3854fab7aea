"""The synthetic Muldrow scene: geometry, DEM, flow truth, tracks; ``build_scene(spec)``.

Everything later stages are tested against lives here. Truth is kept as functions (velocity
at any time, interval velocity and displacement between any two times on the map grid), not as
precomputed cubes. SLC pairs and the reference velocity product are generated on demand
(``gfjax.sim.slc``, ``gfjax.sim.reference``).

Deviations from the published numbers, by construction of the RGI outline: the medial flowline
inside the outline is ~58 km long (paper: 63 km; RGI Lmax 62 km) and the DEM's ice surface
reaches ~5.8–5.9 km at the head after smoothing (nominal 6100 m). The surge distances of
science.md §2 are counted from ``surge_origin_m`` (15 km below the head, the base of the
icefall), so that the story's terminus (38–43 km) is the flowline's terminus.

Sizes (radar image per track, both tracks alike; one pair's simulation time, NumPy, on 2 CPU
cores shared with other jobs): pixel_scale 1, 100 m grid, full extent → 3666 × 16291 px
(60 Mpx), ~10 s per pair (first pair of a track +4 s for the node lookup), ~2.5 GB while
simulating; pixel_scale 3, 200 m grid (gfjax/conf/experiment/muldrow.yaml) → 1234 × 5449 (6.7 Mpx),
~1.1 s per pair (margin_m 1000: 1177 × 5220, ~0.9 s); pixel_scale 4 → 887 × 3919 (3.5 Mpx),
~0.5 s per pair. Per Mpx ≈ 0.16 s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar
from functools import lru_cache
from pathlib import Path

import numpy as np

from gfjax.core.radar_source import RadarSceneBase

from gfjax.geometry.grid import MapGrid
from gfjax.sim.acquisitions import CALENDARS, acquisition_times
from gfjax.sim.flow import IceFlow, SurgeModel
from gfjax.sim.flowline import Flowline, muldrow_flowline
from gfjax.sim.outline import load_outline_rings, packaged_outline_path
from gfjax.sim.radar import Track
from gfjax.core.scene_spec import SceneSpec
from gfjax.sim.terrain import STEEP_LENGTH_M, GlacierFields, glacier_fields


@dataclass(eq=False)
class MuldrowScene(RadarSceneBase):
    """A built scene. Arrays on the map grid are (ny, nx) float32 (row 0 north)."""

    spec: SceneSpec
    grid: MapGrid
    outline_xy: np.ndarray  # (N, 2) exterior ring, m
    holes_xy: list[np.ndarray]
    flowline: Flowline
    fields: GlacierFields = field(repr=False)
    surge: SurgeModel = field(repr=False)
    tracks: dict[str, Track] = field(default_factory=dict)
    has_truth: ClassVar[bool] = True  # truth methods below (a user's stack has none)

    def __post_init__(self) -> None:
        f = self.fields
        self._flow = IceFlow(self.surge, f.along_m, f.cross, f.to_flowline_m, f.flow_north,
                             f.flow_east, f.grad_north, f.grad_east, f.ice_mask)
        self._disp_cache = lru_cache(maxsize=8)(self._flow.displacement)

    # --- static fields ------------------------------------------------------------------
    @property
    def dem(self) -> np.ndarray:
        """Surface elevation, m (ny, nx) float32."""
        return self.fields.dem

    @property
    def ice_mask(self) -> np.ndarray:
        return self.fields.ice_mask

    @property
    def dem_gradient(self) -> tuple[np.ndarray, np.ndarray]:
        """(∂h/∂N, ∂h/∂E), m/m, (ny, nx) float32 — the gradients defining SPF."""
        return self.fields.grad_north, self.fields.grad_east

    @property
    def surge_origin_m(self) -> float:
        """Flowline distance (from the head) where the science.md §2 surge distances start, m."""
        return self.surge.origin_m


    # --- truth --------------------------------------------------------------------------
    def velocity(self, t_decyear: float) -> np.ndarray:
        """(north, east, up_spf, up_nspf) velocity at a time (decimal years), m/yr, (4, ny, nx)."""
        return self._flow.velocity(t_decyear)

    def displacement(self, t0: float, t1: float) -> np.ndarray:
        """(north, east, up_spf, up_nspf) displacement from t0 to t1 (decimal years), m."""
        return self._disp_cache(float(t0), float(t1)).copy()

    def interval_velocity(self, t0: float, t1: float) -> np.ndarray:
        """Mean velocity over [t0, t1], m/yr, (4, ny, nx)."""
        if t1 == t0:
            return self.velocity(t0)
        return self.displacement(t0, t1) / np.float32(t1 - t0)

    def centreline_speed(self, t_decyear: float, distance_m) -> np.ndarray:
        """True horizontal speed on the flowline (cross = 0), m/yr, at distances from the head."""
        return self.surge.centreline_speed(t_decyear, distance_m) * 365.25

    # --- radar ----------------------------------------------------------------------------
    def pair_times(self, track_name: str, pair_index: int) -> tuple[float, float]:
        """(t_ref, t_sec) decimal years of a consecutive pair."""
        trk = self._track(track_name)
        if not 0 <= pair_index < len(trk.pairs):
            raise ValueError(f"pair_index: {pair_index} out of range 0..{len(trk.pairs) - 1} "
                             f"for track {track_name}")
        i, j = trk.pairs[pair_index]
        return float(trk.decimal_years[i]), float(trk.decimal_years[j])

    def _track(self, name: str) -> Track:
        if name not in self.tracks:
            raise ValueError(f"track_name: {name!r} not in this scene's tracks {list(self.tracks)}")
        return self.tracks[name]

    def pair_displacement(self, track_name: str, pair_index: int) -> np.ndarray:
        """True 3D displacement of a pair on the map grid, m, (4, ny, nx)."""
        return self.displacement(*self.pair_times(track_name, pair_index))

    def true_radar_offsets(self, track_name: str, pair_index: int, azimuth_px, range_px):
        """True (azimuth_offset_px, range_offset_px) of the features at reference radar
        positions — exactly the field used to generate ``slc_pair``."""
        from gfjax.sim.slc import RadarOffsetField

        return RadarOffsetField.for_pair(self, track_name, pair_index)(azimuth_px, range_px)

    def true_radar_speed(self, track_name: str, pair_index: int, azimuth_px,
                         range_px) -> tuple[np.ndarray, np.ndarray]:
        """True mean horizontal speed (m/day) of pair ``pair_index`` at reference radar positions,
        and whether each lies on ice: ``(speed, on_ice)`` (the speed class of a window)."""
        from scipy.ndimage import map_coordinates

        t0, t1 = self.pair_times(track_name, pair_index)
        d = self.displacement(t0, t1)
        speed = np.hypot(d[0], d[1]) / ((t1 - t0) * 365.25)
        e, n = self._track(track_name).radar_to_map(azimuth_px, range_px)
        r, c = self.grid.fractional_index(e, n)
        coords = [np.ravel(r), np.ravel(c)]
        out = map_coordinates(speed, coords, order=1, mode="nearest").reshape(np.shape(r))
        ice = map_coordinates(self.ice_mask.astype(np.float32), coords, order=0, mode="nearest")
        return out, ice.reshape(np.shape(r)) > 0.5

    def slc_pair(self, track_name: str, pair_index: int) -> tuple[np.ndarray, np.ndarray]:
        """(reference, secondary) complex64 SLCs (n_az, n_rg) of a consecutive pair."""
        from gfjax.sim.slc import simulate_pair

        return simulate_pair(self, track_name, pair_index)

    def reference_product(self, year: int):
        """ITS_LIVE-like annual velocity (vx, vy, v, v_error, m/yr) on its own 120 m grid."""
        from gfjax.sim.reference import reference_product

        return reference_product(self, year)


def _select_times(spec: SceneSpec, name: str) -> np.ndarray:
    times = acquisition_times(name)
    day = times.astype("datetime64[D]")
    sel = times[(day >= np.datetime64(spec.start)) & (day <= np.datetime64(spec.end))]
    sel = sel[:: spec.date_step]
    if len(sel) < 2:
        raise ValueError(f"SceneSpec.start/end/date_step: track {name} keeps {len(sel)} "
                         f"acquisition(s) between {spec.start} and {spec.end}; need at least 2")
    return sel


def build_scene(spec: SceneSpec | None = None) -> MuldrowScene:
    """Build the synthetic Muldrow scene described by ``spec`` (default ``SceneSpec()``)."""
    spec = spec or SceneSpec()
    path = Path(spec.outline) if spec.outline else packaged_outline_path()
    if not path.is_file():
        raise ValueError(f"SceneSpec.outline: file {path} does not exist")
    exterior, holes, epsg = load_outline_rings(path)
    m = spec.margin_m
    bounds = ([float(v) for v in spec.bbox] if spec.bbox else
              [exterior[:, 0].min() - m, exterior[:, 1].min() - m, exterior[:, 0].max() + m,
               exterior[:, 1].max() + m])
    xmin, ymin, xmax, ymax = bounds
    grid = MapGrid.from_bounds(epsg, xmin, ymin, xmax, ymax, spec.grid_spacing_m)
    flowline = muldrow_flowline()
    fields = glacier_fields(grid, exterior, holes, flowline)
    surge = SurgeModel(origin_m=STEEP_LENGTH_M)
    tracks = {}
    for name in spec.tracks:
        cal = CALENDARS[name]
        tracks[name] = Track.over(name, cal.direction, cal.heading_deg, cal.incidence_deg,
                                  spec.pixel_scale, _select_times(spec, name), grid, fields.dem)
    return MuldrowScene(spec, grid, exterior, holes, flowline, fields, surge, tracks)
