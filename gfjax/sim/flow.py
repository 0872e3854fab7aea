"""Time-dependent 3D ice-flow truth of the synthetic Muldrow surge (2014–2021).

Speeds are analytic in (time t in decimal years, distance along the flowline s, normalised
cross-glacier distance c), so the truth is exact at any time:

    horizontal speed  = [v_q(s) + surge(t, u) · trunk(d_fl)] · season(t) · (1 − c⁴)   (m/day)
    (north, east)     = speed · flow direction of the nearest flowline point
    up_spf            = g_N · v_N + g_E · v_E      (surface-parallel flow, DEM gradients)
    up_nspf           = [emergence + front bulge(t, u) − 2020 drawdown(t, u)] · (1 − c⁴)

``u = s − SURGE_ORIGIN`` is the distance used by science.md §2: the surge story's distances are
counted from the top of the surge reservoir (the base of the icefall, ``STEEP_LENGTH_M`` below
the head) so that its "terminus (38–43 km)" is the flowline's terminus. The main surge is a
plateau between a trailing edge a(t) and a front b(t) (logistic edges ``EDGE_KM`` wide) with
amplitude A(t); a, b, A are PCHIP interpolants (C¹, monotone between knots) of the knots below,
which follow the story: 2017 speed-up near the head, end 2018 fast over 8–18 km, 2019 front at
22–30 km, 2020 faster over 10–35 km after restarting at 22–34 km, late 2020–2021 the front
reaches the terminus and two small new surges start at 5 and 10 km; ~15 m/day in March 2021,
> 20 m/day in June 2021. Seasonal speed-up peaks mid-June (+40 %). Velocities are in m/yr;
displacements (Gauss–Legendre in time, 6 nodes per ≤ 6-day panel) in m.
"""
from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

DAYS_PER_YEAR = 365.25
EDGE_KM = 1.2
QUIESCENT_M_PER_DAY = 0.1
ICEFALL_EXTRA_M_PER_DAY = 0.2
TRUNK_HALF_WIDTH_M = 1500.0
# t (decimal year), trailing edge a (km), front b (km), amplitude A (m/day)
MAIN_SURGE_KNOTS = np.array([
    (2016.80, 2.0, 8.0, 0.0),
    (2017.30, 2.0, 9.0, 0.4),
    (2017.90, 4.0, 13.0, 1.2),
    (2018.50, 6.0, 16.0, 2.5),
    (2018.95, 8.0, 18.0, 4.5),
    (2019.40, 12.0, 24.0, 4.0),
    (2019.90, 16.0, 30.0, 4.5),
    (2020.15, 22.0, 34.0, 5.5),
    (2020.50, 14.0, 35.0, 8.0),
    (2020.80, 10.0, 37.0, 10.0),
    (2021.10, 9.0, 42.0, 14.0),
    (2021.45, 9.0, 45.0, 17.0),
    (2021.95, 10.0, 45.0, 14.0),
])
HEAD_SURGES_KM = (5.0, 10.0)
HEAD_SURGE_M_PER_DAY = 3.0


