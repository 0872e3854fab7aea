"""The synthetic Muldrow scene written as Sentinel-1 IW SLC products (SAFE zips), orbit files and a DEM GeoTIFF.

:func:`write_safe_scene` writes, for every acquisition of the scene's tracks (T065 ascending,
T131 descending), a SAFE zip as ESA ships it — ``manifest.safe``, one IW2 VV annotation
(:mod:`gfjax.io.safe_annotation`, read by xarray-sentinel), a full-size CInt16 measurement TIFF
of 9 bursts holding data only over the scene (:func:`gfjax.io.safe_write.write_sparse_measurement`)
— plus a POEORB orbit file per acquisition and the scene's DEM (heights above the ellipsoid).

Orbit and swath: :mod:`gfjax.sim.s1_swath` (one per acquisition: a baseline of up to ~±60 m and
a fraction of a line of burst timing between acquisitions).

Image content: scatterers (the simulator's band-limited complex speckle ``C``, bandwidth 0.75,
:func:`gfjax.sim.slc.band_limited_speckle`, on a frame affine in (east, north, height) fitted to
the first acquisition's lines and samples — the image's own pixel size and orientation, so that
sampling it never aliases; the simulator's affine track grid is ~8° off the real azimuth at 63° N,
which aliased and biased sub-pixel offsets by 0.04 px), brightness ``sqrt(σ⁰)`` of
:func:`gfjax.sim.slc.backscatter_map`, are carried by the ground: a feature at map position ``p``
at the acquisition's time came from ``x0(p)`` at the first acquisition, ``x0`` chained pair by pair
through the scene's true displacement between consecutive acquisitions (so each consecutive pair
moves exactly by ``scene.displacement(t_i, t_{i+1})`` at the reference position, the truth the
simulator's pairs use), and its height is the DEM's at ``x0`` plus the true vertical
displacement. Where it lands in the acquisition's bursts is given by
:func:`gfjax.geometry.s1_geometry.radar_coordinates_llh` on the acquisition's own orbit; the pixel
value is ``C`` at ``x0``'s frame position (quintic spline), decorrelated as :mod:`gfjax.sim.slc`
does (``(signal + a·noise)/sqrt(1 + a²)`` with ``a² = (1 − γ)/γ``, γ the coherence of the pair ending
at this acquisition, an independent
noise field per acquisition, white thermal noise of power ``spec.noise``), then re-ramped with
the TOPS azimuth phase its annotation describes (:func:`gfjax.offsets.deramp.ramp_phase`),
scaled to ~100 DN and rounded to CInt16. Cells and pixels are mapped through nodes every
``NODE_STEP`` px (bilinear between the map cells' radar positions, inverted by Newton).
"""
from __future__ import annotations

import logging
import shutil
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import map_coordinates, spline_filter

from gfjax.io.orbit import StateVectors, write_eof
from gfjax.io.safe_annotation import write_annotation
from gfjax.io.safe_write import REP_ANNOTATION, REP_MEASUREMENT, write_manifest, write_sparse_measurement
from gfjax.sim.s1_swath import (ATI_FULL, BURST_CYCLE_S, BURST_LENGTH_S, SPEED_OF_LIGHT, CircularOrbit, SwathLayout,
                                 annotation, llh_to_ecef, ns_time, solve_orbit, stamp)

log = logging.getLogger("gfjax")

__all__ = ["write_acquisition", "write_safe_products", "write_safe_scene"]

DN_SCALE = 100.0
NODE_STEP = (4, 16)
TRACK_ORBITS = {"T065": 65, "T131": 131}
BASELINE_NODE_RAD = 1e-5         # node shift per baseline step: ~60 m across track
TIMING_JITTER = 1.0              # burst timing jitter, lines (± half of it)


def _sample(grid: Any, field: np.ndarray, east: np.ndarray, north: np.ndarray, order: int = 1) -> np.ndarray:
    r, c = grid.fractional_index(east, north)
    return map_coordinates(np.asarray(field, np.float64), [np.ravel(r), np.ravel(c)], order=order,
                           mode="nearest").reshape(np.shape(r))


