"""Sentinel-1 SLC search and download plans at ASF (``asf_search``, the optional ``asf`` extra).

* :func:`search_params` builds the keyword arguments of ``asf_search.search`` (relative orbits,
  ESA frames, dates, platform, ``processingLevel="SLC"``, ``beamMode="IW"``, area) — no
  package, no network; unit-tested.
* :func:`download_plan` turns search results (``ASFProduct`` objects, GeoJSON features or
  property dicts) into :class:`DownloadItem` rows: URL, file name, size, MD5, target path, and
  whether the target is already there with the right size.
* :func:`plan_download` checks the network first (:class:`NoNetworkError` before anything else
  runs), then imports ``asf_search`` lazily, searches and plans; :func:`execute_plan` downloads
  what is missing with an authenticated ``asf_search.ASFSession`` (Earthdata login).
"""
from __future__ import annotations

import datetime as _dt
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.time import parse_time

if TYPE_CHECKING:
    from ..geometry.grid import MapGrid

SEARCH_HOST = "cmr.earthdata.nasa.gov"       # asf_search queries NASA CMR
PLATFORMS = {"sentinel-1": "SENTINEL-1", "s1": "SENTINEL-1", "sentinel-1a": "SENTINEL-1A",
             "s1a": "SENTINEL-1A", "sentinel-1b": "SENTINEL-1B", "s1b": "SENTINEL-1B",
             "sentinel-1c": "SENTINEL-1C", "s1c": "SENTINEL-1C"}
DIRECTIONS = ("ASCENDING", "DESCENDING")


class NoNetworkError(ConnectionError):
    """ASF cannot be reached from this machine."""


def network_available(host: str = SEARCH_HOST, port: int = 443, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _iso(value: Any, name: str) -> str:  # any date-like value, checked here
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    try:
        t = parse_time(value, "s") if isinstance(value, (str, bytes)) else np.datetime64(value, "s")
    except ValueError:
        raise ValueError(f"search_params: {name} must be a date/time (YYYY-MM-DD[THH:MM:SS]), got {value!r}") from None
    if np.isnat(t):
        raise ValueError(f"search_params: {name} is not a date: {value!r}")
    return f"{t}Z"


def _ints(values: Any, name: str, lo: int, hi: int) -> list[int]:  # a number or numbers, checked here
    values = [values] if np.isscalar(values) else list(values)
    out = []
    for v in values:
        if isinstance(v, bool) or not float(v).is_integer() or not lo <= int(v) <= hi:
            raise ValueError(f"search_params: {name} must be integers in [{lo}, {hi}], got {v!r}")
        out.append(int(v))
    return sorted(set(out))


def _area(value: Any) -> str:  # WKT, a MapGrid or a bounding box, checked here
    if isinstance(value, str):
        if not value.strip().upper().startswith(("POLYGON", "POINT", "LINESTRING", "MULTIPOLYGON")):
            raise ValueError(f"search_params: intersects_with must be WKT (POLYGON …), got {value[:40]!r}")
        return value.strip()
    if hasattr(value, "bounds") and hasattr(value, "crs"):           # a MapGrid
        from pyproj import Transformer

        x0, y0, x1, y1 = value.bounds
        tr = Transformer.from_crs(value.crs, 4326, always_xy=True)
        lon0, lat0, lon1, lat1 = tr.transform_bounds(x0, y0, x1, y1, densify_pts=21)
    else:
        try:
            lon0, lat0, lon1, lat1 = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError("search_params: intersects_with must be WKT, a MapGrid or (lon_min, lat_min, "
                             f"lon_max, lat_max), got {value!r}") from None
    if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
        raise ValueError(f"search_params: bounding box {(lon0, lat0, lon1, lat1)} is not "
                         "(lon_min, lat_min, lon_max, lat_max) in degrees")
    ring = [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0)]
    return "POLYGON((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in ring) + "))"


def search_params(*, tracks: int | Iterable[int] | None = None, frames: int | Iterable[int] | None = None,
                  start: str | _dt.datetime | np.datetime64 | None = None,
                  end: str | _dt.datetime | np.datetime64 | None = None, platform: str = "Sentinel-1",
                  processing_level: str = "SLC", beam_mode: str = "IW", polarization: str | Iterable[str] | None = None,
                  flight_direction: str | None = None,
                  intersects_with: str | MapGrid | Sequence[float] | None = None,
                  max_results: int | None = None) -> dict[str, Any]:
    """Keyword arguments for ``asf_search.search`` (its camelCase names).

    ``tracks``: relative orbits 1–175; ``frames``: ESA frame numbers; ``start``/``end``: dates
    (``end`` after ``start``); ``intersects_with``: WKT, a MapGrid or a lon/lat bounding box.
    At least one of tracks, frames or intersects_with must narrow the search.
    """
    key = str(platform).strip().lower()
    if key not in PLATFORMS:
        raise ValueError(f"search_params: platform must be one of {sorted(PLATFORMS)}, got {platform!r}")
    if tracks is None and frames is None and intersects_with is None:
        raise ValueError("search_params: give tracks, frames or intersects_with (a global search is not planned)")
    params: dict[str, Any] = {"platform": [PLATFORMS[key]], "processingLevel": [str(processing_level).upper()],
                    "beamMode": [str(beam_mode).upper()]}
    if tracks is not None:
        params["relativeOrbit"] = _ints(tracks, "tracks", 1, 175)
    if frames is not None:
        params["frame"] = _ints(frames, "frames", 0, 10_000)
    if start is not None:
        params["start"] = _iso(start, "start")
    if end is not None:
        params["end"] = _iso(end, "end")
    if "start" in params and "end" in params and params["end"] <= params["start"]:
        raise ValueError(f"search_params: end {params['end']} must be after start {params['start']}")
    if polarization is not None:
        params["polarization"] = [p.upper() for p in ([polarization] if isinstance(polarization, str) else polarization)]
    if flight_direction is not None:
        if str(flight_direction).upper() not in DIRECTIONS:
            raise ValueError(f"search_params: flight_direction must be one of {DIRECTIONS}, got {flight_direction!r}")
        params["flightDirection"] = str(flight_direction).upper()
    if intersects_with is not None:
        params["intersectsWith"] = _area(intersects_with)
    if max_results is not None:
        params["maxResults"] = int(max_results)
    return params


