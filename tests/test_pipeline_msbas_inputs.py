"""MSBAS v10 inputs (data.source=msbas, +experiment=msbas_inputs) and HyP3 autoRIFT products
(data.source=autorift, +experiment=autorift_inputs) as data sources: the msbas and products stages
run on their maps and give the in-memory inversion of the same maps; a missing input or
(msbas.dim=4) DEM stops before any stage, naming what is missing."""
import numpy as np
import pytest
import xarray as xr

from cli import gfjax

from gfjax.geometry.grid import MapGrid
from gfjax.io.msbas_export import MsbasSet, export_msbas, read_msbas_inputs
from gfjax.msbas.synthetic import projection

GRID = MapGrid(32605, 612000.0, 7016000.0, 400.0, 9, 7)
COMMON = ["msbas.lam_candidates=[]", "msbas.select_lam=fixed", "msbas.dim=3", "msbas.order=1", "msbas.lam=0.01",
          "products.animation=false"]


def write_inputs(folder):
    """Two tracks × (range, azimuth), consecutive 12-day pairs, a uniform flow + noise, holes."""
    rng = np.random.default_rng(1)
    v = np.array([0.3, -0.2, 0.05])  # (north, east, up) m/day
    sets = []
    for track, (heading, incidence, first) in {"T065": (-12.9, 34.0, "2017-06-02"),
                                               "T131": (192.9, 41.0, "2017-06-08")}.items():
        days = np.datetime64(first, "D") + 12 * np.arange(5)
        for kind in ("range", "azimuth"):
            pairs = []
            for a, b in zip(days[:-1], days[1:]):
                dt = (b - a) / np.timedelta64(1, "D")
                d = dt * projection(heading, incidence, kind) @ v + rng.normal(0, 0.05, GRID.shape)
                d[rng.random(GRID.shape) < 0.1] = np.nan
                pairs.append((a, b, d.astype(np.float32)))
            sets.append(MsbasSet(kind, heading, incidence, pairs, name=f"{track}_{kind}"))
    return export_msbas(folder, sets, GRID, order=1, lam=0.01)


def test_msbas_inputs_run_the_inversion_of_their_maps(tmp_path):
    header = write_inputs(tmp_path / "msbas")
    gfjax(tmp_path, "+experiment=msbas_inputs", f"data.path={header}", *COMMON)
    run = tmp_path / "msbas_inputs"
    got = xr.open_dataset(run / "products" / "timeseries.nc").load()

    from gfjax import invert_maps

    inp = read_msbas_inputs(header)
    want = invert_maps(inp.maps, inp.set_index, inp.t_master, inp.t_slave, inp.set_vectors, None,
                       dim=3, order=1, lam=0.01)
    assert set(want.data_vars) <= set(got.data_vars)
    for v in want.data_vars:
        np.testing.assert_allclose(got[v].values, want[v].values, rtol=1e-6, atol=1e-7, err_msg=v)
    assert (run / "products" / "mean_velocity.nc").is_file()
    assert (run / "figures").is_dir()
    import json

    rep = json.loads((run / "report.json").read_text())
    assert sorted(rep["stages"]) == ["msbas", "products"] and "truth" not in rep
    assert rep["stages"]["msbas"]["maps_used"] == 16


def test_msbas_inputs_map_stack_layout(tmp_path):
    from gfjax.io.msbas_scene import load_msbas_scene, map_stack

    header = write_inputs(tmp_path / "msbas")
    scene = load_msbas_scene(header)
    assert scene.grid == GRID and scene.ice_mask.all() and not scene.has_dem
    ds = scene.map_stack()
    assert ds.identical(map_stack(read_msbas_inputs(header), GRID))
    assert ds["displacement"].dims == ("map", "y", "x") and ds.sizes["map"] == 16
    assert list(ds["set_track"].values) == ["T065_range", "T065_azimuth", "T131_range", "T131_azimuth"]
    assert list(ds["kind"].values[:4]) == ["range"] * 4 and list(ds["pair"].values[:4]) == [0, 1, 2, 3]
    assert ds["set_vector"].shape == (4, 3) and "spatial_ref" in ds.coords or "crs" in ds.coords \
        or any("grid_mapping" in ds[v].attrs for v in ds.data_vars)
    with pytest.raises(ValueError, match="DEM missing"):
        scene.dem


