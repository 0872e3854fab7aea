"""The ``data`` section: which scene the stages work on (the synthetic Muldrow scene, a user's
stack folder, MSBAS inputs, Sentinel-1 SAFE products, the synthetic scene written as SAFE products
(:mod:`gfjax.pipeline.safe_sim`), or an ASF download), checked before any stage runs (:func:`preflight`).

The stages see the protocols of :mod:`gfjax.protocols`: every source is a ``Scene``; the
synthetic scene and a stack are ``RadarScene``s (tracks, SLC pairs), MSBAS / autoRIFT inputs
``MapScene``s (a map stack); only the synthetic scene is also a ``Truth`` (:func:`has_truth`),
and a stack may carry precomputed offsets per pair.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gfjax.protocols import Scene

log = logging.getLogger("gfjax")

ASF_MISSING = ("data.source=asf requires gfjax.io.asf (the ASF search and download module), which this "
               "installation does not have; use data.source=stack with SLCs you have downloaded and "
               "coregistered")


def source(settings: Any) -> str:
    data = getattr(settings, "data", None)
    return getattr(getattr(data, "source", None), "value", "synthetic")


def has_truth(scene: Scene) -> bool:
    """Whether ``scene`` knows the true flow (also a ``gfjax.protocols.Truth``: the synthetic
    scene) — truth metrics need it."""
    return bool(scene.has_truth)


def truth_on_run_grid(settings: Any, scene: Scene, grid: Any) -> tuple[Any, Any] | None:
    """(ice mask, ``velocity(t0, t1)`` → (4, ny, nx) m/yr) of the true flow on the run's map grid:
    the synthetic scene's own (:func:`has_truth`); for ``data.source=safe_sim`` the scene's truth
    resampled onto the products' AOI grid; None for data without a truth."""
    if has_truth(scene):
        truth: Any = scene
        return truth.ice_mask, truth.interval_velocity
    if source(settings) == "safe_sim":
        from gfjax.pipeline.safe_sim import truth

        return truth(settings, grid)
    return None


def preflight(settings) -> None:
    """Fail fast, before any stage runs, when the data source cannot work: a stack folder that
    is not there, an ASF source without its module or without the network."""
    kind = source(settings)
    data: Any = getattr(settings, "data", None)
    if kind == "synthetic":
        used = [k for k in ("path", "tracks", "frames", "start", "end", "reference") if getattr(data, k, None)]
        if used:
            log.warning("data.%s ignored: data.source=synthetic uses the scene.* options (stacks: "
                        "+experiment=stack or data=stack)", "/".join(used))
        return
    if kind == "stack":
        if not data.path:
            raise ValueError("data.path: the stack folder is required with data.source=stack "
                             "(python -m gfjax.run +experiment=stack data.path=/path/to/stack)")
        if not Path(data.path).expanduser().is_dir():
            raise ValueError(f"data.path: stack folder {data.path} not found")
        reference_products(settings)  # parse data.reference now: a bad entry fails before tracking
        return
    if kind == "msbas":
        _msbas_preflight(settings)
        return
    if kind == "autorift":
        _autorift_preflight(settings)
        return
    if kind == "asf":
        _asf_preflight(data)
    if kind == "sentinel1":
        from gfjax.pipeline.sentinel1 import sentinel1_preflight

        sentinel1_preflight(settings.data)
        reference_products(settings)
    if kind == "safe_sim":
        from gfjax.pipeline.safe_sim import safe_sim_preflight

        safe_sim_preflight(settings)


# data sources that are maps already (the map stack of the geocode stage), and the stages they
# do not need (their outputs are not required upstream)
MAP_SOURCES = ("msbas", "autorift")
NOT_NEEDED = {kind: frozenset({"scene", "offsets", "geocode"}) for kind in MAP_SOURCES}


def stages_not_needed(settings) -> frozenset:
    """Upstream stages the data source makes unnecessary (data.source=msbas: the maps exist)."""
    return NOT_NEEDED.get(source(settings), frozenset())