def _logistic(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _smoothstep(t, t0, t1):
    x = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


class SurgeModel:
    """Centreline speed and nSPF as functions of (t, s); ``origin_m`` is where u = 0."""

    def __init__(self, origin_m: float):
        self.origin_m = float(origin_m)
        k = MAIN_SURGE_KNOTS
        self._a = PchipInterpolator(k[:, 0], k[:, 1], extrapolate=False)
        self._b = PchipInterpolator(k[:, 0], k[:, 2], extrapolate=False)
        self._amp = PchipInterpolator(k[:, 0], k[:, 3], extrapolate=False)

    def main_surge(self, t):
        """(trailing edge km, front km, amplitude m/day) of the main surge at time t (the knot
        values are held constant before the first and after the last knot)."""
        t = np.clip(t, MAIN_SURGE_KNOTS[0, 0], MAIN_SURGE_KNOTS[-1, 0])
        return self._a(t), self._b(t), self._amp(t)

    @staticmethod
    def season(t):
        """Multiplicative seasonal factor (1 in winter, 1.4 in mid-June)."""
        return 1.0 + 0.4 * np.exp(3.0 * (np.cos(2.0 * np.pi * (np.asarray(t) - 0.45)) - 1.0))

    def centreline_speed(self, t: float, s) -> np.ndarray:
        """Horizontal speed on the flowline (c = 0, trunk = 1), m/day, at time t and distances s m."""
        return self.speed(t, s, 1.0)

    def speed(self, t: float, s, trunk) -> np.ndarray:
        """Horizontal speed before the cross-profile factor, m/day."""
        s = np.asarray(s, dtype=np.float64)
        u = (s - self.origin_m) / 1000.0
        a, b, amp = self.main_surge(t)
        surge = amp * _logistic((u - a) / EDGE_KM) * _logistic((b - u) / EDGE_KM)
        head = HEAD_SURGE_M_PER_DAY * _smoothstep(t, 2020.75, 2021.4)
        for centre in HEAD_SURGES_KM:
            surge = surge + head * np.exp(-0.5 * ((u - centre) / 1.2) ** 2)
        quiet = QUIESCENT_M_PER_DAY + ICEFALL_EXTRA_M_PER_DAY * _logistic(-u / 3.0)
        return (quiet + surge * trunk) * self.season(t)

    def nspf(self, t: float, s, trunk) -> np.ndarray:
        """Non-surface-parallel vertical velocity before the cross-profile factor, m/day (up > 0)."""
        u = (np.asarray(s, dtype=np.float64) - self.origin_m) / 1000.0
        a, b, amp = self.main_surge(t)
        bulge = 0.004 * amp * np.exp(-0.5 * ((u - b) / 2.5) ** 2)
        draw = 0.05 * np.exp(-0.5 * ((t - 2020.45) / 0.25) ** 2) * _logistic((35.0 - u) / 1.5) \
            * _logistic((u + 3.0) / 1.5)
        return 0.01 + (bulge - draw) * trunk


class IceFlow:
    """Velocity truth on a set of cells with flowline coordinates and DEM gradients.

    Arguments are flat or gridded float arrays of one shape: ``along_m``, ``cross`` (0…1),
    ``to_flowline_m``, unit flow direction ``flow_north``/``flow_east``, DEM gradients
    ``grad_north``/``grad_east`` (m/m) and the boolean ``ice`` mask (velocity 0 off the ice).
    """

    def __init__(self, model: SurgeModel, along_m, cross, to_flowline_m, flow_north, flow_east,
                 grad_north, grad_east, ice):
        self.model = model
        self.shape = np.shape(along_m)
        self._ice = np.asarray(ice, dtype=bool)
        sel = self._ice
        self._s = np.asarray(along_m, np.float64)[sel]
        self._profile = (1.0 - np.asarray(cross, np.float64)[sel] ** 4)
        d = np.asarray(to_flowline_m, np.float64)[sel]
        self._trunk = np.exp(-(np.maximum(d - TRUNK_HALF_WIDTH_M, 0.0) / 1000.0) ** 2)
        self._fn = np.asarray(flow_north, np.float64)[sel]
        self._fe = np.asarray(flow_east, np.float64)[sel]
        self._gn = np.asarray(grad_north, np.float64)[sel]
        self._ge = np.asarray(grad_east, np.float64)[sel]

    def _rates(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(horizontal speed, nSPF) on the ice cells at time t, m/yr."""
        h = self.model.speed(t, self._s, self._trunk) * self._profile * DAYS_PER_YEAR
        n = self.model.nspf(t, self._s, self._trunk) * self._profile * DAYS_PER_YEAR
        return h, n

    def _assemble(self, h: np.ndarray, n: np.ndarray) -> np.ndarray:
        vn, ve = h * self._fn, h * self._fe
        comps = (vn, ve, self._gn * vn + self._ge * ve, n)
        out = np.zeros((4, *self.shape), dtype=np.float32)
        for k, c in enumerate(comps):
            out[k][self._ice] = c
        return out

    def velocity(self, t: float) -> np.ndarray:
        """(north, east, up_spf, up_nspf) velocity at time t (decimal years), m/yr, (4, …)."""
        return self._assemble(*self._rates(float(t)))

    def displacement(self, t0: float, t1: float, panel_days: float = 6.0, order: int = 6) -> np.ndarray:
        """Displacement between t0 and t1 (decimal years), m, (4, …): ∫ velocity dt by
        Gauss–Legendre with ``order`` nodes on panels of at most ``panel_days``."""
        t0, t1 = float(t0), float(t1)
        n_panels = max(1, int(np.ceil(abs(t1 - t0) * DAYS_PER_YEAR / panel_days)))
        edges = np.linspace(t0, t1, n_panels + 1)
        x, w = np.polynomial.legendre.leggauss(order)
        h_acc = np.zeros_like(self._s)
        n_acc = np.zeros_like(self._s)
        for lo, hi in zip(edges[:-1], edges[1:]):
            half = 0.5 * (hi - lo)
            for xi, wi in zip(x, w):
                h, n = self._rates(lo + half * (xi + 1.0))
                h_acc += wi * half * h
                n_acc += wi * half * n
        return self._assemble(h_acc, n_acc)

    def interval_velocity(self, t0: float, t1: float) -> np.ndarray:
        """Mean velocity over [t0, t1] = displacement / (t1 − t0), m/yr, (4, …)."""
        if t1 == t0:
            return self.velocity(t0)
        return self.displacement(t0, t1) / np.float32(t1 - t0)
