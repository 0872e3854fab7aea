"""Options of the offset tracker, as a plain dataclass usable as a Hydra/OmegaConf structured
config (field types: int, float, str, bool, Optional, List[int], List[float]; no tuples).

All pairs are ordered (azimuth, range) and expressed in pixels of the ORIGINAL (not
oversampled) reference image.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import List, Optional

WEIGHTINGS = ("gaussian", "uniform")
DERAMPS = ("none", "azimuth")
SCOPES = ("image", "window")
METHODS = ("accurate", "fast")


@dataclass
class TrackingOptions:
    """Normalised cross-correlation offset tracking (Samsonov 2022; ISCE3 ampcor; autoRIFT)."""

    window: List[int] = field(default_factory=lambda: [64, 64])
    """Reference window size (azimuth, range), px. Each ≥ 4."""
    step: List[int] = field(default_factory=lambda: [8, 32])
    """Spacing of the output grid (azimuth, range), px. Each ≥ 1."""
    search: List[int] = field(default_factory=lambda: [16, 16])
    """Half search range (azimuth, range), px, around the a-priori offset: offsets within
    prior ± search are found; a peak on the border of this range is rejected (reason 3)."""
    first_window: Optional[List[int]] = None
    """Top-left pixel (azimuth, range) of the first reference window; None = ``search`` so that
    the first window's search area starts at pixel 0 when the prior is 0."""
    method: str = "accurate"
    """Correlation method, choices: "accurate" (amplitude of the ×``oversample`` FFT-oversampled
    SLCs, DFT-refined sub-pixel peak: the options below) | "fast" (amplitude at the original
    sampling whatever the input: integer search on a [1, 2, 1]-smoothed, ×½-decimated copy,
    exact NCC at the 3×3 full-resolution lags around it, sub-pixel peak by fitting the
    amplitude peak's shape sinc²(B τ), B from the reference's lag-1 autocorrelation; see
    ``gfjax.offsets.kernels_fast``). "fast" ignores oversample, oversample_scope, deramp,
    two_stage, subpixel_factor and zoom_halfwidth. On CPU (benchmarks/offsets.py: 2048²
    speckle, 64² windows, step (8, 32), search 8) it is ≈ 8× faster than "accurate" and ≈ 1.7×
    faster than OpenCV matchTemplate + parabola on the plain amplitude (autoRIFT's core; one core
    each, up to ≈ 2.4× when JAX gets the second core): ≈ 0.027 px rms at coherence 0.8 against
    0.2 px for that OpenCV baseline, which locks to whole pixels, and against 0.022 px for OpenCV
    on the ×2-oversampled amplitude (about the same error, at ≈ 8× OpenCV-×2's speed) and
    0.008 px ("accurate"). Its integer search sees a quarter of the samples, so it needs a
    stronger correlation. Windows kept at the default min_snr (64² windows, step 32, search 8,
    768 × 1024 speckle pairs, one seed): band 0.85 (the simulator's): coherence 0.4 → "fast"
    34 %, "accurate" 98 %; 0.5 → 97 % / 100 %; full band: 0.4 → 9 % / 86 %; 0.5 → 62 % / 100 %;
    0.6 → 90 % / 100 %. Its sub-pixel estimate also degrades faster at low coherence: keep
    "accurate" for decorrelating (fast, straining) ice. Its SNR is the integer peak's over a full-resolution noise level estimated from
    the coarse surface (pure noise ≲ 17 as for "accurate", so min_snr applies unchanged; true
    matches ≈ 0.2–0.35× the "accurate" values) and its covariance comes from the fit's Fisher
    information (cross term 0)."""
    oversample: int = 2
    """FFT oversampling factor of the images before taking amplitude: 1 or 2 (complex SLC input
    only; real amplitude input is never oversampled). ×2 avoids aliasing the amplitude, whose
    bandwidth is twice the SLC's."""
    oversample_scope: str = "image"
    """Where the complex data are oversampled, choices: "image" (once per image block, shared by
    all overlapping windows: fast, no edge effects) | "window" (each window and search area on
    its own periodic support, as ISCE3 ampcor/PyCuAmpcor do)."""
    deramp: str = "none"
    """Phase-ramp removal before oversampling, choices: "none" | "azimuth" (TOPS). With
    oversample_scope "image": a per-line azimuth Doppler, the phase of the lag-1 correlation
    smoothed over one window height, is demodulated; with "window": one linear phase ramp per
    window (both axes) is removed, as ampcor's deramp method 1."""
    two_stage: bool = True
    """With ×2 oversampling: find the integer peak on the amplitude at the original sampling
    (every second ×2 sample, FFTs 4× smaller), then correlate the ×2 amplitude only in a small
    patch around it (exact ×2 NCC at the 5×5 nearby lags, nested DFT sub-pixel grids) —
    ≈1.5–1.9× faster on CPU (64² windows, search 8), same offsets (≤ 0.003 px apart). The SNR's
    noise is then measured on the surface at the original sampling, which is noisier than the
    ×2 surface: SNR ≈ 0.4–0.8× and covariance ≈ 1.2–2.5× the single-stage values (pure-noise
    SNR stays ≲ 13, below min_snr). False: the whole ×2 surface (single stage)."""
    weighting: str = "gaussian"
    """Correlation weights over the reference window, choices: "gaussian" | "uniform"."""
    weight_sigma: float = 0.5
    """Gaussian weight standard deviation as a fraction of the window size per axis (0.5 = σ of
    half a window: centre pixels count most, the whole window still contributes)."""
    subpixel_factor: int = 64
    """Sub-pixel grid of the matrix-multiply DFT peak refinement: 1/subpixel_factor px (original
    px). ≥ 8. A parabola through the best grid node and its neighbours refines further."""
    zoom_halfwidth: float = 0.2
    """Half width, original px, of the refinement region around the coarse peak estimate."""
    snr_exclusion: float = 3.0
    """Half width, original px, of the region around the peak left out of the SNR's noise mean
    (ISCE3's "SNR window 21" at oversample 2 is 5.0). Must be < search on both axes."""
    min_snr: float = 30.0
    """Reject (reason 4) windows with SNR = peak² / mean(surface² away from the peak) below
    this, unless their offset agrees with their kept neighbours' (``rescue_max_deviation``); 0
    disables. On simulated speckle pure-noise maxima over a ±8 px search reach SNR ≈ 10–20
    (≈ 2–13 with two_stage). Real images differ both ways (``python
    benchmarks/real_acceptance.py``: a real Sentinel-1 IW crop, Terceira, shifted by known
    sub-pixel amounts and decorrelated, 64² windows, search ±16; and a real 12-day pair): false
    matches have a heavier tail — bright point targets and coastlines against an unrelated
    part of the image reach SNR 57 at the 1 % false-alarm point (the whole null: 4.6 % pass 25,
    3.5 % pass 30; 0.2 % pass 30 when the null images are decorrelated to γ 0.5) — while
    13–31 % of the RIGHT matches at γ 0.9–0.5 have SNR < 30 (structure raises the surface
    away from the peak). SNR alone then keeps 87 / 82 / 68 / 27 % of the windows at γ 0.9 / 0.7
    / 0.5 / 0.35 where OpenCV's NCC finds the right peak in 100 / 99.8 / 98.9 / 95 % (with its
    peak NCC at the same 1 % false-alarm rate it keeps only 100 / 59 / 28 / 15 %). With the
    default rescue gfjax keeps 100 / 99.7 / 99.1 / 91.5 % (none wrong), and of the windows in a
    patch of unrelated content inside a coherent field it keeps 0.6 % (25: 1.3 %; OpenCV
    without an NCC threshold 70 %)."""
    min_peak: float = 0.0
    """Reject (reason 4) windows with a normalised correlation peak below this; 0 disables."""
    max_nodata_fraction: float = 0.1
    """Reject (reason 2) windows whose reference window or search area holds more than this
    fraction of no-data pixels (NaN, inf or exactly 0)."""
    median_filter_size: int = 5
    """Size (windows) of the local-median outlier filter (autoRIFT NDC-style); 0 disables."""
    median_max_deviation: float = 4.0
    """Reject (reason 5) an offset deviating from the local median of its valid neighbours by
    more than this many robust standard deviations (1.4826 × MAD) ..."""
    median_min_deviation: float = 0.5
    """... and by more than this many px (floor on the threshold, px)."""
    median_min_neighbours: int = 4
    """Minimum number of valid neighbours for the median filter to judge a window."""
    rescue_max_deviation: float = 0.5
    """Spatial consistency for weak peaks: a window rejected only for its SNR or peak (reason 4)
    is kept when its offset lies within this many px, on both axes, of the median offset of the
    windows kept on their own merit (after the median filter) in the ``median_filter_size`` box
    around it, with at least ``rescue_min_neighbours`` of them (a false peak lands anywhere in
    the search range, rarely within ±0.5 px of its neighbours'). 0 (or median_filter_size 0)
    disables. Measured on real Sentinel-1 (``python benchmarks/real_acceptance.py``): see
    ``min_snr``."""
    rescue_min_neighbours: int = 3
    """Minimum number of confidently kept neighbours for ``rescue_max_deviation`` to apply."""
    rescue_passes: int = 2
    """Rescue passes; from the second on, windows rescued before count as kept neighbours (at low
    coherence few windows pass ``min_snr``: Terceira γ 0.35, one shift, min_snr 25: 1 pass
    88 % kept, 2 passes 94.5 %; the unrelated patch's false alarms unchanged)."""
    retry_search: Optional[List[int]] = None
    """Second chance for windows whose peak fell on the search border or was too weak
    (reasons 3, 4): they are tracked again with this wider half search range (azimuth, range) px
    around the same prior, and kept where that peak is inside it with SNR ≥ ``retry_min_snr``
    (an accelerating surge front outruns a prior from the previous pair: autoRIFT's search
    limits from an a-priori velocity and its uncertainty). None disables."""
    retry_window_scales: List[int] = field(default_factory=list)
    """Progressive chip sizes (autoRIFT): windows still rejected for a weak peak (reason 4)
    are tracked again with the window enlarged by each factor in turn (same centre, same
    prior), kept at the first with SNR ≥ ``retry_min_snr`` — more samples find the peak of a
    decorrelated window at the cost of resolution. E.g. [2]. Empty disables."""
    retry_min_snr: Optional[float] = None
    """SNR a retried window needs (a wider search or a larger window gives pure noise higher
    maxima); None = 1.5 × ``min_snr``."""
    coarse_factor: int = 1
    """Coarse-to-fine: > 1 runs a first pass on every coarse_factor-th window per axis (no
    oversampling, search ``coarse_search``) whose median-filtered, hole-filled, interpolated
    offsets become the priors of the fine pass. 1 disables. E.g. 4 with coarse_search
    [32, 160] and search [6, 6] tracks surge offsets of 150 range px."""
    coarse_search: List[int] = field(default_factory=lambda: [64, 64])
    """Half search range (azimuth, range) of the coarse pass, original px."""
    coarse_decimate: int = 1
    """Amplitude decimation (block power average) of the coarse pass's images. 1 (full
    resolution) for speckle tracking — averaging destroys the speckle being tracked; > 1 only
    for images with resolved features (crevasses, rifts)."""
    coarse_window: Optional[List[int]] = None
    """Window (azimuth, range) of the coarse pass in (decimated) px; None = window /
    coarse_decimate (at least 16)."""
    pair_prior: str = "previous_pair"
    """(Pipeline) where a stack's pair gets its a-priori offsets, choices: "none" (zero prior,
    coarse-to-fine if enabled) | "previous_pair" (the previous pair of the same track, its
    holes filled from the nearest valid windows, scaled by the ratio of the pair durations:
    surges build up over months, so each pair's search is centred near its answer)."""
    prior_depth: int = 1
    """(Pipeline, pair_prior "previous_pair") how many earlier pairs of the track may give a
    window its prior: the most recent one where that window was reliable (``prior_min_snr``)
    counts, as a rate scaled to this pair's duration; windows none of them measured are filled
    from the nearest reliable window. 1 = the previous pair only. On a surge a false match
    that passed ``min_snr`` would otherwise become the next pair's search centre, and false
    matches then cluster around it (measured on the Muldrow scene: such matches sit at ~0.3×
    the true offset, a cascade that biases fast ice low); a window's own recent history is a
    better guess than a neighbour's fill."""
    prior_min_snr: Optional[float] = None
    """(Pipeline) SNR a window needs to serve as a prior (None = ``min_snr``). Above the pure
    noise maxima (~12 for two_stage on the Muldrow windows) priors are ~90 % right even where
    most accepted windows are false matches."""
    mask_buffer_m: Optional[float] = None
    """(Pipeline) track only the windows within this distance (m) of the glacier (the scene's
    ice mask, or a user mask), as autoRIFT tracks inside its masks; None = every window.
    Windows left out are NaN with reason 6 (no prior)."""
    segment_by_mask: bool = False
    """(Pipeline) each window correlates only the pixels on its centre's side of the glacier
    outline (the scene's ice mask in the pair's radar geometry; ``track_offsets(segments=…)``):
    a window at the margin measures the ice at its centre, not the coherent rock beside it,
    which otherwise pulls decorrelated fast ice to a zero offset. Needs the accurate method
    with image-scope oversampling."""
    memory_budget_mb: float = 1024.0
    """Device memory (MB) the batched correlation may use; sets the window batch size."""
    batch_size: Optional[int] = None
    """Windows per device call; None = derived from memory_budget_mb."""
    shard: bool = True
    """Shard the window batch over all local devices (1-D mesh) when there are several."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field when an option is outside its range."""
        for name in ("window", "step", "search", "coarse_search"):
            v = getattr(self, name)
            if len(v) != 2 or any(int(x) != x for x in v):
                raise ValueError(f"TrackingOptions.{name} must be 2 integers (azimuth, range), got {v!r}")
        if min(self.window) < 4:
            raise ValueError(f"TrackingOptions.window must be ≥ 4 px per axis, got {self.window!r}")
        if min(self.step) < 1:
            raise ValueError(f"TrackingOptions.step must be ≥ 1 px, got {self.step!r}")
        if min(self.search) < 1 or min(self.coarse_search) < 1:
            raise ValueError(f"TrackingOptions.search/coarse_search must be ≥ 1 px, got "
                             f"{self.search!r}, {self.coarse_search!r}")
        if self.coarse_window is not None and (len(self.coarse_window) != 2 or min(self.coarse_window) < 4):
            raise ValueError(f"TrackingOptions.coarse_window must be None or 2 integers ≥ 4, got {self.coarse_window!r}")
        if self.first_window is not None and (len(self.first_window) != 2 or min(self.first_window) < 0):
            raise ValueError(f"TrackingOptions.first_window must be 2 integers ≥ 0, got {self.first_window!r}")
        if self.oversample not in (1, 2):
            raise ValueError(f"TrackingOptions.oversample must be 1 or 2, got {self.oversample!r}")
        if self.method not in METHODS:
            raise ValueError(f"TrackingOptions.method must be one of {METHODS}, got {self.method!r}")
        if self.oversample_scope not in SCOPES:
            raise ValueError(f"TrackingOptions.oversample_scope must be one of {SCOPES}, got {self.oversample_scope!r}")
        if self.deramp not in DERAMPS:
            raise ValueError(f"TrackingOptions.deramp must be one of {DERAMPS}, got {self.deramp!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"TrackingOptions.weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        if not self.weight_sigma > 0:
            raise ValueError(f"TrackingOptions.weight_sigma must be > 0, got {self.weight_sigma!r}")
        if self.subpixel_factor < 8:
            raise ValueError(f"TrackingOptions.subpixel_factor must be ≥ 8, got {self.subpixel_factor!r}")
        if not 0 < self.zoom_halfwidth <= 1.0:
            raise ValueError(f"TrackingOptions.zoom_halfwidth must be in (0, 1] px, got {self.zoom_halfwidth!r}")
        if not 0 <= self.snr_exclusion < min(self.search):
            raise ValueError(f"TrackingOptions.snr_exclusion must be in [0, min(search)={min(self.search)}) px, "
                             f"got {self.snr_exclusion!r}")
        if not 0 <= self.max_nodata_fraction <= 1:
            raise ValueError(f"TrackingOptions.max_nodata_fraction must be in [0, 1], got {self.max_nodata_fraction!r}")
        if self.median_filter_size < 0 or (self.median_filter_size and self.median_filter_size % 2 == 0):
            raise ValueError(f"TrackingOptions.median_filter_size must be 0 or odd, got {self.median_filter_size!r}")
        if self.retry_search is not None and (len(self.retry_search) != 2 or any(
                int(r) < int(s) for r, s in zip(self.retry_search, self.search))):
            raise ValueError(f"TrackingOptions.retry_search must be None or 2 integers ≥ search "
                             f"{self.search!r}, got {self.retry_search!r}")
        if any(int(f) != f or f < 2 for f in self.retry_window_scales):
            raise ValueError(f"TrackingOptions.retry_window_scales must be integers ≥ 2, got "
                             f"{self.retry_window_scales!r}")
        if not self.rescue_max_deviation >= 0 or self.rescue_min_neighbours < 1 or self.rescue_passes < 1:
            raise ValueError(f"TrackingOptions.rescue_max_deviation must be ≥ 0 px, rescue_min_neighbours and "
                             f"rescue_passes ≥ 1, got {self.rescue_max_deviation!r}, "
                             f"{self.rescue_min_neighbours!r}, {self.rescue_passes!r}")
        if self.retry_min_snr is not None and self.retry_min_snr < 0:
            raise ValueError(f"TrackingOptions.retry_min_snr must be None or ≥ 0, got {self.retry_min_snr!r}")
        if self.coarse_decimate < 1:
            raise ValueError(f"TrackingOptions.coarse_decimate must be ≥ 1, got {self.coarse_decimate!r}")
        if self.coarse_factor < 1:
            raise ValueError(f"TrackingOptions.coarse_factor must be ≥ 1, got {self.coarse_factor!r}")
        if self.mask_buffer_m is not None and not self.mask_buffer_m >= 0:
            raise ValueError(f"TrackingOptions.mask_buffer_m must be None or >= 0 m, got {self.mask_buffer_m!r}")
        if self.segment_by_mask and (self.method == "fast" or self.oversample_scope == "window"):
            raise ValueError("TrackingOptions.segment_by_mask needs method='accurate' and oversample_scope='image'")
        if self.prior_depth < 1:
            raise ValueError(f"TrackingOptions.prior_depth must be ≥ 1, got {self.prior_depth!r}")
        if self.prior_min_snr is not None and self.prior_min_snr < 0:
            raise ValueError(f"TrackingOptions.prior_min_snr must be None or ≥ 0, got {self.prior_min_snr!r}")
        if self.pair_prior not in ("none", "previous_pair"):
            raise ValueError(f"TrackingOptions.pair_prior must be 'none' or 'previous_pair', got {self.pair_prior!r}")
        if not self.memory_budget_mb > 0:
            raise ValueError(f"TrackingOptions.memory_budget_mb must be > 0, got {self.memory_budget_mb!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"TrackingOptions.batch_size must be ≥ 1 or None, got {self.batch_size!r}")

    def to_attrs(self) -> dict:
        """Options as netCDF-safe attributes (lists kept, None → "none", bool → int)."""
        out = {}
        for k, v in asdict(self).items():
            out[k] = "none" if v is None else (int(v) if isinstance(v, bool) else v)
        return out


def resolve_options(options: Optional[TrackingOptions] = None, **overrides) -> TrackingOptions:
    """``options`` (or the defaults) with keyword ``overrides`` applied; tuples become lists.
    Unknown keywords raise ValueError naming them."""
    base = asdict(options) if options is not None else {}
    known = {f.name for f in fields(TrackingOptions)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"track_offsets: unknown option(s) {unknown}; valid: {sorted(known)}")
    for k, v in overrides.items():
        base[k] = list(v) if isinstance(v, tuple) else v
    return TrackingOptions(**base)
