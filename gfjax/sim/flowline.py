"""Central flowline of Muldrow Glacier: hand-placed control points smoothed into a spline.

The control points (UTM 5N, km) are 30 equally spaced points of a medial path computed once
from the packaged outline: the least-cost 8-connected path on a 50 m ice mask from the head in
the south-west basin to the terminus, with cost 1/min(distance to the ice edge, 1.5 km)², which
keeps it on the ridge of the distance transform (a medial-axis approximation). It runs
north-east for ~42 km, turns around the Traleika/Brooks confluence and runs north-west to the
terminus. A smoothing parametric spline through them is resampled every ``step_m`` metres;
``distance_m`` is the arc length from the head. A test checks it stays inside the polygon.
"""
from __future__ import annotations

import numpy as np
from scipy.interpolate import splev, splprep

from gfjax.geometry.flowline import Flowline

# (easting, northing) km, head → terminus.
CONTROL_POINTS_KM = np.array([
    (601.20, 6995.70), (601.90, 6997.25), (603.55, 6998.35), (604.00, 7000.25), (604.20, 7002.30),
    (605.35, 7003.90), (606.55, 7005.55), (607.75, 7007.05), (609.20, 7008.50), (610.35, 7010.15),
    (611.55, 7011.70), (613.45, 7012.35), (615.50, 7012.20), (617.20, 7013.20), (619.05, 7013.85),
    (621.15, 7013.80), (623.00, 7014.45), (624.75, 7015.35), (626.45, 7016.45), (628.15, 7017.40),
    (630.00, 7018.15), (631.75, 7019.10), (633.10, 7020.45), (632.70, 7022.40), (631.15, 7023.70),
    (629.90, 7025.35), (629.55, 7027.30), (629.20, 7029.30), (627.75, 7030.75), (626.60, 7032.40),
])


def muldrow_flowline(step_m: float = 10.0, smoothing_km2: float = 0.15) -> Flowline:
    """The smoothed central flowline sampled every ``step_m`` metres (~57 km long)."""
    ctrl = CONTROL_POINTS_KM
    tck, _ = splprep([ctrl[:, 0], ctrl[:, 1]], s=smoothing_km2, k=3)
    u = np.linspace(0.0, 1.0, 20001)
    xk, yk = splev(u, tck)
    seg = np.hypot(np.diff(xk), np.diff(yk)) * 1000.0
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    d = np.arange(0.0, arc[-1], step_m)
    d = np.append(d, arc[-1]) if arc[-1] - d[-1] > 1e-6 else d
    x = np.interp(d, arc, xk) * 1000.0
    y = np.interp(d, arc, yk) * 1000.0
    return Flowline(x=x, y=y, distance_m=d)
