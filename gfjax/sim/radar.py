"""Simple, exactly consistent radar geometry of one Sentinel-1 track over the scene.

Affine zero-Doppler model, right-looking, heading φ (clockwise from north), incidence θ:

    along-track  a = N cos φ + E sin φ                  azimuth_px = (a − a₀) / Δa
    ground range g = −N sin φ + E cos φ   (look_h = (−sin φ, cos φ) in (north, east))
    slant range  ρ = R₀ + g sin θ − h cos θ             range_px   = (ρ − ρ₀) / Δρ

so a displacement d = (north, east, up) moves a feature by Δrange_px = −(d · s_range)/Δρ and
Δazimuth_px = +(d · s_azimuth)/Δa with the MSBAS vectors s_range = (sin φ sin θ, −cos φ sin θ,
cos θ), s_azimuth = (cos φ, sin φ, 0) (science.md §4). Spacings are 14.9 m (azimuth) × 2.3 m
(slant range) times ``pixel_scale``; the image (rows = azimuth lines along the flight
direction, columns = slant-range samples from near range) is the smallest one covering the map
grid at all DEM heights plus ``PAD_PX``. Radar shadow and layover are not modelled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.ndimage import map_coordinates

from gfjax.geometry.grid import MapGrid
from gfjax.core.time import decimal_year

AZIMUTH_SPACING_M = 14.9
RANGE_SPACING_M = 2.3
NEAR_RANGE_M = 850_000.0  # R₀ + ρ₀: nominal slant range of the first sample
PAD_PX = 8


def range_vector(heading_deg: float, incidence_deg: float) -> np.ndarray:
    """Unit LOS vector ground → satellite, (north, east, up)."""
    p, t = np.radians(heading_deg), np.radians(incidence_deg)
    return np.array([np.sin(p) * np.sin(t), -np.cos(p) * np.sin(t), np.cos(t)])


def azimuth_vector(heading_deg: float) -> np.ndarray:
    """Unit along-track vector, (north, east, up)."""
    p = np.radians(heading_deg)
    return np.array([np.cos(p), np.sin(p), 0.0])


@dataclass(eq=False)
class Track:
    """One track's acquisitions and geometry over the scene's map grid and DEM."""

    name: str
    direction: str
    heading_deg: float
    incidence_deg: float
    azimuth_spacing_m: float
    range_spacing_m: float
    times: np.ndarray  # datetime64[s]
    grid: MapGrid = field(repr=False)
    dem: np.ndarray = field(repr=False)
    shape: tuple[int, int] = (0, 0)
    _a0: float = 0.0
    _r0: float = 0.0

    @classmethod
    def over(cls, name: str, direction: str, heading_deg: float, incidence_deg: float,
             pixel_scale: float, times: np.ndarray, grid: MapGrid, dem: np.ndarray) -> "Track":
        """Track whose radar image just covers ``grid`` (with ``PAD_PX`` margin)."""
        trk = cls(name, direction, float(heading_deg), float(incidence_deg),
                  AZIMUTH_SPACING_M * pixel_scale, RANGE_SPACING_M * pixel_scale,
                  np.asarray(times, dtype="datetime64[s]"), grid, np.asarray(dem, np.float32))
        xmin, ymin, xmax, ymax = grid.bounds
        cx = np.array([xmin, xmax, xmin, xmax])
        cy = np.array([ymin, ymin, ymax, ymax])
        a, g = trk._along_ground(cx, cy)
        hmin, hmax = float(np.min(dem)), float(np.max(dem))
        st, ct = np.sin(np.radians(incidence_deg)), np.cos(np.radians(incidence_deg))
        rho_min = g.min() * st - hmax * ct
        rho_max = g.max() * st - hmin * ct
        trk._a0 = float(a.min() - PAD_PX * trk.azimuth_spacing_m)
        trk._r0 = float(rho_min - PAD_PX * trk.range_spacing_m)
        n_az = int(np.ceil((a.max() - trk._a0) / trk.azimuth_spacing_m)) + PAD_PX + 1
        n_rg = int(np.ceil((rho_max - trk._r0) / trk.range_spacing_m)) + PAD_PX + 1
        trk.shape = (n_az, n_rg)
        return trk

    # --- acquisitions -------------------------------------------------------------------
    @cached_property
    def decimal_years(self) -> np.ndarray:
        """MSBAS decimal years of the acquisitions (float64)."""
        return decimal_year(self.times)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Consecutive pairs (i_ref, i_sec) = (i, i + 1)."""
        return [(i, i + 1) for i in range(len(self.times) - 1)]

    # --- geometry -----------------------------------------------------------------------
    @property
    def range_vector(self) -> np.ndarray:
        return range_vector(self.heading_deg, self.incidence_deg)

    @property
    def azimuth_vector(self) -> np.ndarray:
        return azimuth_vector(self.heading_deg)

    @property
    def near_range_m(self) -> float:
        return NEAR_RANGE_M

    def _along_ground(self, east, north):
        p = np.radians(self.heading_deg)
        east = np.asarray(east, np.float64)
        north = np.asarray(north, np.float64)
        return north * np.cos(p) + east * np.sin(p), -north * np.sin(p) + east * np.cos(p)

    def radar_coordinates(self, east, north, height) -> tuple[np.ndarray, np.ndarray]:
        """(azimuth_px, range_px) float64 of map points (m) at ellipsoid-free height ``height`` m."""
        a, g = self._along_ground(east, north)
        t = np.radians(self.incidence_deg)
        rho = g * np.sin(t) - np.asarray(height, np.float64) * np.cos(t)
        return (a - self._a0) / self.azimuth_spacing_m, (rho - self._r0) / self.range_spacing_m

    def map_to_radar(self) -> tuple[np.ndarray, np.ndarray]:
        """Lookup table map → radar: (azimuth_px, range_px) float32 on the map grid, NaN where
        the cell falls outside the radar image."""
        x, y = self.grid.meshgrid()
        az, rg = self.radar_coordinates(x, y, self.dem)
        out = (az < 0) | (az > self.shape[0] - 1) | (rg < 0) | (rg > self.shape[1] - 1)
        az, rg = az.astype(np.float32), rg.astype(np.float32)
        az[out] = np.nan
        rg[out] = np.nan
        return az, rg

    @cached_property
    def _dem_slope_look(self) -> np.ndarray:
        d_row, d_col = np.gradient(self.dem.astype(np.float64), self.grid.spacing)
        p = np.radians(self.heading_deg)
        return (-d_row) * (-np.sin(p)) + d_col * np.cos(p)  # ∂h/∂g

    def _sample(self, field_, east, north):
        r, c = self.grid.fractional_index(east, north)
        return map_coordinates(field_, [np.ravel(r), np.ravel(c)], order=1, mode="nearest").reshape(np.shape(r))

    def radar_to_map(self, azimuth_px, range_px, iterations: int = 60) -> tuple[np.ndarray, np.ndarray]:
        """(easting, northing) m (float64) of radar positions, on the DEM surface.

        Solves f(g) = g sin θ − h(E(g), N(g)) cos θ − ρ = 0 for the ground range g on the
        bilinearly interpolated DEM (heights clamp at the map-grid edge) by safeguarded Newton:
        f is increasing (no layover: slopes toward the radar < θ) and bracketed by the DEM's
        height range, Newton steps leaving the bracket are replaced by bisection."""
        p, t = np.radians(self.heading_deg), np.radians(self.incidence_deg)
        st, ct = np.sin(t), np.cos(t)
        a = self._a0 + np.asarray(azimuth_px, np.float64) * self.azimuth_spacing_m
        rho = self._r0 + np.asarray(range_px, np.float64) * self.range_spacing_m
        dem64 = self.dem.astype(np.float64)
        shape = np.broadcast(a, rho).shape
        a = np.broadcast_to(a, shape).ravel()
        rho = np.broadcast_to(rho, shape).ravel()
        lo = (rho + float(dem64.min()) * ct) / st
        hi = (rho + float(dem64.max()) * ct) / st
        g = (rho + float(np.mean(dem64)) * ct) / st
        active = np.arange(g.size)
        for _ in range(iterations):
            ga, aa = g[active], a[active]
            north = aa * np.cos(p) - ga * np.sin(p)
            east = aa * np.sin(p) + ga * np.cos(p)
            f = ga * st - self._sample(dem64, east, north) * ct - rho[active]
            lo[active] = np.where(f < 0, ga, lo[active])
            hi[active] = np.where(f >= 0, ga, hi[active])
            done = np.abs(f) < 1e-5
            dh = self._sample(self._dem_slope_look, east, north)
            newton = ga - f / np.maximum(st - ct * dh, 0.05 * st)
            la, ha = lo[active], hi[active]
            g[active] = np.where(done, ga, np.where((newton > la) & (newton < ha), newton, 0.5 * (la + ha)))
            active = active[~done]
            if active.size == 0:
                break
        east = a * np.sin(p) + g * np.cos(p)
        north = a * np.cos(p) - g * np.sin(p)
        return east.reshape(shape), north.reshape(shape)

    def radar_lookup(self, step: tuple[int, int] = (8, 32)) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lookup table radar → map on a decimated radar grid: (azimuth_px (na,), range_px (nr,),
        easting (na, nr), northing (na, nr)); the last node of each axis is always included."""
        az = np.unique(np.append(np.arange(0, self.shape[0], step[0]), self.shape[0] - 1)).astype(np.float64)
        rg = np.unique(np.append(np.arange(0, self.shape[1], step[1]), self.shape[1] - 1)).astype(np.float64)
        A, R = np.meshgrid(az, rg, indexing="ij")
        e, n = self.radar_to_map(A, R)
        return az, rg, e, n

    def incidence_map(self) -> np.ndarray:
        """Incidence angle on the map grid, degrees (float32; constant in this model)."""
        return np.full(self.grid.shape, self.incidence_deg, dtype=np.float32)

    def offsets_from_displacement(self, d_north, d_east, d_up) -> tuple[np.ndarray, np.ndarray]:
        """Radar offsets (azimuth_px, range_px) of features displaced by (north, east, up) m."""
        s_r, s_a = self.range_vector, self.azimuth_vector
        d_los = s_r[0] * d_north + s_r[1] * d_east + s_r[2] * d_up
        d_az = s_a[0] * d_north + s_a[1] * d_east
        return d_az / self.azimuth_spacing_m, -d_los / self.range_spacing_m