def test_msbas_inputs_that_cannot_work_stop_first(tmp_path):
    out = gfjax(tmp_path, "+experiment=msbas_inputs", check=False)
    assert out.returncode != 0 and "data.path: the MSBAS header.txt is required" in out.stderr
    out = gfjax(tmp_path, "+experiment=msbas_inputs", f"data.path={tmp_path / 'none.txt'}", check=False)
    assert out.returncode != 0 and "none.txt not found" in out.stderr
    header = write_inputs(tmp_path / "msbas")
    out = gfjax(tmp_path, "+experiment=msbas_inputs", f"data.path={header}", "msbas.dim=4", check=False)
    assert out.returncode != 0 and "msbas.dim=4 needs a DEM" in out.stderr
    assert not (tmp_path / "msbas_inputs" / "stages").exists()


def write_granules(folder):
    """Four consecutive 12-day HyP3-like pairs on a UTM grid (int16 m/yr, as HyP3 writes)."""
    from test_io_formats_autorift import write_hyp3_like

    folder.mkdir(parents=True)
    yy, xx = np.mgrid[0:GRID.ny, 0:GRID.nx]
    days = np.datetime64("2017-06-02", "D") + 12 * np.arange(5)
    for k, (a, b) in enumerate(zip(days[:-1], days[1:])):
        vx = (100.0 + 10 * xx + 7 * k).astype(np.float32)
        vy = (-50.0 + 5 * yy - 3 * k).astype(np.float32)
        vx[k, k] = np.nan
        d1, d2, dc = (str(d).replace("-", "") + "T01:50:44.577283" for d in (a, b, a + 6))
        write_hyp3_like(folder / f"S1_{k}.nc", vx, vy, epsg=GRID.epsg, x0=GRID.x0, y0=GRID.y0, spacing=GRID.spacing,
                        info={"acquisition_date_img1": d1, "acquisition_date_img2": d2, "date_center": dc})
    return folder


def test_autorift_products_run_the_inversion_of_their_maps(tmp_path):
    from gfjax import invert_maps
    from gfjax.io.autorift import read_autorift
    from gfjax.io.msbas_scene import load_autorift_scene

    folder = write_granules(tmp_path / "granules")
    scene = load_autorift_scene(folder)
    assert scene.grid == GRID and scene.ice_mask.all()
    stack = scene.map_stack()
    assert stack.sizes["map"] == 8 and list(stack["set_track"].values) == ["autorift_north", "autorift_east"]
    first = read_autorift(folder / "S1_0.nc")
    dt = float(stack["t_slave"].values[0] - stack["t_master"].values[0])
    np.testing.assert_allclose(stack["displacement"].values[4], first["vx"].values * dt, rtol=1e-6)
    np.testing.assert_allclose(stack["displacement"].values[0], first["vy"].values * dt, rtol=1e-6)

    gfjax(tmp_path, "+experiment=autorift_inputs", f"data.path={folder}", *COMMON)
    got = xr.open_dataset(tmp_path / "autorift_inputs" / "products" / "timeseries.nc").load()
    want = invert_maps(stack["displacement"].values, stack["set_index"].values, stack["t_master"].values,
                       stack["t_slave"].values, stack["set_vector"].values, None, dim=3, order=1, lam=0.01)
    for v in want.data_vars:
        np.testing.assert_allclose(got[v].values, want[v].values, rtol=1e-6, atol=1e-7, err_msg=v)
    east, vx = got["velocity_east"].values[0], first["vx"].values  # first interval, m/yr
    ok = np.isfinite(east) & np.isfinite(vx)
    assert ok.sum() == vx.size - 1
    np.testing.assert_allclose(east[ok], vx[ok], rtol=0.02)  # the granules' flow comes back
    out = gfjax(tmp_path, "+experiment=autorift_inputs", f"data.path={tmp_path / 'nothing'}", check=False)
    assert out.returncode != 0 and "autoRIFT folder" in out.stderr and "not found" in out.stderr



