"""DEM on a map grid (gfjax.io.dem) and geoid → ellipsoid heights (gfjax.io.geoid).

Oracle: a plane DEM and a plane geoid in lon/lat, warped onto a UTM grid, give the plane values
at the cell centres (bilinear is exact on planes). Real data: the SRTM 3″ tile of Terceira read
straight from its zip. Truth on every machine: 4 × 4 real EGM96 5′ nodes written as a grid file give
NGA's published undulations at two check points to −5.1 and +3.2 mm. Truth (skipped when no EGM96 grid is available — on this project's CI
machine there is none): NGA's published EGM96 check values (``OUTINTPT.DAT`` of NGA's EGM96
interpolation program, 15′ grid) — the ``egm96`` package's 5′ grid reproduces all six to ≤ 5 mm
(measured: 0.7–5.1 mm); the undulation at Terceira (38.66 N, 27.20 W) is +57.81 m.
"""
import warnings
import zipfile

import numpy as np
import pytest

from gfjax.geometry.grid import MapGrid
from gfjax.io import geoid
from gfjax.io.dem import DemError, DemSource, cell_lonlat, dem_gdal_path, read_dem

# NGA EGM96 check points (latitude, longitude east, undulation m)
NGA_EGM96 = [(38.6281550, 269.7791550, -31.628), (-14.6212170, 305.0211140, -2.969),
             (46.8743190, 102.4487290, -43.575), (-23.6174460, 133.8747120, 15.871),
             (38.6254730, 359.9995000, 50.066), (-0.4667440, 0.0023000, 17.329)]
TERCEIRA_UTM = MapGrid.from_bounds(32626, 479_000, 4_275_000, 487_000, 4_281_000, 200.0)   # UTM 26N


def _write_lonlat_tif(path, func, west=-28.0, north=39.5, step=0.01, n=150, nodata=None):
    import rasterio
    from rasterio.transform import Affine

    lon = west + (np.arange(n) + 0.5) * step
    lat = north - (np.arange(n) + 0.5) * step
    values = func(*np.meshgrid(lon, lat)).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:4326",
                       transform=Affine(step, 0.0, west, 0.0, -step, north), nodata=nodata) as dst:
        dst.write(values, 1)
    return path


def _plane_dem(lon, lat):
    return 100.0 + 300.0 * (lon + 27.2) - 200.0 * (lat - 38.65)


def _plane_geoid(lon, lat):
    return 57.0 + 2.0 * (lon + 27.2) + 3.0 * (lat - 38.65)


def test_plane_dem_and_geoid_warp_onto_utm_exactly(tmp_path):
    dem = _write_lonlat_tif(tmp_path / "dem.tif", _plane_dem)
    grid_n = _write_lonlat_tif(tmp_path / "geoid.tif", _plane_geoid)
    lon, lat = cell_lonlat(TERCEIRA_UTM)
    h_raw = read_dem(DemSource(str(dem), "ellipsoid"), TERCEIRA_UTM)
    assert h_raw.shape == TERCEIRA_UTM.shape and h_raw.dtype == np.float32
    assert np.abs(h_raw - _plane_dem(lon, lat)).max() < 0.02                      # m (float32 on ~300 m)
    h = read_dem(DemSource(str(dem), "EGM96", str(grid_n)), TERCEIRA_UTM)
    assert np.abs(h - (_plane_dem(lon, lat) + _plane_geoid(lon, lat))).max() < 0.02
    assert np.allclose(geoid.geoid_undulation(lat, lon, "egm2008", grid_n), _plane_geoid(lon, lat), atol=1e-4)


def test_bad_dems_and_datums_are_named(tmp_path, monkeypatch):
    small = _write_lonlat_tif(tmp_path / "small.tif", _plane_dem, west=-27.25, north=38.66, n=3)
    with pytest.raises(DemError, match=r"small.tif does not cover the grid: \d+\.\d% of the 1200 cells"):
        read_dem(DemSource(str(small), "ellipsoid"), TERCEIRA_UTM)
    with pytest.raises(DemError, match="vertical_datum must be one of"):
        DemSource("x.tif", "navd88")
    (tmp_path / "notes.zip").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as z:
        z.writestr("readme.txt", "no raster")
    with pytest.raises(DemError, match="empty.zip: expected one raster"):
        dem_gdal_path(tmp_path / "empty.zip")
    with pytest.raises(DemError, match="missing.tif: file not found"):
        read_dem("missing.tif", TERCEIRA_UTM)
    # no geoid grid anywhere: a clear error, never a silent zero undulation
    dem = _write_lonlat_tif(tmp_path / "dem.tif", _plane_dem)
    monkeypatch.setattr(geoid, "_proj_available", lambda model: False)
    monkeypatch.setattr(geoid, "_egm96_package", lambda: None)
    with pytest.raises(geoid.GeoidUnavailableError, match=r"no EGM2008 geoid grid .*us_nga_egm08_25.tif"):
        read_dem(DemSource(str(dem), "egm2008"), TERCEIRA_UTM)
    with pytest.raises(geoid.GeoidUnavailableError, match="egm96 package"):
        read_dem(str(dem), TERCEIRA_UTM)                       # a bare path: SRTM's EGM96 assumed


