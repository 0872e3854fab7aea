"""Write a scene (the synthetic Muldrow scene, or anything with its duck type) as a stack folder
in the layout of :mod:`gfjax.io.stack`: grid.yaml, dem.tif, ice_mask.tif, flowline.geojson and,
per track, track.yaml, lut.tif and GAMMA SLCs. Used by ``experiments/make_stack.py`` and tests.

``images``: ``"pairs"`` writes each pair's two SLCs into ``<track>/pairs/<ref>_<sec>/`` — what
the simulator has, as it speckles every pair independently, so the stack run reproduces the
in-memory run exactly; ``"dates"`` writes one SLC per date (the reference of each pair and the
secondary of the last; with the simulator consecutive dates are then NOT coherent, which suits
format tests only); ``"params"`` writes the parameter files alone (for precomputed offsets).
"""
from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .gamma import SlcParams, write_slc, write_slc_par
from .geotiff import write_geotiff

if TYPE_CHECKING:
    from ..protocols import RadarScene, Scene, Track

IMAGES = ("pairs", "dates", "params")


def day_name(time: Any) -> str:
    """``YYYYMMDD`` of a datetime64 (or anything ``np.datetime64`` reads)."""
    return str(np.datetime64(time, "D")).replace("-", "")


def slc_params(track: Track, index: int, image_format: str = "FCOMPLEX") -> SlcParams:
    """The ISP parameters of acquisition ``index`` of a track (shape, spacings, geometry)."""
    return SlcParams(time=np.datetime64(track.times[index], "s"), range_samples=int(track.shape[1]),
                     azimuth_lines=int(track.shape[0]), range_pixel_spacing=float(track.range_spacing_m),
                     azimuth_pixel_spacing=float(track.azimuth_spacing_m), image_format=image_format,
                     heading=float(track.heading_deg), incidence_angle=float(track.incidence_deg),
                     title=f"{track.name} {day_name(track.times[index])}",
                     extra={"sensor": "gfjax simulator", "image_geometry": "SLANT_RANGE"})


def write_map_inputs(scene: Scene, root: Path) -> None:
    """grid.yaml, dem.tif, ice_mask.tif and (when the scene has one) flowline.geojson."""
    g = scene.grid
    root.mkdir(parents=True, exist_ok=True)
    (root / "grid.yaml").write_text(f"# map grid (edges, m) shared by dem.tif, ice_mask.tif and the lookup tables\n"
                                    f"epsg: {g.epsg}\nbounds: [{', '.join(repr(float(b)) for b in g.bounds)}]\n"
                                    f"spacing: {g.spacing!r}\n")
    write_geotiff(root / "dem.tif", scene.dem, g)
    write_geotiff(root / "ice_mask.tif", np.asarray(scene.ice_mask, np.uint8), g, nodata=None, dtype="uint8")
    fl = getattr(scene, "flowline", None)
    if fl is not None:
        doc = {"type": "Feature", "properties": {"name": "central flowline, head to terminus", "epsg": g.epsg},
               "geometry": {"type": "LineString", "coordinates": np.stack([fl.x, fl.y], 1).tolist()}}
        (root / "flowline.geojson").write_text(json.dumps(doc))


def write_track(scene: RadarScene, name: str, folder: Path, images: str = "pairs",
                image_format: str = "FCOMPLEX") -> int:
    """One track folder; returns the number of SLC images written."""
    if images not in IMAGES:
        raise ValueError(f"images: expected one of {IMAGES}, got {images!r}")
    trk = scene.tracks[name]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "track.yaml").write_text(f"direction: {trk.direction}\n")
    az, rg = trk.map_to_radar()
    write_geotiff(folder / "lut.tif", np.stack([az, rg]), scene.grid, band_names=["azimuth_px", "range_px"])
    if images == "params":
        for i in range(len(trk.times)):
            write_slc_par(folder / f"{day_name(trk.times[i])}.rslc.par", slc_params(trk, i, image_format))
        return 0
    written = 0
    done: set[int] = set()
    for k, (i, j) in enumerate(trk.pairs):
        ref, sec = scene.slc_pair(name, k)
        if images == "pairs":
            pdir = folder / "pairs" / f"{day_name(trk.times[i])}_{day_name(trk.times[j])}"
            for idx, data in ((i, ref), (j, sec)):
                write_slc(pdir / f"{day_name(trk.times[idx])}.rslc", data, slc_params(trk, idx, image_format))
                written += 1
            continue
        for idx, data in ((i, ref), (j, sec)):
            if idx not in done and (idx == i or k == len(trk.pairs) - 1):
                write_slc(folder / f"{day_name(trk.times[idx])}.rslc", data, slc_params(trk, idx, image_format))
                done.add(idx)
                written += 1
    return written


def write_stack(scene: RadarScene, path
: str | PathLike[str], images: str = "pairs", image_format: str = "FCOMPLEX") -> Path:
    """Write ``scene`` (all its tracks) as a stack folder at ``path``; returns the path."""
    root = Path(path)
    write_map_inputs(scene, root)
    for name in scene.tracks:
        write_track(scene, name, root / name, images, image_format)
    return root