def header_with_flags(folder):
    """write_inputs' folder with R_FLAG=3, 0.02 (order 2), a reference box (C_FLAG=1) and
    MC_FLAG=0.75 that removes the first map (40 % more holes)."""
    import rasterio

    header = write_inputs(folder)
    lines = [ln for ln in header.read_text().splitlines() if not ln.startswith(("R_FLAG", "C_FLAG", "MC_FLAG"))]
    header.write_text("\n".join(lines + ["R_FLAG=3, 0.02", "C_FLAG=1, 4, 3, 2, 2", "MC_FLAG=0.75"]) + "\n")
    with rasterio.open(sorted(folder.glob("**/*.tif"))[0], "r+") as dst:
        d = dst.read(1)
        d[np.random.default_rng(2).random(d.shape) < 0.4] = 0.0
        dst.write(d, 1)
    return header


def command_velocities(header, out):
    """``python -m gfjax.msbas header.txt`` (in process) → {component: (interval, y, x)}."""
    import rasterio

    from gfjax.msbas import cli

    out.mkdir()
    cli.run(header, out)
    labels = sorted(p.name[6:21] for p in out.glob("MSBAS_????????T??????_vNS.tif"))
    return {name: np.stack([rasterio.open(out / f"MSBAS_{lab}_v{code}.tif").read(1) for lab in labels[1:]])
            for code, name in (("NS", "north"), ("EW", "east"), ("UD", "up"))}


def assert_same_velocities(have: dict, want: dict):
    for name, w in want.items():
        h = np.nan_to_num(have[name])
        assert h.shape == w.shape, name
        # the command rounds the projection vectors to float32 as v10 does: ~1e-7 relative
        np.testing.assert_allclose(h, w, rtol=0, atol=2e-5 * np.abs(w).max(), err_msg=name)


def test_msbas_stage_follows_the_header_flags_as_the_msbas_command(tmp_path, monkeypatch):
    """R_FLAG, MC_FLAG, C_FLAG of one header: the msbas stage's reading (follow_header, in
    process) hands the solver the same maps, times, network window, order and λ as
    ``python -m gfjax.msbas`` (its call of invert_products captured; no inversion: fast)."""
    from types import SimpleNamespace

    from gfjax.io.msbas_scene import load_msbas_scene
    from gfjax.msbas import api
    from gfjax.msbas.options import MsbasOptions
    from gfjax.pipeline.stage import StageError
    from gfjax.pipeline.stages.msbas import follow_header

    header = header_with_flags(tmp_path / "msbas")
    seen = {}

    def capture(*args, **kw):
        seen.update(args=args, kw=kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "invert_products", capture)
    from gfjax.msbas import cli

    with pytest.raises(KeyboardInterrupt):
        cli.run(header, tmp_path)
    maps, set_index, tm, ts = seen["args"][:4]
    scene = load_msbas_scene(header)
    ctx = SimpleNamespace(settings=SimpleNamespace(data=SimpleNamespace(source=SimpleNamespace(value="msbas"))),
                          scene=scene)
    opts = MsbasOptions(dim=3, order=None, lam=None, min_coverage=None, calibration=None).validate()
    stack, used, summary = follow_header(ctx, scene.map_stack(), opts)
    assert (used.order, used.lam, used.calibration, used.min_coverage) == (2, 0.02, "none", 0.0)
    assert summary["c_flag"] == 1 and summary["maps_removed"] == 1 and stack.sizes["map"] == 15
    assert (seen["kw"]["order"], seen["kw"]["lam"], seen["kw"]["dim"]) == (used.order, used.lam, 3)
    np.testing.assert_array_equal(stack["displacement"].values, maps)
    np.testing.assert_array_equal(stack["set_index"].values, set_index)
    np.testing.assert_allclose(stack["t_master"].values, tm, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stack["t_slave"].values, ts, rtol=0, atol=1e-12)
    assert tuple(summary["window"]) == tuple(seen["kw"]["window"])
    # an option given overrides the header's; null outside data.source=msbas is refused
    opts = MsbasOptions(dim=3, order=None, lam=0.05, min_coverage=0.0, calibration="none")
    _, used, summary = follow_header(ctx, scene.map_stack(), opts)
    assert (used.order, used.lam, summary["maps_removed"], summary["from_header"]) == (2, 0.05, 0, ["order"])
    ctx.settings.data.source = SimpleNamespace(value="stack")
    with pytest.raises(StageError, match="only data.source=msbas"):
        follow_header(ctx, scene.map_stack(), opts)


