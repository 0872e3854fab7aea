"""The real Terceira Sentinel-1 crop as a SAFE product (imported as ``from terceira import …``).

``../shared/data/sentinel1/terceira_20220918`` holds the complete IW3 VV annotation, a 601 × 1401
CInt16 crop cut at swath line 9799, sample 10999, and the RESORB orbit file. :func:`build_safe`
writes ``manifest.safe`` + ``annotation/`` + a sparse full-swath ``measurement/`` TIFF holding the
crop at its place, as the data README describes.
"""
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gfjax.io.safe_write import REP_ANNOTATION, REP_MEASUREMENT, write_manifest, write_sparse_measurement

NAME = "S1A_IW_SLC__1SDV_20220918T074920_20220918T074947_045056_056232_0000"
CROP_LINE, CROP_SAMPLE = 9799, 10999
SWATH_SHAPE = (13626, 24203)


def terceira_dir(shared_data: Path) -> Path:
    folder = shared_data / "sentinel1" / "terceira_20220918"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


def read_crop(folder: Path) -> np.ndarray:
    import rasterio

    with warnings.catch_warnings(), rasterio.Env():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)   # a plain radar-geometry crop
        with rasterio.open(next(folder.glob("*.tiff"))) as src:
            return src.read(1)


def build_safe(shared_data: Path, dest: Path, extra_annotations=()) -> tuple[Path, np.ndarray]:
    """(SAFE folder, crop) built under ``dest``; ``extra_annotations`` = other names to list for the same XML."""
    folder = terceira_dir(shared_data)
    ann = next(folder.glob("s1a-iw3-slc-vv-*.xml"))
    root = dest / f"{NAME}.SAFE"
    (root / "annotation").mkdir(parents=True)
    (root / "measurement").mkdir()
    files = []
    for name in (ann.name, *extra_annotations):
        shutil.copy(ann, root / "annotation" / name)
        files.append((f"annotation/{name}", REP_ANNOTATION))
    crop = read_crop(folder)
    meas = f"measurement/{ann.stem}.tiff"
    write_sparse_measurement(root / meas, SWATH_SHAPE, [(CROP_LINE, CROP_SAMPLE, crop)])
    write_manifest(root / "manifest.safe", mission="S1A", mode="IW", swaths=["IW3"], pass_direction="DESCENDING",
                   absolute_orbit=45056, relative_orbit=9, ascending_node_time="2022-09-18T07:10:45.409934",
                   data_take_id=352818, polarisations=["VV"], start_time="2022-09-18T07:49:21.513561",
                   stop_time="2022-09-18T07:49:46.683848", files=files + [(meas, REP_MEASUREMENT)])
    return root, crop


def zip_safe(root: Path, dest: Path) -> Path:
    """The SAFE folder zipped the way ESA ships it (``<name>.SAFE/…`` inside ``<name>.zip``)."""
    out = dest / f"{NAME}.zip"
    with zipfile.ZipFile(out, "w") as z:
        for f in sorted(root.rglob("*")):
            if f.is_file():
                z.write(f, f"{root.name}/{f.relative_to(root).as_posix()}")
    return out
