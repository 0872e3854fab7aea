"""Knobs of the synthetic Muldrow scene (a plain frozen dataclass, OmegaConf-compatible).

Here rather than in ``gfjax.sim``: the config schema of every run declares the ``scene`` group
with it, and a real-data run must not import the simulator."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import List

import numpy as np

SCENE_FIRST_DATE = "2014-10-22"
SCENE_LAST_DATE = "2021-11-18"
KNOWN_TRACKS = ("T065", "T131")


@dataclass(frozen=True)
class SceneSpec:
    """What to simulate.

    outline: GeoJSON polygon (EPSG:32605); "" = the packaged RGI60-01.22169 outline.
    grid_spacing_m: map grid cell size, m (truth, DEM and lookup tables live on it).
    margin_m: map extent = outline bounding box grown by this margin, m.
    bbox: [xmin, ymin, xmax, ymax] m (EPSG:32605) map extent instead of the outline's; [] = off.
    pixel_scale: radar pixel spacings are 14.9 m (azimuth) × 2.3 m (slant range) times this.
    start, end: ISO dates (inclusive) selecting acquisitions inside 2014-10-22 … 2021-11-18.
    date_step: keep every n-th acquisition of each track (after the date selection).
    tracks: subset of ["T065", "T131"].
    seed: master seed of every random field (speckle, noise, reference-product noise).
    coherence: speckle coherence of a 12-day pair on slowly moving ice, in (0, 1].
    decorrelation_days: e-folding time of the extra temporal decorrelation beyond 12 days.
    noise: thermal noise power relative to the mean signal intensity (0 = none).
    reference_noise_m_per_yr: std of the reference (ITS_LIVE-like) product's noise, m/yr.
    """

    outline: str = ""
    grid_spacing_m: float = 100.0
    margin_m: float = 2000.0
    bbox: List[float] = field(default_factory=list)
    pixel_scale: float = 1.0
    start: str = SCENE_FIRST_DATE
    end: str = SCENE_LAST_DATE
    date_step: int = 1
    tracks: List[str] = field(default_factory=lambda: list(KNOWN_TRACKS))
    seed: int = 0
    coherence: float = 0.8
    decorrelation_days: float = 60.0
    noise: float = 0.05
    reference_noise_m_per_yr: float = 30.0

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> ValueError:
            return ValueError(f"SceneSpec.{name}: expected {expected}, got {getattr(self, name)!r}")

        if not self.grid_spacing_m > 0:
            raise bad("grid_spacing_m", "a spacing > 0 m")
        if not self.margin_m >= 0:
            raise bad("margin_m", "a margin >= 0 m")
        if not self.pixel_scale > 0:
            raise bad("pixel_scale", "a factor > 0")
        if not (isinstance(self.date_step, int) and self.date_step >= 1):
            raise bad("date_step", "an integer >= 1")
        if not 0.0 < self.coherence <= 1.0:
            raise bad("coherence", "a value in (0, 1]")
        if not self.decorrelation_days > 0:
            raise bad("decorrelation_days", "a time > 0 days")
        if not self.noise >= 0:
            raise bad("noise", "a relative noise power >= 0")
        if not self.reference_noise_m_per_yr >= 0:
            raise bad("reference_noise_m_per_yr", "a noise level >= 0 m/yr")
        bbox = [float(v) for v in self.bbox]
        if bbox and (len(bbox) != 4 or bbox[0] >= bbox[2] or bbox[1] >= bbox[3]):
            raise bad("bbox", "[] or [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax")
        tracks = list(self.tracks)
        if not tracks or any(t not in KNOWN_TRACKS for t in tracks) or len(set(tracks)) != len(tracks):
            raise bad("tracks", f"a non-empty list of distinct names from {list(KNOWN_TRACKS)}")
        first, last = np.datetime64(SCENE_FIRST_DATE, "D"), np.datetime64(SCENE_LAST_DATE, "D")
        dates = {}
        for name in ("start", "end"):
            try:
                dates[name] = np.datetime64(str(getattr(self, name)), "D")
            except ValueError:
                raise bad(name, "an ISO date YYYY-MM-DD") from None
            if not first <= dates[name] <= last:
                raise bad(name, f"a date within the scene's {SCENE_FIRST_DATE} … {SCENE_LAST_DATE}")
        if dates["end"] <= dates["start"]:
            raise ValueError(f"SceneSpec.end ({self.end}) must be after SceneSpec.start ({self.start})")

    @classmethod
    def from_dict(cls, values: dict) -> "SceneSpec":
        """Build from a mapping (e.g. an OmegaConf node); unknown keys → ValueError naming them."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"SceneSpec: unknown field(s) {unknown}; valid fields are {names}")
        return cls(**dict(values))

    def replace(self, **changes) -> "SceneSpec":
        return self.from_dict({**dataclasses.asdict(self), **changes})