@pytest.mark.slow
def test_msbas_inputs_follow_the_header_flags_as_the_msbas_command(tmp_path):
    """The whole route: +experiment=msbas_inputs (subprocess) and ``python -m gfjax.msbas`` on one
    header with R_FLAG / MC_FLAG / C_FLAG give the same velocities; overrides win."""
    import json

    header = header_with_flags(tmp_path / "msbas")
    gfjax(tmp_path, "+experiment=msbas_inputs", f"data.path={header}", "products.animation=false")
    got = xr.open_dataset(tmp_path / "msbas_inputs" / "products" / "timeseries.nc").load()
    assert_same_velocities({n: got[f"velocity_{n}"].values for n in ("north", "east", "up")},
                           command_velocities(header, tmp_path / "v10"))
    rep = json.loads((tmp_path / "msbas_inputs" / "report.json").read_text())["stages"]["msbas"]
    assert rep["header_flags"]["c_flag"] == 1 and rep["header_flags"]["maps_removed"] == 1
    assert rep["maps_used"] == 15 and rep["order"] == 2 and rep["lam"] == 0.02
    (tmp_path / "o").mkdir()
    gfjax(tmp_path / "o", "+experiment=msbas_inputs", f"data.path={header}", "products.animation=false",
          "msbas.lam=0.05", "msbas.calibration=none", "msbas.min_coverage=0")
    rep = json.loads((tmp_path / "o" / "msbas_inputs" / "report.json").read_text())["stages"]["msbas"]
    assert rep["lam"] == 0.05 and rep["order"] == 2 and rep["maps_used"] == 16
    assert rep["header_flags"]["from_header"] == ["dim", "order"] and rep["dim"] == 3


# --- issue 16: every v10 header form through the pipeline route, as python -m gfjax.msbas ---------------------------

def _golden(case):
    from msbas_golden import GOLDEN

    return GOLDEN / case / "header.txt"


def _msbas_ctx(header):
    """The msbas stage's view of an MSBAS header (data.source=msbas): settings and scene."""
    from types import SimpleNamespace

    from gfjax.io.msbas_scene import load_msbas_scene

    return SimpleNamespace(settings=SimpleNamespace(data=SimpleNamespace(source=SimpleNamespace(value="msbas"))),
                           scene=load_msbas_scene(header))


@pytest.mark.parametrize("case", ["1d", "2d", "3d", "4d", "3d_slopes", "3d_slopes_range", "angles", "cflag100",
                                  "interp"])
