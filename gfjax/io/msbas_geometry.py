"""The geometry of an MSBAS v10 header, read once for both routes that read a header (ring 2).

``python -m gfjax.msbas header.txt`` (gfjax/msbas/cli.py) and the pipeline's
``+experiment=msbas_inputs`` (gfjax/io/msbas_scene.py → stages/msbas.py) both call
:func:`read_header_geometry`; MSBAS v10's rules are in gfjax/msbas/v10.py:

- each set's projection vector (north, east, up): from the SET line's heading and incidence, or,
  with a 7-field SET, per pixel from its look-angle files (theta, phi; radians): a pixel whose
  angles are 0 has no vector and is not inverted (``pixel_ok`` False);
- each set's pass ('A'/'D', v10: from the sign of its first pixel's vector);
- ``DD_NSEW_FILES`` (north slope, east slope) on the window, whenever the header gives them:
  v10 then adds one surface-parallel constraint row per interval (3D: D_FLAG=0 or no azimuth
  set; 4D: D_FLAG=1 with azimuth sets, the slopes splitting the vertical) and masks pixels whose
  slope is 0;
- v10's problem dimension (1–4) from the kinds and passes of the sets, the slopes and D_FLAG.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .msbas_header import Header
from .msbas_maps import read_raster


@dataclass
class HeaderGeometry:
    """Per-set vectors, passes, slopes and v10's dimension of one header, on its window."""

    vectors: list[np.ndarray]     # per set: (3,) or (3, rows, cols) float64 (north, east, up)
    pixel_ok: np.ndarray          # (rows, cols) bool: every set has a vector there
    passes: list[str]             # per set: 'A' | 'D'
    slopes: np.ndarray | None     # (2, rows, cols) float64 (north, east) from DD_NSEW_FILES
    dim: int                      # MSBAS v10's dimension (1–4)

    @property
    def per_pixel(self) -> bool:
        """Whether a set has per-pixel vectors (a 7-field SET)."""
        return any(v.ndim == 3 for v in self.vectors)

    @property
    def set_vectors(self) -> np.ndarray:
        """(S, 3) constant vectors, or (S, 3, rows, cols) when a set has per-pixel vectors."""
        if not self.per_pixel:
            return np.stack(self.vectors)
        shape = self.pixel_ok.shape
        return np.stack([v if v.ndim == 3 else np.broadcast_to(v[:, None, None], (3, *shape))
                         for v in self.vectors])

    @property
    def slope_constraint(self) -> bool:
        """v10's 3D with surface-parallel constraint rows (slopes given and the dimension 3)."""
        return self.slopes is not None and self.dim == 3

    def describe(self, hdr: Header) -> str:
        """``MSBAS-<dim>D: sets RA, RD, … [with slope constraint rows]`` for logs."""
        return (f"MSBAS-{self.dim}D: sets "
                + ", ".join(f"{'RA'[s.kind]}{p}" for s, p in zip(hdr.sets, self.passes))
                + (" with slope constraint rows" if self.slopes is not None else ""))


def read_header_geometry(hdr: Header) -> HeaderGeometry:
    """Read the angle and slope files of ``hdr`` (a parsed v10 header) on its window and apply
    v10's rules. Raises ``gfjax.msbas.v10.V10Error`` (a ValueError naming the SET line or the
    header) where v10 cannot tell a pass or a dimension, ``MapReadError`` for a bad file."""
    from gfjax.msbas import v10

    win = hdr.window
    ny, nx = win[3] - win[2] + 1, win[1] - win[0] + 1
    vectors: list[np.ndarray] = []
    passes: list[str] = []
    pixel_ok = np.ones((ny, nx), bool)
    for s in hdr.sets:
        if s.theta_file is not None:
            theta, _ = read_raster(s.theta_file, hdr.file_size, win, f"{s.where}: theta file")
            phi, _ = read_raster(s.phi_file, hdr.file_size, win, f"{s.where}: phi file")
            vec = v10.pixel_vectors(s.kind, theta, phi)
            pixel_ok &= vec[0] != 0
        else:
            vec = v10.set_vector(s.kind, s.heading, s.incidence)
            if vec[0] == 0:
                pixel_ok[:] = False
        try:
            passes.append(v10.set_pass(s.kind, s.heading, s.incidence,
                                       vec if s.theta_file is not None else None))
        except v10.V10Error as err:
            raise v10.V10Error(f"{s.where}: {err}") from None
        vectors.append(vec)
    slopes = None
    if hdr.gradient_files:
        slopes = np.stack([read_raster(p, hdr.file_size, win, f"{hdr.path}: DD_NSEW_FILES")[0]
                           for p in hdr.gradient_files]).astype(np.float64)
    dim = v10.v10_dimension([s.kind for s in hdr.sets], passes, slopes is not None, hdr.d_flag,
                            where=str(hdr.path))
    return HeaderGeometry(vectors, pixel_ok, passes, slopes, dim)
