"""What every radar source derives the same way from what it reads (gfjax.protocols): a track's
decimal years from its acquisition times; a scene's time span from its tracks, and its DEM
gradient from its DEM and grid. The synthetic, stack and Sentinel-1 sources share these."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np


class TrackTimes:
    """``decimal_years`` of a track from its ``times`` (datetime64[s])."""

    @property
    def times(self) -> np.ndarray:
        raise NotImplementedError

    @cached_property
    def decimal_years(self) -> np.ndarray:
        from gfjax.core.time import decimal_year

        return decimal_year(self.times)


class RadarSceneBase:
    """``first_time`` / ``last_time`` (decimal years) over a scene's ``tracks``; ``dem_gradient``
    (∂h/∂N, ∂h/∂E) of its ``dem`` on its ``grid`` (plain central differences)."""

    if TYPE_CHECKING:  # what the scene gives (fields or properties of the source)
        @property
        def tracks(self) -> Mapping[str, Any]: ...

        @property
        def dem(self) -> np.ndarray: ...

        @property
        def grid(self) -> Any: ...

    @property
    def first_time(self) -> float:
        return float(min(t.decimal_years[0] for t in self.tracks.values()))

    @property
    def last_time(self) -> float:
        return float(max(t.decimal_years[-1] for t in self.tracks.values()))

    @cached_property
    def dem_gradient(self) -> tuple[np.ndarray, np.ndarray]:
        from gfjax.geometry.gradients import dem_gradient

        return dem_gradient(self.dem, self.grid.spacing)