def test_msbas_stage_hands_the_solver_what_the_msbas_command_does(case, tmp_path, monkeypatch):
    """Each golden v10 header (FORMAT=2, r; 7-field SETs with per-pixel angles; D_FLAG=0/1 with
    DD_NSEW_FILES; every C_FLAG; WINDOW_SIZE; MC_FLAG; R_FLAG): the msbas stage with the options
    of +experiment=msbas_inputs (all null) gives the solver the same maps, times, vectors (per
    pixel with angle files), slopes and constraint rows, dimension, window, order and λ as
    ``python -m gfjax.msbas`` (its call captured; no inversion: fast)."""
    from gfjax.msbas import api, cli
    from gfjax.msbas.options import MsbasOptions
    from gfjax.pipeline.stages.msbas import band_vectors, follow_header, header_slopes

    header = _golden(case)
    seen = {}

    def capture(*args, **kw):
        seen.update(args=args, kw=kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "invert_products", capture)
    with pytest.raises(KeyboardInterrupt):
        cli.run(header, tmp_path)
    maps, set_index, tm, ts, vectors, slopes = seen["args"]
    ctx = _msbas_ctx(header)
    opts = MsbasOptions(dim=None, order=None, lam=None, min_coverage=None, calibration=None).validate()
    stack, used, summary = follow_header(ctx, ctx.scene.map_stack(), opts)
    gradients, slope_rows = header_slopes(ctx, used)
    kw = seen["kw"]
    assert (used.dim, used.order, used.lam) == (kw["dim"], kw["order"], kw["lam"]) and summary["dim"] == kw["dim"]
    assert slope_rows == kw["slope_constraint"] and tuple(summary["window"]) == tuple(kw["window"])
    np.testing.assert_array_equal(stack["displacement"].values, maps)
    np.testing.assert_array_equal(stack["set_index"].values, set_index)
    np.testing.assert_array_equal(stack["t_master"].values, tm)
    np.testing.assert_array_equal(stack["t_slave"].values, ts)
    np.testing.assert_array_equal(stack["set_vector"].values, vectors)
    if slopes is None:
        assert gradients is None
    elif kw["dim"] >= 3:
        np.testing.assert_array_equal(gradients, slopes)
    if case == "angles":     # per-pixel vectors: (set, neu, y, x), sliced with the rows of a band
        assert stack["set_vector"].dims == ("set", "neu", "y", "x")
        np.testing.assert_array_equal(band_vectors(vectors, 3, 7), vectors[:, :, 3:7])
    if case == "interp":     # FORMAT=2, 2 fills holes: more valid values than the files hold
        from gfjax.io.msbas_header import map_times, parse_header
        from gfjax.io.msbas_maps import read_maps

        hdr = parse_header(header)
        entries = map_times(hdr)[0]
        raw, _ = read_maps([e.path for e in entries], [e.where for e in entries], hdr.file_size, hdr.window)
        assert np.isfinite(ctx.scene.stack["displacement"].values).sum() > (raw != 0).sum()


def test_msbas_inputs_refuse_a_header_v10_runs_in_2d_with_the_products(tmp_path):
    """A header of range sets only (v10: 2D, east and up) has no north component for the products
    stage: refused before any stage, naming the header, the dimension and what runs it."""
    header = _golden("interp")
    out = gfjax(tmp_path, "+experiment=msbas_inputs", f"data.path={header}", check=False)
    assert out.returncode != 0, out.stdout[-2000:]
    assert f"{header}: MSBAS v10 inverts this header in 2D (east, up; MSBAS-2D: sets RA, RD)" in out.stderr
    assert f"python -m gfjax.msbas {header}" in out.stderr and "'stages=[msbas]'" in out.stderr
    assert not (tmp_path / "msbas_inputs" / "stages").exists()


@pytest.mark.slow
@pytest.mark.parametrize("case, stages", [("interp", "[msbas]"), ("angles", "[msbas]"),
                                          ("3d_slopes", "[msbas,products]"), ("4d", "[msbas,products]")])
