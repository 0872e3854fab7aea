"""Options of the MSBAS stage (OmegaConf-compatible: int/float/str/bool/Optional/List only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class MsbasOptions:
    """MSBAS inversion options; each field lists its choices and default.

    dim: number of velocity components — 1 (LOS, one geometry), 2 (east, up: asc + desc range),
        3 (north, east, up: with azimuth offsets), 4 (north, east, up_spf, up_nspf: 3 + SPF rows
        from surface gradients). Default 3. null (data.source=msbas only): MSBAS v10's dimension of
        the header (its sets' kinds and passes, DD_NSEW_FILES, D_FLAG), as ``python -m gfjax.msbas``.
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
    lam_scale: per-component factors of λ in the Tikhonov rows, in the components' order
        ((north, east, up_spf, up_nspf) in 4D); null = all 1 (MSBAS v10). E.g. [0.3, 0.3, 0.3, 1]
        lets the horizontal follow a surge's acceleration while the vertical stays smooth.
    calibration: "none" (maps as given; the default) or null (data.source=msbas only: the
        header's C_FLAG, MSBAS v10's calibration: msbas/header_flags.py).
    From the header (data.source=msbas, +experiment=msbas_inputs sets them null): ``order`` and
        ``lam`` null = the header's R_FLAG, ``min_coverage`` null = its MC_FLAG (v10's meaning:
        maps with a valid fraction of the window below it are removed), ``calibration`` null =
        its C_FLAG, as ``python -m gfjax.msbas header.txt`` reads them; a value given overrides
        the header's (``min_coverage`` then has the pipeline's meaning, ice coverage).
    nspf_damping: 4D only: weight μ (yr, the units of λ) of order-0 rows μ · v_nSPF = 0 in every
        interval, a prior that the non-surface-parallel vertical (mass balance + emergence, tens
        of m/yr at most) is small. Where the maps determine the vertical it costs little (a
        map row weighs ~Δt ≈ 0.03 yr per m/yr); where they do not (a track's maps missing on
        decorrelated ice) it keeps the undetermined part out of nSPF instead of letting it
        absorb kilometres of spurious uplift. 0 = off (MSBAS v10). Default 0.
    nspf_damping_observed: μ (yr) in the intervals that every set with maps at the pixel
        measured; null = ``nspf_damping`` (every interval alike). Where all sets measured, the
        maps determine nSPF and a strong prior toward 0 biases it (the emergence velocity of a
        few m/yr, summed over years at the flowline markers).
    """

    dim: Optional[int] = 3
    order: Optional[int] = 1
    lam: Optional[float] = 0.1
    lam_candidates: List[float] = field(default_factory=list)
    select_lam: str = "fixed"
    lcurve_max_pixels: int = 4000  # L-curve norms from at most this many pixels with data (evenly strided)
    rcond: float = 1e-5
    min_coverage: Optional[float] = 0.0
    calibration: Optional[str] = "none"
    memory_budget_mb: float = 1024.0
    outlier_window: int = 0
    outlier_max_deviation: float = 4.0
    outlier_min_deviation_m: float = 1.0
    lam_scale: Optional[List[float]] = None
    nspf_damping: float = 0.0
    nspf_damping_observed: Optional[float] = None

    def solver_options(self) -> dict:
        """``component_scale`` / ``damping`` keywords of ``invert_maps`` / ``lcurve_terms``."""
        damping = [0.0, 0.0, 0.0, self.nspf_damping] if self.nspf_damping > 0 else None
        return {"component_scale": self.lam_scale, "damping": damping,
                "damping_observed": 1.0 if damping is None or self.nspf_damping_observed is None
                else self.nspf_damping_observed / self.nspf_damping}

    def validate(self) -> "MsbasOptions":
        """Raise ValueError naming the field for out-of-range values; returns self."""
        if self.dim is not None and self.dim not in (1, 2, 3, 4):
            raise ValueError(f"msbas.dim must be 1, 2, 3 or 4, got {self.dim}")
        if self.order is not None and self.order not in (0, 1, 2):
            raise ValueError(f"msbas.order must be 0, 1 or 2, got {self.order}")
        if self.lam is not None and (self.lam < 0 or (self.order or 0) > 0 and self.lam <= 0):
            raise ValueError(f"msbas.lam must be > 0 with order {self.order}, got {self.lam}")
        if self.calibration not in (None, "none"):
            raise ValueError(f"msbas.calibration must be 'none' or null (the MSBAS header's C_FLAG), "
                             f"got {self.calibration}")
        if self.select_lam not in ("fixed", "lcurve"):
            raise ValueError(f"msbas.select_lam must be 'fixed' or 'lcurve', got {self.select_lam}")
        if self.select_lam == "lcurve" and len(self.lam_candidates) < 3:
            raise ValueError("msbas.lam_candidates needs >= 3 values for select_lam='lcurve'")
        if self.min_coverage is not None and not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"msbas.min_coverage must be in [0, 1], got {self.min_coverage}")
        if self.outlier_window < 0:
            raise ValueError(f"msbas.outlier_window must be >= 0 (0 = off), got {self.outlier_window}")
        if self.outlier_max_deviation <= 0 or self.outlier_min_deviation_m < 0:
            raise ValueError("msbas.outlier_max_deviation must be > 0 and msbas.outlier_min_deviation_m "
                             f">= 0, got {self.outlier_max_deviation}, {self.outlier_min_deviation_m}")
        if self.lam_scale is not None and ((self.dim is not None and len(self.lam_scale) != self.dim)
                                           or min(self.lam_scale) < 0):
            raise ValueError(f"msbas.lam_scale must be null or {self.dim} values >= 0 (one per component), "
                             f"got {self.lam_scale}")
        if self.nspf_damping < 0 or (self.nspf_damping > 0 and self.dim not in (4, None)):
            raise ValueError(f"msbas.nspf_damping must be >= 0, and 0 unless dim=4 (nSPF is the 4th "
                             f"component), got {self.nspf_damping} with dim={self.dim}")
        if self.nspf_damping_observed is not None and not 0 <= self.nspf_damping_observed <= max(self.nspf_damping, 0):
            raise ValueError(f"msbas.nspf_damping_observed must be null or in [0, msbas.nspf_damping="
                             f"{self.nspf_damping}], got {self.nspf_damping_observed}")
        if not 0 < self.rcond < 1:
            raise ValueError(f"msbas.rcond must be in (0, 1), got {self.rcond}")
        return self

    def from_header(self) -> list[str]:
        """The options left null, to take from an MSBAS header (v10's dimension, R_FLAG, MC_FLAG,
        C_FLAG)."""
        given = {"dim": self.dim, "order": self.order, "lam": self.lam, "min_coverage": self.min_coverage,
                 "calibration": self.calibration}
        return [k for k, v in given.items() if v is None]
