"""Options of the MSBAS stage (OmegaConf-compatible: int/float/str/bool/Optional/List only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List


@dataclass
class MsbasOptions:
    """MSBAS inversion options; each field lists its choices and default.

    dim: number of velocity components — 1 (LOS, one geometry), 2 (east, up: asc + desc range),
        3 (north, east, up: with azimuth offsets), 4 (north, east, up_spf, up_nspf: 3 + SPF rows
        from surface gradients). Default 3.
    order: Tikhonov order — 0 (λ x), 1 (first differences of consecutive intervals), 2 (second
        differences); no Δt scaling (MSBAS v10). Default 1.
    lam: Tikhonov weight λ (> 0 with order 1/2; 0 with order 0 = no regularisation). MSBAS users
        choose 0.01–0.5 (m/yr units of the rows). Default 0.1.
    lam_candidates: λ values for the L-curve (lcurve.py); empty = no L-curve. Default [].
    select_lam: "fixed" (use lam) or "lcurve" (max curvature of the L-curve over
        lam_candidates). Default "fixed".
    rcond: relative singular-value threshold of rank and solve (MSBAS: dgelsd, 1e-5).
    min_coverage: minimum fraction (0–1) of valid pixels for a map to be used (MC_FLAG). 0.
    memory_budget_mb: working memory of one pixel block, MB (sets the block size). 1024.
    outlier_window: temporal screening before the inversion (screening.py): each map's rate is
        compared with the running median of this many maps of its set before and after it;
        0 = off (MSBAS v10 has none). Default 0.
    outlier_max_deviation: rejection threshold of the screening, in robust standard deviations
        (1.4826 × MAD) of the window. Default 4.
    outlier_min_deviation_m: noise floor of the screening: a value is kept if it deviates by
        less than this over its pair, m. Default 1.
    """

    dim: int = 3
    order: int = 1
    lam: float = 0.1
    lam_candidates: List[float] = field(default_factory=list)
    select_lam: str = "fixed"
    lcurve_max_pixels: int = 4000  # L-curve norms from at most this many pixels with data (evenly strided)
    rcond: float = 1e-5
    min_coverage: float = 0.0
    memory_budget_mb: float = 1024.0
    outlier_window: int = 0
    outlier_max_deviation: float = 4.0
    outlier_min_deviation_m: float = 1.0

    def validate(self) -> "MsbasOptions":
        """Raise ValueError naming the field for out-of-range values; returns self."""
        if self.dim not in (1, 2, 3, 4):
            raise ValueError(f"msbas.dim must be 1, 2, 3 or 4, got {self.dim}")
        if self.order not in (0, 1, 2):
            raise ValueError(f"msbas.order must be 0, 1 or 2, got {self.order}")
        if self.lam < 0 or (self.order > 0 and self.lam <= 0):
            raise ValueError(f"msbas.lam must be > 0 with order {self.order}, got {self.lam}")
        if self.select_lam not in ("fixed", "lcurve"):
            raise ValueError(f"msbas.select_lam must be 'fixed' or 'lcurve', got {self.select_lam}")
        if self.select_lam == "lcurve" and len(self.lam_candidates) < 3:
            raise ValueError("msbas.lam_candidates needs >= 3 values for select_lam='lcurve'")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"msbas.min_coverage must be in [0, 1], got {self.min_coverage}")
        if self.outlier_window < 0:
            raise ValueError(f"msbas.outlier_window must be >= 0 (0 = off), got {self.outlier_window}")
        if self.outlier_max_deviation <= 0 or self.outlier_min_deviation_m < 0:
            raise ValueError("msbas.outlier_max_deviation must be > 0 and msbas.outlier_min_deviation_m "
                             f">= 0, got {self.outlier_max_deviation}, {self.outlier_min_deviation_m}")
        if not 0 < self.rcond < 1:
            raise ValueError(f"msbas.rcond must be in (0, 1), got {self.rcond}")
        return self