def test_msbas_inputs_invert_every_header_form_as_the_msbas_command(case, stages, tmp_path):
    """The whole route (+experiment=msbas_inputs, subprocess) on golden v10 headers — FORMAT=2, 2
    (holes filled), 7-field SETs (per-pixel angles, 2D), D_FLAG=0 + DD_NSEW_FILES (3D with
    surface-parallel rows), D_FLAG=1 + DD_NSEW_FILES (4D, slopes from the header, no DEM) — gives
    the velocities of ``python -m gfjax.msbas`` on the same header, and runs and logs v10's
    dimension."""
    import json

    import rasterio

    from gfjax.io.msbas_header import parse_header
    from gfjax.msbas import cli

    header = _golden(case)
    gfjax(tmp_path, "+experiment=msbas_inputs", f"data.path={header}", f"stages={stages}",
          "products.animation=false")
    run = tmp_path / "msbas_inputs"
    got = xr.open_dataset(run / "products" / "timeseries.nc").load()
    out = tmp_path / "v10"
    out.mkdir()
    cli.run(header, out)
    dim = int(got.attrs["dim"])
    assert f"MSBAS-{dim}D" in (out / "MSBAS_LOG.txt").read_text()
    rep = json.loads((run / "report.json").read_text())["stages"]["msbas"]
    assert rep["dim"] == dim and rep["slope_constraint"] == (case == "3d_slopes")
    assert f"msbas: {dim}D inversion" in (run / "run.log").read_text()
    c0, c1, r0, r1 = parse_header(header).window
    labels = sorted({p.name[6:21] for p in out.glob("MSBAS_????????T??????_v*.tif")})
    for code, name in cli.FILE_COMPONENTS[dim]:
        want = np.stack([rasterio.open(out / f"MSBAS_{lab}_v{code}.tif").read(1) for lab in labels[1:]])
        want = want[:, r0:r1 + 1, c0:c1 + 1]
        have = np.nan_to_num(got[f"velocity_{name}"].values)
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-5 * np.abs(want).max(), err_msg=name)


@pytest.mark.parametrize("case", ["3d_slopes", "angles"])
def test_lambda_lcurve_of_the_msbas_command_is_the_stage_s(case, tmp_path, monkeypatch):
    """``python -m gfjax.msbas --lambda-lcurve`` and the msbas stage's L-curve (select_lam=lcurve)
    on golden headers (3D with surface-parallel rows and v10's epoch window; 2D with per-pixel
    vectors, the stage's L-curve pixels taking theirs): one function
    (gfjax.msbas.lcurve.lcurve) on the inversion's system, the same norms and the same λ, which
    the command then inverts with (its inversion captured, not run: fast; the option's whole run
    is in test_msbas_cli)."""
    from types import SimpleNamespace

    from gfjax.msbas import api, cli
    from gfjax.msbas import lcurve as lc
    from gfjax.msbas.options import MsbasOptions
    from gfjax.pipeline.stages.msbas import _lcurve, follow_header, header_slopes

    header = _golden(case)
    lams = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
    results, calls = [], []
    real, real_terms = lc.lcurve_from_sums, lc.lcurve_terms

    def keep(*a, **kw):
        results.append(real(*a, **kw))
        return results[-1]

    def terms(*a, **kw):
        calls.append(kw)
        return real_terms(*a, **kw)
    seen = {}

    def invert(*a, **kw):           # the command's inversion: its λ, then stop (fast)
        seen.update(kw)
        raise KeyboardInterrupt
    monkeypatch.setattr(lc, "lcurve_from_sums", keep)
    monkeypatch.setattr(lc, "lcurve_terms", terms)
    monkeypatch.setattr(api, "invert_products", invert)
    with pytest.raises(KeyboardInterrupt):
        cli.run(header, tmp_path, lcurve=lams)
    assert seen["lam"] == results[0].best_lam

    ctx = _msbas_ctx(header)
    ctx.workers = SimpleNamespace(size=1, rank=0, is_root=True)
    ctx.settings.products = SimpleNamespace(figures=False)
    opts = MsbasOptions(dim=None, order=None, lam=None, min_coverage=None, calibration=None,
                        lam_candidates=lams, select_lam="lcurve").validate()
    stack, opts, summary = follow_header(ctx, ctx.scene.map_stack(), opts)
    gradients, slope_rows = header_slopes(ctx, opts)
    lam, table = _lcurve(ctx, stack, gradients, opts, None, slope_rows, window=summary["window"])
    assert slope_rows == (case == "3d_slopes") and calls[1]["slope_constraint"] == slope_rows
    assert tuple(calls[1]["window"]) == tuple(calls[0]["window"])
    assert table["pixels"] == int(np.isfinite(stack["displacement"].values).any(axis=0).sum())
    assert lam == results[0].best_lam
    np.testing.assert_allclose(table["residual_norm_m"], results[0].residual_norm, rtol=1e-12)
    np.testing.assert_allclose(table["solution_seminorm"], results[0].solution_norm, rtol=1e-12)