def _require_dem_for_4d(settings, folder: Path, where: str) -> None:
    """A map source with msbas.dim=4 needs a DEM for the surface gradients; ``where`` says where
    it was looked for (``{}`` = the folder)."""
    from gfjax.io.msbas_scene import dem_file

    if getattr(getattr(settings, "msbas", None), "dim", None) == 4 and dem_file(folder) is None:
        raise ValueError(f"msbas.dim=4 needs a DEM (surface gradients): dem.tif (or dem + dem.par) "
                         f"{where.format(folder)}; or set msbas.dim=3")


def _msbas_preflight(settings) -> None:
    data = settings.data
    if not data.path:
        raise ValueError("data.path: the MSBAS header.txt is required with data.source=msbas "
                         "(python -m gfjax.run +experiment=msbas_inputs data.path=/path/to/header.txt)")
    header = Path(data.path).expanduser()
    if not header.is_file():
        raise ValueError(f"data.path: MSBAS header {data.path} not found")
    _msbas_header_preflight(settings, header)
    reference_products(settings)


def _msbas_header_preflight(settings: Any, header: Path) -> None:
    """What the header decides, checked before any stage: a DEM for msbas.dim=4 unless the header
    gives DD_NSEW_FILES (the 4D split then takes its slopes, as MSBAS v10); with msbas.dim null
    (v10's dimension) a header that v10 runs 1D or 2D has no north component, which the products
    stage needs (horizontal speed, flowlines, figures): refused, naming what runs it."""
    from gfjax.io.msbas_header import parse_header

    hdr = parse_header(header)
    if not hdr.gradient_files:
        _require_dem_for_4d(settings, header.parent, "on the maps' grid in {}, next to the header")
    if getattr(getattr(settings, "msbas", None), "dim", 3) is not None:
        return
    from gfjax.io.msbas_geometry import read_header_geometry

    geometry = read_header_geometry(hdr)
    if geometry.dim < 3 and "products" in list(getattr(settings, "stages", None) or []):
        comps = "LOS" if geometry.dim == 1 else "east, up"
        raise ValueError(
            f"{header}: MSBAS v10 inverts this header in {geometry.dim}D ({comps}; "
            f"{geometry.describe(hdr)}): no north component, which the products stage needs (horizontal "
            f"speed, flowlines, figures). For v10's outputs run `python -m gfjax.msbas {header}`; for the "
            f"time series alone run +experiment=msbas_inputs 'stages=[msbas]' (products/timeseries.nc)")


def _autorift_preflight(settings) -> None:
    data = settings.data
    if not data.path:
        raise ValueError("data.path: the folder of HyP3 autoRIFT products (*.nc) is required with "
                         "data.source=autorift (python -m gfjax.run +experiment=autorift_inputs data.path=/path)")
    folder = Path(data.path).expanduser()
    if not folder.is_dir():
        raise ValueError(f"data.path: autoRIFT folder {data.path} not found")
    if not any(folder.glob("*.nc")):
        raise ValueError(f"data.path: {data.path} holds no autoRIFT product (*.nc)")
    _require_dem_for_4d(settings, folder, "in {}")
    reference_products(settings)


def _asf_preflight(data) -> None:
    """Search ASF and plan the download (gfjax.io.asf); never returns: the pipeline has no
    coregistration, so the plan (or the reason there is none) is the message."""
    try:
        from gfjax.io import asf
    except ImportError:
        raise ValueError(ASF_MISSING) from None
    if not data.path:
        raise ValueError("data.path: the download folder is required with data.source=asf")
    try:
        tracks = [int(str(t).upper().lstrip("T")) for t in data.tracks] or None
    except ValueError:
        raise ValueError(f"data.tracks: relative orbit numbers expected (e.g. [65, 131]), got {list(data.tracks)}") \
            from None
    search = dict(tracks=tracks, frames=[int(f) for f in data.frames] or None, start=data.start, end=data.end)
    asf.search_params(**search)  # validates the search without the network
    try:
        plan = asf.plan_download(Path(data.path).expanduser(), **search)
    except (OSError, ConnectionError, ImportError) as err:
        raise ValueError(f"data.source=asf: {err}") from None
    missing = [item for item in plan if not item.done]
    raise ValueError(f"data.source=asf: {len(plan)} SLC(s) found, {len(missing)} to download into {data.path} "
                     "(gfjax.io.asf.execute_plan with an Earthdata session). Sentinel-1 SLCs must then be "
                     "coregistered (e.g. GAMMA, ISCE) into a stack folder: run data.source=stack on it")


