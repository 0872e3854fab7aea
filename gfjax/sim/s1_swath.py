"""Sentinel-1 orbit and IW swath timing for the synthetic scene's SAFE products (:mod:`gfjax.sim.safe_scene`).

Orbit (:class:`CircularOrbit`): a circular orbit of semi-major axis 7,071 km (~693 km altitude)
and inclination 98.18° (sun-synchronous, as Sentinel-1's), in the Earth-fixed frame (the
inertial orbit turned by the Earth's rotation); its node and phase are solved so that the scene
centre is at zero Doppler at the acquisition time, seen right-looking at the track's incidence
(39°), on an ascending (T065) or descending (T131) pass. Each acquisition's orbit is moved
across track by up to ~±60 m (a node shift: a baseline) and its burst timing by a fraction of a
line, so consecutive acquisitions differ by non-integer lines and samples, as real ones do.

Swath: Sentinel-1 IW timing with the scene's ``pixel_scale`` (azimuth time interval 2.0556 ms
× scale, range sampling rate 64.345 MHz / scale: 14 m × 2.33 m pixels × scale), 9 bursts of
3.11 s every 2.758 s (overlaps), valid lines and samples per burst as in real IW products,
Doppler centroid and FM-rate polynomials (FM rate from the orbit: −2 v_s v_g / (λ R)), the
azimuth steering rate of IW2 and a geolocation grid computed on the ellipsoid by this module's
own NumPy range–Doppler inversion (independent of :mod:`gfjax.geometry`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from gfjax.io.orbit import StateVectors
from gfjax.io.safe_annotation import SwathAnnotation

__all__ = ["CircularOrbit", "SwathLayout", "annotation", "llh_to_ecef", "solve_orbit"]

GM = 3.986004418e14             # m³/s²
OMEGA_EARTH = 7.2921150e-5      # rad/s
SEMI_MAJOR_AXIS = 7_071_000.0   # m (~693 km above the equator)
INCLINATION_DEG = 98.18
SPEED_OF_LIGHT = 299_792_458.0
WGS84_A, WGS84_E2 = 6_378_137.0, 6.694379990141317e-3
RADAR_FREQUENCY = 5.405000454334350e9
ATI_FULL = 2.0555563e-3          # s, IW azimuth time interval
FS_FULL = 64.34523812571428e6    # Hz, IW range sampling rate
BURST_CYCLE_S = 2.758277
BURST_LENGTH_S = 3.1121          # 1514 lines
N_BURSTS = 9
SAMPLES_FULL = 25_000
STEERING_IW2 = 1.5878            # deg/s


@dataclass(frozen=True)
class CircularOrbit:
    """Circular orbit: node longitude and argument of latitude (rad) at ``t_ref`` in the Earth-fixed frame."""

    node: float
    u0: float
    t_ref: Any
    a: float = SEMI_MAJOR_AXIS
    inclination_deg: float = INCLINATION_DEG

    @property
    def mean_motion(self) -> float:
        return float(np.sqrt(GM / self.a ** 3))

    def state(self, dt: Any) -> tuple[np.ndarray, np.ndarray]:
        """ECEF (position, velocity) (n, 3) at ``dt`` s after ``t_ref``."""
        dt = np.atleast_1d(np.asarray(dt, np.float64))
        inc, n = np.radians(self.inclination_deg), self.mean_motion
        u = self.u0 + n * dt
        p = np.array([np.cos(self.node), np.sin(self.node), 0.0])
        q = np.array([-np.cos(inc) * np.sin(self.node), np.cos(inc) * np.cos(self.node), np.sin(inc)])
        r = self.a * (np.cos(u)[:, None] * p + np.sin(u)[:, None] * q)
        v = self.a * n * (-np.sin(u)[:, None] * p + np.cos(u)[:, None] * q)
        th = -OMEGA_EARTH * dt                          # inertial → Earth-fixed: rotate by −ω t about z
        c, s = np.cos(th), np.sin(th)

        def rot(x: np.ndarray) -> np.ndarray:
            return np.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1], x[:, 2]], axis=1)

        pos = rot(r)
        vel = rot(v) - np.cross(np.array([0.0, 0.0, OMEGA_EARTH]), pos)
        return pos, vel

    def vectors(self, start: Any, stop: Any, step_s: float = 10.0) -> StateVectors:
        t0 = (ns_time(start) - ns_time(self.t_ref)) / np.timedelta64(1, "s")
        t1 = (ns_time(stop) - ns_time(self.t_ref)) / np.timedelta64(1, "s")
        dt = np.arange(np.floor(t0 / step_s) * step_s, t1 + step_s, step_s)
        pos, vel = self.state(dt)
        times = ns_time(self.t_ref) + np.round(dt * 1e9).astype("timedelta64[ns]")
        return StateVectors(times, pos, vel, "POEORB")


def ns_time(t: Any) -> Any:
    """A time (datetime64 of any unit, ISO text) as a datetime64[ns] scalar."""
    return np.asarray(t, "datetime64[ns]")[()]


def stamp(t: Any, unit: str = "s") -> str:
    """ISO text of a time at ``unit`` resolution."""
    return str(np.asarray(t, f"datetime64[{unit}]"))


def llh_to_ecef(lat_deg: Any, lon_deg: Any, h: Any) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = WGS84_A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    return np.stack([(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon),
                     (n * (1 - WGS84_E2) + h) * np.sin(lat)], axis=-1)


def solve_orbit(lat_deg: float, lon_deg: float, height_m: float, incidence_deg: float, direction: str,
                t_ref: Any) -> CircularOrbit:
    """The orbit seeing (lat, lon, height) at zero Doppler at ``t_ref``, right-looking at ``incidence_deg``,
    on an ascending or descending pass."""
    x = llh_to_ecef(lat_deg, lon_deg, height_m)
    rx, a = float(np.linalg.norm(x)), SEMI_MAJOR_AXIS
    th = np.radians(incidence_deg)
    look = np.arcsin(rx * np.sin(th) / a)
    slant = float(np.sqrt(a * a + rx * rx - 2 * a * rx * np.cos(th - look)))
    up = x / rx

    def residual(v: np.ndarray) -> np.ndarray:
        p, vel = CircularOrbit(v[0], v[1], t_ref).state(0.0)
        d = p[0] - x
        return np.array([d @ vel[0] / (np.linalg.norm(d) * np.linalg.norm(vel[0])), (np.linalg.norm(d) - slant) / 1e5])

    best, ascending = None, direction.lower().startswith("asc")
    for node in np.radians(np.arange(0.0, 360.0, 10.0)):
        for u0 in np.radians(np.arange(0.0, 360.0, 10.0)):
            sol = least_squares(residual, [node, u0], xtol=1e-14, ftol=1e-14)
            if np.abs(sol.fun).max() > 1e-9:
                continue
            orb = CircularOrbit(float(sol.x[0]) % (2 * np.pi), float(sol.x[1]) % (2 * np.pi), t_ref)
            p, v = orb.state(0.0)
            right = float(np.cross(v[0], p[0] / np.linalg.norm(p[0])) @ (x - p[0])) > 0
            if right and (v[0] @ np.cross(up, np.cross([0.0, 0.0, 1.0], up)) > 0) == ascending:
                if best is None or np.linalg.norm(p[0] - x) < np.linalg.norm(best.state(0.0)[0][0] - x):
                    best = orb
        if best is not None:
            break
    if best is None:
        raise RuntimeError(f"solve_orbit: no {direction} right-looking orbit sees ({lat_deg}, {lon_deg})")
    return best


def _ground_point(pos: np.ndarray, vel: np.ndarray, slant: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """(lat, lon) degrees on the ellipsoid (h = 0) at zero Doppler and slant range from (pos, vel) (n, 3)."""
    ll = np.array(guess, np.float64).copy()

    def f(ll: np.ndarray) -> np.ndarray:
        d = pos - llh_to_ecef(ll[:, 0], ll[:, 1], 0.0)
        return np.stack([np.einsum("ij,ij->i", d, vel) / np.linalg.norm(vel, axis=1),
                         np.linalg.norm(d, axis=1) - slant], axis=1)

    for _ in range(30):
        r = f(ll)
        jac = np.empty((len(ll), 2, 2))
        for k, eps in enumerate((1e-6, 1e-6)):
            step = np.zeros(2)
            step[k] = eps
            jac[:, :, k] = (f(ll + step) - r) / eps
        ll -= np.linalg.solve(jac, r[..., None])[..., 0]
        if np.abs(r).max() < 1e-6:
            break
    return ll


@dataclass(frozen=True)
class SwathLayout:
    """Timing of one acquisition's swath (``pixel_scale`` coarsens the IW sampling)."""

    pixel_scale: float
    first_burst_time: Any
    slant_range_time0: float

    @property
    def ati(self) -> float:
        return ATI_FULL * self.pixel_scale

    @property
    def fs(self) -> float:
        return FS_FULL / self.pixel_scale

    @property
    def lines_per_burst(self) -> int:
        return int(round(BURST_LENGTH_S / self.ati))

    @property
    def samples(self) -> int:
        return int(round(SAMPLES_FULL / self.pixel_scale))

    @property
    def burst_offsets_s(self) -> np.ndarray:
        return np.arange(N_BURSTS) * BURST_CYCLE_S

    @property
    def burst_times(self) -> np.ndarray:
        return ns_time(self.first_burst_time) + np.round(self.burst_offsets_s * 1e9).astype("timedelta64[ns]")

    def valid_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(first, last) valid sample per burst line (N_BURSTS, lines_per_burst); −1 on invalid lines (IW: ~26
        lines at the start and ~24 at the end of a burst, ~310 samples at each swath edge at full resolution)."""
        lpb, n = self.lines_per_burst, self.samples
        skip0, skip1 = int(np.ceil(26 / self.pixel_scale)), int(np.ceil(24 / self.pixel_scale))
        edge = int(np.ceil(312 / self.pixel_scale))
        first = np.full((N_BURSTS, lpb), -1, np.int64)
        last = np.full((N_BURSTS, lpb), -1, np.int64)
        first[:, skip0:lpb - skip1] = edge
        last[:, skip0:lpb - skip1] = n - 1 - edge
        return first, last


def _fm_rate(orbit: CircularOrbit, dt: float, tau: np.ndarray) -> np.ndarray:
    p, v = orbit.state(dt)
    vs = float(np.linalg.norm(v[0]))
    vg = vs * WGS84_A / float(np.linalg.norm(p[0]))
    return -2.0 * vs * vg * RADAR_FREQUENCY / SPEED_OF_LIGHT / (tau * SPEED_OF_LIGHT / 2.0)


def _absolute_orbit(track: int, time: Any) -> int:
    """An S1A absolute orbit of relative orbit ``track`` near ``time`` (175 orbits per 12-day cycle)."""
    days = (np.asarray(time, "datetime64[D]") - np.asarray("2014-04-03", "datetime64[D]")).astype(int)
    cycles = int(days // 12)
    return 73 + (track - 1) + 175 * cycles


def annotation(orbit: CircularOrbit, vectors: StateVectors, layout: SwathLayout, track: int, direction: str,
                anx: Any, centre_llh: tuple[float, float, float]) -> SwathAnnotation:
    lpb, ns, ati, fs = layout.lines_per_burst, layout.samples, layout.ati, layout.fs
    tau0 = layout.slant_range_time0
    times = layout.burst_times
    rel = lambda t: (np.asarray(t, "datetime64[ns]") - ns_time(orbit.t_ref)) / np.timedelta64(1, "s")  # noqa: E731
    first, last = layout.valid_samples()
    # Doppler centroid (a few Hz, drifting with range) and FM rate, one estimate per burst middle
    tau = tau0 + np.linspace(0, ns - 1, 9) / fs
    mids = times + np.timedelta64(int(0.5 * lpb * ati * 1e9), "ns")
    fm, dc = [], []
    for t in mids:
        coef = np.polyfit(tau - tau0, _fm_rate(orbit, float(rel(t)), tau), 2)[::-1]
        fm.append((t, tau0, coef))
        dc.append((t, tau0, np.array([12.0, -2.5e4, 0.0])))
    # geolocation grid: each burst's first line and the last line × 21 samples, on the ellipsoid
    lines = np.r_[np.arange(N_BURSTS) * lpb, N_BURSTS * lpb - 1]
    pixels = np.round(np.linspace(0, ns - 1, 21)).astype(int)
    L, P = np.meshgrid(lines, pixels, indexing="ij")
    t_line = np.where(L == N_BURSTS * lpb - 1, rel(times[-1]) + (lpb - 1) * ati,
                      rel(times[np.minimum(L // lpb, N_BURSTS - 1)]))
    tau_g = tau0 + P / fs
    t_zd = t_line + 0.5 * (tau_g - tau0)                      # the annotation's bistatic line time
    pos, vel = orbit.state(t_zd.ravel())
    ll = _ground_point(pos, vel, (tau_g * SPEED_OF_LIGHT / 2).ravel(),
                       np.tile([centre_llh[0], centre_llh[1]], (pos.shape[0], 1)))
    ground = llh_to_ecef(ll[:, 0], ll[:, 1], 0.0)
    lat_r, lon_r = np.radians(ll[:, 0]), np.radians(ll[:, 1])
    normal = np.stack([np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)], axis=1)
    los = (pos - ground) / np.linalg.norm(pos - ground, axis=1)[:, None]
    incidence = np.degrees(np.arccos(np.einsum("ij,ij->i", los, normal)))
    elevation = np.degrees(np.arccos(np.einsum("ij,ij->i", -los, -pos / np.linalg.norm(pos, axis=1)[:, None])))
    gcp = {"azimuth_time": ns_time(orbit.t_ref) + np.round(t_line.ravel() * 1e9).astype("timedelta64[ns]"),
           "slant_range_time": tau_g.ravel(), "line": L.ravel(), "pixel": P.ravel(), "latitude": ll[:, 0],
           "longitude": ll[:, 1], "height": np.zeros(L.size), "incidence": incidence, "elevation": elevation}
    p, v = orbit.state(0.0)
    up = p[0] / np.linalg.norm(p[0])                          # heading at the satellite's nadir, as ESA's
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    heading = float(np.degrees(np.arctan2(v[0] @ east, v[0] @ north)))
    anx_s = (times - ns_time(anx)) / np.timedelta64(1, "s")
    return SwathAnnotation(
        mission="S1A", swath="IW2", polarisation="VV", pass_direction=direction.upper(),
        absolute_orbit=_absolute_orbit(track, times[0]), data_take_id=track * 1000 + 7, platform_heading_deg=heading,
        radar_frequency_hz=RADAR_FREQUENCY, range_sampling_rate_hz=fs, azimuth_steering_rate_deg_s=STEERING_IW2,
        azimuth_time_interval_s=ati, slant_range_time_s=tau0, range_pixel_spacing_m=SPEED_OF_LIGHT / (2 * fs),
        azimuth_pixel_spacing_m=float(np.linalg.norm(v[0])) * WGS84_A / float(np.linalg.norm(p[0])) * ati,
        incidence_mid_deg=float(np.median(incidence)), number_of_samples=ns, lines_per_burst=lpb,
        burst_times=times, burst_anx_s=anx_s, burst_ids=np.round(anx_s / BURST_CYCLE_S).astype(int) + 1000 * track,
        first_valid_sample=first, last_valid_sample=last, ascending_node_time=anx, orbit=vectors, dc=dc, fm=fm, gcp=gcp)