@dataclass
class _Ground:
    """Per map cell at one acquisition: the feature's origin (x0, y0) at the first acquisition and its height."""

    x0: np.ndarray
    y0: np.ndarray
    z: np.ndarray

    def advance(self, scene: Any, t0: float, t1: float) -> "_Ground":
        """The fields one acquisition later: features at p came from p − E(p), E = d(p − E) (fixed point)."""
        grid, d = scene.grid, scene.displacement(t0, t1)
        x, y = grid.meshgrid()
        ee, en = np.zeros(x.shape), np.zeros(x.shape)
        for _ in range(6):
            ee, en = _sample(grid, d[1], x - ee, y - en), _sample(grid, d[0], x - ee, y - en)
        px, py = x - ee, y - en
        return _Ground(_sample(grid, self.x0, px, py), _sample(grid, self.y0, px, py),
                       _sample(grid, self.z, px, py) + _sample(grid, d[2] + d[3], px, py))


@dataclass
class _Scatterers:
    """A track's scatterers: band-limited speckle on a frame affine in (east, north, height), fitted to the
    first acquisition's swath lines and samples over the scene, so it has that image's pixel size and
    orientation (sampled by every acquisition at ~unit scale: no aliasing, sub-pixel shifts exact)."""

    affine: np.ndarray                      # (2, 4): (line, sample) = affine @ (east, north, height, 1)
    shape: tuple[int, int]
    coef: tuple[np.ndarray, np.ndarray]     # quintic spline coefficients of the real and imaginary parts

    @classmethod
    def fit(cls, line: np.ndarray, sample: np.ndarray, x: np.ndarray, y: np.ndarray, h: np.ndarray,
            seed: list[int]) -> "_Scatterers":
        a = np.column_stack([np.ravel(x), np.ravel(y), np.ravel(h), np.ones(np.size(x))])
        affine = np.linalg.lstsq(a, np.column_stack([np.ravel(line), np.ravel(sample)]), rcond=None)[0].T
        q = affine @ a.T
        affine[:, 3] -= q.min(axis=1) - 16
        shape = (int(np.ceil(np.ptp(q[0]))) + 33, int(np.ceil(np.ptp(q[1]))) + 33)
        return cls(affine, shape, _spline_speckle(np.random.default_rng(seed), shape))

    def coords(self, x: np.ndarray, y: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.affine
        return (a[0, 0] * x + a[0, 1] * y + a[0, 2] * h + a[0, 3], a[1, 0] * x + a[1, 1] * y + a[1, 2] * h + a[1, 3])


def _spline_speckle(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    from gfjax.sim.slc import band_limited_speckle

    speckle = band_limited_speckle(rng, shape)
    return spline_filter(speckle.real, 5), spline_filter(speckle.imag, 5)


def _coherence(scene: Any, t0: float, t1: float) -> np.ndarray:
    from gfjax.sim.slc import _coherence_map

    return _coherence_map(scene, scene.displacement(t0, t1), (t1 - t0) * 365.25)


class _Inverse:
    """Radar (line, sample) → values carried by the map cells: the map position whose bilinearly interpolated
    line and sample are the given ones (Newton from an affine guess), the values bilinear there; NaN off the grid."""

    def __init__(self, line: np.ndarray, sample: np.ndarray, values: np.ndarray) -> None:
        self.fields = np.stack([line, sample]).astype(np.float64)
        self.values = np.asarray(values, np.float64)
        r, c = np.meshgrid(np.arange(line.shape[0]), np.arange(line.shape[1]), indexing="ij")
        a = np.column_stack([line.ravel(), sample.ravel(), np.ones(line.size)])
        self.affine = np.linalg.lstsq(a, np.column_stack([r.ravel(), c.ravel()]), rcond=None)[0]

    def _at(self, f: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return map_coordinates(f, [r, c], order=1, mode="nearest")

    def __call__(self, line: np.ndarray, sample: np.ndarray) -> np.ndarray:
        shape = np.shape(line)
        lv, sv = np.ravel(line).astype(np.float64), np.ravel(sample).astype(np.float64)
        rc = np.column_stack([lv, sv, np.ones(lv.size)]) @ self.affine
        r, c = rc[:, 0], rc[:, 1]
        ny, nx = self.fields.shape[1:]
        for _ in range(8):
            f = [self._at(k, r, c) for k in self.fields]
            h = 0.25
            dr = [(self._at(k, r + h, c) - self._at(k, r - h, c)) / (2 * h) for k in self.fields]
            dc = [(self._at(k, r, c + h) - self._at(k, r, c - h)) / (2 * h) for k in self.fields]
            e0, e1 = f[0] - lv, f[1] - sv
            det = dr[0] * dc[1] - dc[0] * dr[1]
            det = np.where(np.abs(det) < 1e-12, 1e-12, det)
            r = np.clip(r - (dc[1] * e0 - dc[0] * e1) / det, -2.0, ny + 1.0)
            c = np.clip(c - (dr[0] * e1 - dr[1] * e0) / det, -2.0, nx + 1.0)
        f = [self._at(k, r, c) for k in self.fields]
        ok = ((r >= 0) & (r <= ny - 1) & (c >= 0) & (c <= nx - 1) & (np.abs(f[0] - lv) < 0.01)
              & (np.abs(f[1] - sv) < 0.01))
        out = np.stack([self._at(v, r, c) for v in self.values])
        out[:, ~ok] = np.nan
        return out.reshape((len(self.values), *shape))


def _render(scene: Any, trk: Any, sw: Any, vectors: StateVectors, ground: _Ground, gamma: np.ndarray,
            scat: _Scatterers | None, seed: list[int]) -> tuple[list[tuple[int, int, np.ndarray]], _Scatterers]:
    """Measurement blocks (swath line, sample, complex DN) of one acquisition over the scene, and the track's
    scatterers (fitted on this acquisition when ``scat`` is None: the first one)."""
    import jax.numpy as jnp

    from gfjax.geometry.crs import xy_to_lonlat
    from gfjax.geometry.s1_geometry import radar_coordinates_llh
    from gfjax.offsets.deramp import ramp_phase, tops_ramp
    from gfjax.sim.slc import backscatter_map

    grid = scene.grid
    x, y = grid.meshgrid()
    lon, lat = xy_to_lonlat(grid.epsg, x, y)
    rc = radar_coordinates_llh(sw, lat, lon, ground.z, vectors)
    ati = sw.azimuth_time_interval_s
    line = (rc["azimuth_seconds"] - 0.5 * (rc["slant_range_time_s"] - sw.slant_range_time_s)) / ati
    sample = rc["sample"]
    if scat is None:
        scat = _Scatterers.fit(line, sample, x, y, ground.z, [*seed[:2], 4242])
    qa, qr = scat.coords(ground.x0, ground.y0, _sample(grid, scene.dem, ground.x0, ground.y0))
    amp = np.sqrt(_sample(grid, backscatter_map(scene, trk), ground.x0, ground.y0))
    inverse = _Inverse(line, sample, np.stack([qa, qr, amp, gamma]))
    rng = np.random.default_rng(seed)
    noise_coef = _spline_speckle(rng, scat.shape)
    sigma = float(np.sqrt(scene.spec.noise / 2.0))
    first_line = sw.bursts[0].azimuth_time
    blocks = []
    for b, burst in enumerate(sw.bursts):
        (v0, v1), (s_lo, s_hi) = burst.valid_lines, burst.valid_samples
        start = ((burst.azimuth_time - first_line) / np.timedelta64(1, "ns")) * 1e-9 / ati
        l0 = max(v0, int(np.floor(line.min() - start)) - 2)
        l1 = min(v1 + 1, int(np.ceil(line.max() - start)) + 3)
        s0 = max(s_lo, int(np.floor(sample.min())) - 2)
        s1 = min(s_hi + 1, int(np.ceil(sample.max())) + 3)
        if l1 <= l0 or s1 <= s0:
            continue
        na, nr = (l1 - l0 - 1) // NODE_STEP[0] + 2, (s1 - s0 - 1) // NODE_STEP[1] + 2
        nl, nsmp = np.meshgrid(start + l0 + NODE_STEP[0] * np.arange(na), s0 + NODE_STEP[1] * np.arange(nr),
                               indexing="ij")
        nodes = np.moveaxis(inverse(nl, nsmp), 0, -1)
        if not np.isfinite(nodes[..., 0]).any():
            continue
        ia, ir = np.meshgrid(np.arange(l1 - l0) / NODE_STEP[0], np.arange(s1 - s0) / NODE_STEP[1], indexing="ij")
        val = [map_coordinates(nodes[..., k], [ia, ir], order=1, mode="nearest") for k in range(4)]
        ok = np.all(np.isfinite(val), axis=0)
        pa, pr = np.where(ok, val[0], 0.0), np.where(ok, val[1], 0.0)
        at = lambda c: map_coordinates(c, [pa, pr], order=5, prefilter=False, mode="mirror")  # noqa: E731
        signal = at(scat.coef[0]) + 1j * at(scat.coef[1])
        decor = at(noise_coef[0]) + 1j * at(noise_coef[1])
        g = np.clip(np.where(ok, val[3], 1.0), 0.02, 1.0)
        a = np.sqrt((1.0 - g) / g)
        pix = np.where(ok, val[2], 0.0) * (signal + a * decor) / np.sqrt(1.0 + a * a)
        if sigma > 0:
            pix = pix + sigma * (rng.standard_normal(pix.shape) + 1j * rng.standard_normal(pix.shape))
        pix = np.where(ok, pix * DN_SCALE, 0.0).astype(np.complex64)
        # the TOPS azimuth ramp the annotation describes (the reader's deramp_window removes exactly this)
        lines_b = jnp.arange(l0, l1, dtype=jnp.float32)[:, None]
        samples_b = jnp.arange(s0, s1, dtype=jnp.float32)[None, :]
        phase = np.asarray(ramp_phase(tops_ramp(sw, b, vectors), lines_b, samples_b))
        blocks.append((b * sw.lines_per_burst + l0, s0, pix * np.exp(1j * phase).astype(np.complex64)))
    return blocks, scat


def _name(t0: Any, t1: Any, absolute: int, data_take: int) -> tuple[str, str]:
    """(product name, annotation / measurement stem) as ESA names them."""
    a, b = (stamp(t).replace("-", "").replace(":", "") for t in (t0, t1))
    product = f"S1A_IW_SLC__1SDV_{a}_{b}_{absolute:06d}_{data_take:06X}_{(absolute * 7 + data_take) % 65536:04X}"
    return product, f"s1a-iw2-slc-vv-{a.lower()}-{b.lower()}-{absolute:06d}-{data_take:06x}-005"


def _zip(root: Path) -> Path:
    out = root.with_suffix(".zip")
    with zipfile.ZipFile(out, "w") as z:             # stored: GDAL reads the TIFF's windows in place
        for f in sorted(root.rglob("*")):
            if f.is_file():
                z.write(f, f"{root.name}/{f.relative_to(root).as_posix()}")
    shutil.rmtree(root)
    return out


def write_acquisition(folder: Path, scene: Any, trk: Any, j: int, orbit: CircularOrbit, ground: _Ground,
                      gamma: np.ndarray, scat: _Scatterers | None, centre: tuple[float, float, float],
                      x_centre: np.ndarray) -> tuple[Path, _Scatterers]:
    """One acquisition of a track as a SAFE zip (and its orbit file) in ``folder``; the track's scatterers."""
    from gfjax.io.orbit import StateVectors as SV
    from gfjax.io.safe import open_safe

    t = ns_time(trk.times[j])
    track = TRACK_ORBITS[trk.name]
    pos, _ = orbit.state(0.0)
    tau_c = 2.0 * float(np.linalg.norm(pos[0] - x_centre)) / SPEED_OF_LIGHT
    jitter = (((j * 0.37) % 1.0) - 0.5) * TIMING_JITTER * ATI_FULL * scene.spec.pixel_scale
    lay = SwathLayout(scene.spec.pixel_scale, ns_time("1970-01-01"), 0.0)
    first = t - np.timedelta64(int(round((4 * BURST_CYCLE_S + 0.5 * BURST_LENGTH_S - jitter) * 1e9)), "ns")
    layout = SwathLayout(scene.spec.pixel_scale, first, tau_c - 0.5 * (lay.samples - 1) / lay.fs)
    last = layout.burst_times[-1] + np.timedelta64(int(BURST_LENGTH_S * 1e9), "ns")
    vectors = orbit.vectors(first - np.timedelta64(60, "s"), last + np.timedelta64(60, "s"))
    eof = orbit.vectors(t - np.timedelta64(900, "s"), t + np.timedelta64(900, "s"))
    write_eof(folder, SV(eof.time, eof.position, eof.velocity, "POEORB"), "S1A", "POEORB",
              created=t + np.timedelta64(20, "D"))
    anx = t - np.timedelta64(int(round(orbit.u0 / orbit.mean_motion * 1e9)), "ns")
    direction = "ASCENDING" if trk.direction.lower().startswith("asc") else "DESCENDING"
    ann = annotation(orbit, vectors, layout, track, direction, anx, centre)
    product, stem = _name(ann.burst_times[0], ann.last_line_time, ann.absolute_orbit, ann.data_take_id)
    root = folder / f"{product}.SAFE"
    if root.exists():
        shutil.rmtree(root)
    (root / "annotation").mkdir(parents=True)
    (root / "measurement").mkdir()
    write_annotation(root / "annotation" / f"{stem}.xml", ann)
    files = [(f"annotation/{stem}.xml", REP_ANNOTATION), (f"measurement/{stem}.tiff", REP_MEASUREMENT)]
    write_manifest(root / "manifest.safe", mission="S1A", mode="IW", swaths=["IW2"], pass_direction=direction,
                   absolute_orbit=ann.absolute_orbit, relative_orbit=track,
                   ascending_node_time=stamp(anx, "us"),
                   data_take_id=ann.data_take_id, polarisations=["VV"],
                   start_time=stamp(ann.burst_times[0], "us"),
                   stop_time=stamp(ann.last_line_time, "us"),
                   files=files)
    sw = open_safe(root).swath("IW2", "VV")
    seed = [scene.spec.seed, track, 5000 + j]
    blocks, scat = _render(scene, trk, sw, vectors, ground, gamma, scat, seed)
    write_sparse_measurement(root / "measurement" / f"{stem}.tiff", (sw.number_of_lines, sw.number_of_samples), blocks)
    return _zip(root), scat


def write_safe_scene(scene: Any, folder: str | PathLike[str], tracks: list[str] | None = None) -> dict[str, Any]:
    """Write every acquisition of ``scene`` (:func:`gfjax.sim.scene.build_scene`) as SAFE zips, POEORB orbit
    files and ``dem.tif`` (ellipsoidal heights) into ``folder``. Returns ``{"products": {track: [zip, …]},
    "dem": path, "orbits": {track: CircularOrbit of the first acquisition}}``."""
    from gfjax.geometry.crs import xy_to_lonlat
    from gfjax.io.geotiff import write_geotiff
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    grid = scene.grid
    xmin, ymin, xmax, ymax = grid.bounds
    lon_c, lat_c = (float(v) for v in xy_to_lonlat(grid.epsg, 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)))
    h_c = float(np.median(scene.dem))
    x_centre = llh_to_ecef(lat_c, lon_c, h_c)
    dem = write_geotiff(folder / "dem.tif", scene.dem, grid)
    out: dict[str, Any] = {"products": {}, "dem": dem, "orbits": {}}
    x, y = grid.meshgrid()
    for name in tracks or list(scene.tracks):
        trk = scene.tracks[name]
        years = trk.decimal_years
        scat = None
        ground = _Ground(x.astype(np.float64), y.astype(np.float64), scene.dem.astype(np.float64))
        base = solve_orbit(lat_c, lon_c, h_c, trk.incidence_deg, trk.direction, ns_time(trk.times[0]))
        out["orbits"][name] = base
        zips = []
        for j in range(len(trk.times)):
            if j > 0:
                ground = ground.advance(scene, years[j - 1], years[j])
            pair = (j - 1, j) if j > 0 else (0, 1)
            gamma = _coherence(scene, years[pair[0]], years[pair[1]])
            node = base.node + BASELINE_NODE_RAD * (((j * 3) % 5) - 2) / 2.0     # baseline up to ~±60 m
            orbit = CircularOrbit(node, base.u0, ns_time(trk.times[j]))
            path, scat = write_acquisition(folder, scene, trk, j, orbit, ground, gamma, scat, (lat_c, lon_c, h_c),
                                           x_centre)
            zips.append(path)
        out["products"][name] = zips
    return out


def write_safe_products(spec: Any, folder: str | PathLike[str]) -> dict[str, Any]:
    """The scene of ``spec`` (a :class:`~gfjax.core.scene_spec.SceneSpec`) as :func:`write_safe_scene` writes
    it into ``folder``, plus the reference velocity products of the years its acquisitions cover enough
    (``reference_velocity_<year>.nc``, :func:`gfjax.sim.reference.reference_span`). Returns
    :func:`write_safe_scene`'s dict plus ``"scene"`` and ``"references"`` ({year: path})."""
    from gfjax.sim.reference import write_reference_product
    from gfjax.sim.scene import build_scene

    scene = build_scene(spec)
    out = Path(folder)
    written = write_safe_scene(scene, out)
    years = sorted({int(str(t)[:4]) for trk in scene.tracks.values() for t in trk.times})
    written["scene"] = scene
    written["references"] = {}
    for y in years:
        try:
            written["references"][y] = write_reference_product(scene, y, out / f"reference_velocity_{y}.nc")[0]
        except ValueError as err:           # the acquisitions cover too little of that year
            log.info("no reference product for %d: %s", y, err)
    return written


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """``python -m gfjax.sim.safe_scene OUT [key=value …]``: write the scene (SceneSpec fields as overrides,
    e.g. ``pixel_scale=4 grid_spacing_m=200 start=2017-06-01 end=2017-09-30``) as SAFE zips, POEORB files,
    ``dem.tif``, and the reference velocity products of the years it covers enough
    (``reference_velocity_<year>.nc``)
    into OUT, and print the ``+experiment=sentinel1`` command that runs the chain on them. Returns
    :func:`write_safe_scene`'s dict plus ``"scene"`` and ``"references"`` ({year: path})."""
    import argparse
    import dataclasses

    from gfjax.core.scene_spec import SceneSpec

    parser = argparse.ArgumentParser(prog="python -m gfjax.sim.safe_scene", description=main.__doc__)
    parser.add_argument("out")
    parser.add_argument("overrides", nargs="*", help="SceneSpec field=value")
    args = parser.parse_args(argv)
    fields = {f.name: f for f in dataclasses.fields(SceneSpec)}
    kw: dict[str, Any] = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            parser.error(f"{item!r}: expected field=value with a SceneSpec field ({', '.join(fields)})")
        default = getattr(SceneSpec(), key)
        kw[key] = ([v for v in value.strip("[]").split(",") if v] if isinstance(default, list)
                   else type(default)(value))
    if "bbox" in kw:
        kw["bbox"] = [float(v) for v in kw["bbox"]]
    out = Path(args.out)
    written = write_safe_products(SceneSpec(**kw), out)
    scene = written["scene"]
    refs = [f"{y}={p}" for y, p in written["references"].items()]
    aoi = Path(__file__).resolve().parents[1] / "data" / "muldrow_outline.geojson"
    print(f"{sum(len(v) for v in written['products'].values())} products in {out}; run:\n"
          f"python -m gfjax.run +experiment=sentinel1 data.path={out} data.aoi={aoi} data.dem={written['dem']} "
          f"data.dem_datum=ellipsoid \"data.reference=[{','.join(repr(r) for r in refs)}]\" "
          f"geometry.grid_spacing_m={scene.spec.grid_spacing_m}")
    return written


if __name__ == "__main__":
    main()