@pytest.mark.shared
def test_srtm_tile_read_from_its_zip(shared_data):
    path = shared_data / "dem" / "N38W028.SRTMGL3.hgt.zip"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert dem_gdal_path(path).startswith("/vsizip/") and dem_gdal_path(path).endswith("N38W028.hgt")
    h = read_dem(DemSource(str(path), "ellipsoid"), TERCEIRA_UTM)
    # Terceira's east coast: sea (0 m) to ~800 m inland of Praia da Vitória in this box
    assert np.isfinite(h).all() and h.min() >= -5 and 300 < h.max() < 1100 and (h < 1).mean() > 0.05


# EGM96 5′ grid nodes (m; rows 38.5 … 38.75 N, columns from the first node's longitude east in 5′ steps)
# around two NGA check points, from the
# complete grid that the egm96 package bundles: a real geoid grid file for the file route on any machine
EGM96_NODES = {
    (38.6254730, 359.9995000, 50.066): (-10 / 60, [[50.28, 50.17, 50.04, 49.89], [50.33, 50.20, 50.06, 49.91],
                                               [50.35, 50.21, 50.06, 49.89], [50.34, 50.20, 50.03, 49.86]]),
    (38.6281550, 269.7791550, -31.628): (-90 - 20 / 60, [[-31.43, -31.40, -31.38, -31.36],
                                                             [-31.59, -31.56, -31.53, -31.51],
                                                             [-31.74, -31.70, -31.67, -31.64],
                                                             [-31.87, -31.82, -31.78, -31.75]]),
}


def test_a_real_egm96_grid_file_reproduces_nga_published_values(tmp_path):
    """The file route (gfjax.io.geoid, ``grid_path``) on 4 × 4 real EGM96 5′ nodes gives NGA's published
    undulations at two of its check points (longitudes 0–360 wrapped onto the grid) within 1 cm."""
    import rasterio
    from rasterio.transform import Affine

    step = 5.0 / 60.0
    for k, ((lat, lon, expected), (first_lon, rows)) in enumerate(EGM96_NODES.items()):
        path = tmp_path / f"egm96_{k}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:4326",
                           transform=Affine(step, 0.0, first_lon - step / 2, 0.0, -step, 38.75 + step / 2)) as dst:
            dst.write(np.asarray(rows, np.float32)[::-1], 1)                  # north-up
        value = float(geoid.geoid_undulation(lat, lon, "egm96", path))
        assert abs(value - expected) < 0.01


def _egm96_source_or_skip():
    try:
        return geoid.geoid_source("egm96")
    except geoid.GeoidUnavailableError as exc:
        pytest.skip(f"no EGM96 grid on this machine ({str(exc)[:60]}…)")


def test_egm96_against_nga_published_values_and_terceira(tmp_path):
    kind = _egm96_source_or_skip()
    lat, lon, expected = np.array(NGA_EGM96).T
    n = geoid.geoid_undulation(lat, lon, "egm96")
    assert np.abs(n - expected).max() < 0.02, (kind, n - expected)
    at_terceira = float(geoid.geoid_undulation(38.66, -27.20, "egm96"))
    assert 57.5 < at_terceira < 58.1, at_terceira
    if kind == "egm96-package":            # the same grid written as a GeoTIFF: the file route agrees
        import egm96

        n_file = geoid.geoid_undulation(lat[:1] * 0 + 38.66, -27.20, "egm96",
                                        _write_lonlat_tif(tmp_path / "n.tif", lambda lo, la: egm96.undulation(la, lo)))
        assert abs(float(n_file[0]) - at_terceira) < 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("error")                # PROJ's ballpark fallback must never be used silently
        geoid.geoid_undulation(38.66, -27.20, "egm96")


def test_proj_route_uses_an_installed_grid_with_the_right_sign(tmp_path):
    """PROJ's own transformation, once it finds the grid (here a regional plane named like PROJ's EGM2008
    grid, in a PROJ data folder of a child process: the folder list is process-global), gives +N."""
    import subprocess
    import sys

    import rasterio
    from rasterio.transform import Affine

    lon = -28.0 + (np.arange(200) + 0.5) * 0.01
    lat = 39.5 - (np.arange(150) + 0.5) * 0.01
    with rasterio.open(tmp_path / "us_nga_egm08_25.tif", "w", driver="GTiff", width=200, height=150, count=1,
                       dtype="float32", crs="EPSG:4326", transform=Affine(0.01, 0.0, -28.0, 0.0, -0.01, 39.5)) as dst:
        dst.write(_plane_geoid(*np.meshgrid(lon, lat)).astype(np.float32), 1)
        dst.update_tags(TYPE="VERTICAL_OFFSET_GEOGRAPHIC_TO_VERTICAL")
        dst.set_band_description(1, "geoid_undulation")
    code = ("import pyproj, sys; pyproj.datadir.append_data_dir(sys.argv[1]);"
            "from gfjax.io import geoid;"
            "print(geoid.geoid_source('egm2008'), float(geoid.geoid_undulation(38.65, -27.1, 'egm2008')))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    source, value = out.stdout.split()
    assert source == "proj" and abs(float(value) - _plane_geoid(-27.1, 38.65)) < 1e-3, out.stdout