def open_scene(settings: Any, workdir: Path | None = None) -> Scene:
    """The scene of ``settings.data.source``: ``build_scene(settings.scene)``, ``load_stack``,
    ``load_msbas_scene``, ``load_autorift_scene`` or ``open_s1_scene`` (:mod:`gfjax.pipeline.sentinel1`;
    ``safe_sim``: on the products written into ``workdir``, :mod:`gfjax.pipeline.safe_sim`)."""
    kind = source(settings)
    if kind == "synthetic":
        from gfjax.sim import build_scene

        log.info("building the synthetic Muldrow scene")
        return build_scene(settings.scene)
    if kind == "stack":
        from gfjax.io.stack import load_stack

        data = settings.data
        log.info("reading the stack %s", data.path)
        return load_stack(Path(data.path).expanduser(), tracks=list(data.tracks) or None, start=data.start,
                          end=data.end)
    if kind == "msbas":
        from gfjax.io.msbas_scene import load_msbas_scene

        log.info("reading the MSBAS inputs %s", settings.data.path)
        return load_msbas_scene(Path(settings.data.path).expanduser())
    if kind == "autorift":
        from gfjax.io.msbas_scene import load_autorift_scene

        log.info("reading the HyP3 autoRIFT products in %s", settings.data.path)
        return load_autorift_scene(Path(settings.data.path).expanduser())
    if kind == "sentinel1":
        from gfjax.pipeline.sentinel1 import open_sentinel1

        return open_sentinel1(settings.data, settings.geometry.grid_spacing_m)
    if kind == "safe_sim":
        from gfjax.pipeline.safe_sim import open_safe_sim

        if workdir is None:
            raise ValueError("data.source=safe_sim: the scene's products are written into the run folder; "
                             "open_scene needs it (workdir)")
        return open_safe_sim(settings, Path(workdir))
    preflight(settings)
    raise ValueError(f"data.source={kind}: no scene")


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def reference_products(settings: Any, workdir: Path | None = None, years: Any = ()) -> dict[str, Path]:
    """``{year: path}`` of the reference velocity products to validate against: for the
    synthetic scene those its scene stage writes (``workdir/scene/reference_velocity_<year>.nc``
    for ``years``; ``safe_sim``: those written beside its products, whatever ``years``), for a stack
    ``data.reference`` entries ``"YEAR=path"`` or paths whose name holds one year (``ValueError``
    naming the entry otherwise)."""
    if source(settings) == "synthetic":
        if workdir is None:
            return {}
        return {str(y): Path(workdir) / "scene" / f"reference_velocity_{y}.nc" for y in years}
    if source(settings) == "safe_sim":
        from gfjax.pipeline.safe_sim import reference_products as written

        return {} if workdir is None else written(Path(workdir))
    out: dict[str, Path] = {}
    for entry in getattr(settings.data, "reference", []) or []:
        year, sep, path = str(entry).partition("=")
        if not sep:
            path = str(entry)
            years_named = _YEAR.findall(Path(path).name)
            if len(years_named) != 1:
                raise ValueError(f"data.reference: cannot tell the year of {entry!r}; write it as YEAR=path")
            year = years_named[0]
        if not _YEAR.fullmatch(year.strip()):
            raise ValueError(f"data.reference: {entry!r}: expected YEAR=path with a 4-digit year")
        p = Path(path.strip()).expanduser()
        if not p.exists():
            raise ValueError(f"data.reference: {p} not found")
        out[year.strip()] = p
    return out