@dataclass(frozen=True)
class DownloadItem:
    scene: str
    url: str
    file_name: str
    size_bytes: int | None
    md5: str | None
    target: Path
    start_time: np.datetime64 | None
    track: int | None
    frame: int | None

    @property
    def done(self) -> bool:
        """Target already present with the announced size."""
        return self.target.is_file() and (self.size_bytes is None or self.target.stat().st_size == self.size_bytes)


def _properties(result: Any, i: int) -> dict[str, Any]:  # an asf_search result or its properties dict
    props = getattr(result, "properties", None)
    if props is None and isinstance(result, dict):
        props = result.get("properties", result)
    if not isinstance(props, dict):
        raise ValueError(f"download_plan: result {i} has no properties dict (got {type(result).__name__})")
    return props


def download_plan(results: Iterable[Any], target_dir: str | PathLike[str]) -> list[DownloadItem]:
    """One :class:`DownloadItem` per distinct file of ``results``, ordered by acquisition start."""
    target_dir = Path(target_dir)
    plan: list[DownloadItem] = []
    seen: set[str] = set()
    for i, result in enumerate(results):
        p = _properties(result, i)
        for key in ("url", "fileName"):
            if not p.get(key):
                raise ValueError(f"download_plan: result {i} ({p.get('sceneName', '?')}) has no {key!r}")
        name = Path(str(p["fileName"])).name
        if name in seen:
            continue
        seen.add(name)
        size = p.get("bytes")
        if size is not None and (not float(size).is_integer() or int(size) < 0):
            raise ValueError(f"download_plan: result {i} ({name}) has a bad size {size!r} bytes")
        start = p.get("startTime")
        plan.append(DownloadItem(
            scene=str(p.get("sceneName", Path(name).stem)), url=str(p["url"]), file_name=name,
            size_bytes=None if size is None else int(size), md5=p.get("md5sum"), target=target_dir / name,
            start_time=parse_time(str(start), "s") if start else None,
            track=int(p["pathNumber"]) if p.get("pathNumber") is not None else None,
            frame=int(p["frameNumber"]) if p.get("frameNumber") is not None else None))
    plan.sort(key=lambda d: (d.start_time is None, d.start_time if d.start_time is not None else 0, d.file_name))
    return plan


def _require_network(check: Callable[[], bool]) -> None:
    if not check():
        raise NoNetworkError(f"no network: cannot reach ASF ({SEARCH_HOST}:443). Run the search on a machine "
                             "with internet access (pip install 'gfjax[asf]'), or copy the SAFE .zip files "
                             "into the data folder and read them with gfjax.io.read_sentinel1.")


def _asf_search() -> Any:  # the asf_search module (untyped)
    try:
        import asf_search
    except ImportError:
        raise ImportError("asf_search is not installed: pip install 'gfjax[asf]' (or pip install asf_search)") from None
    return asf_search


def plan_download(target_dir: str | PathLike[str], *, check_network: Callable[[], bool] = network_available,
                  **search: Any) -> list[DownloadItem]:
    """Search ASF (keywords of :func:`search_params`) and plan the downloads into ``target_dir``.

    :class:`NoNetworkError` first when ASF is unreachable (``check_network()`` is False).
    """
    _require_network(check_network)
    asf_search = _asf_search()
    return download_plan(asf_search.search(**search_params(**search)), target_dir)


def execute_plan(plan: list[DownloadItem], session: Any, *,
                 check_network: Callable[[], bool] = network_available) -> list[Path]:
    """Download the items not yet :attr:`~DownloadItem.done` with an ``asf_search.ASFSession``."""
    _require_network(check_network)
    asf_search = _asf_search()
    written = []
    for item in plan:
        if not item.done:
            item.target.parent.mkdir(parents=True, exist_ok=True)
            asf_search.download_url(item.url, path=str(item.target.parent), filename=item.file_name, session=session)
            if not item.done:
                raise OSError(f"{item.target}: downloaded size differs from the announced {item.size_bytes} bytes")
        written.append(item.target)
    return written
