"""Write Sentinel-1 SAFE layouts: a ``manifest.safe`` that xarray-sentinel reads and sparse measurement TIFFs.

Used to open a real annotation with real pixel crops as a product (the tests' Terceira SAFE) and,
later, by the simulator writing its scenes in the real format. The manifest holds what readers
use (platform, mode, swaths, orbit numbers, pass, ascending node time, data take, polarisations,
product type, start/stop times, and a ``dataObject`` per file with ESA's ``repID``), not the
whole ESA manifest (no checksums, footprint or processing history).

A measurement TIFF has the full swath size (lines × samples, CInt16, tiled, ``SPARSE_OK``); only
the blocks that hold data are written, so a 13,626 × 24,203 swath with one 601 × 1,401 crop is
~6 MB on disk.
"""
from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import escape

import numpy as np

__all__ = ["REP_ANNOTATION", "REP_MEASUREMENT", "write_manifest", "write_sparse_measurement"]

REP_ANNOTATION = "s1Level1ProductSchema"
REP_MEASUREMENT = "s1Level1MeasurementSchema"
_NS = ('xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel-1.0" '
       'xmlns:s1="http://www.esa.int/safe/sentinel-1.0/sentinel-1" '
       'xmlns:s1sarl1="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1"')


def write_manifest(path: str | PathLike[str], *, mission: str, mode: str, swaths: Iterable[str], pass_direction: str,
                   absolute_orbit: int, relative_orbit: int, ascending_node_time: str, data_take_id: int,
                   polarisations: Iterable[str], start_time: str, stop_time: str,
                   files: Iterable[tuple[str, str]], product_type: str = "SLC") -> Path:
    """Write ``manifest.safe``; ``files`` are (path inside the SAFE, repID) pairs, e.g. ``("annotation/….xml", REP_ANNOTATION)``.

    Times are UTC ISO strings (``2022-09-18T07:49:21.513561``).
    """
    if pass_direction.upper() not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"write_manifest: pass_direction must be ASCENDING or DESCENDING, got {pass_direction!r}")
    if not mission.upper().startswith("S1") or len(mission) != 3:
        raise ValueError(f"write_manifest: mission must be S1A, S1B, S1C …, got {mission!r}")
    objects = []
    for i, (href, rep) in enumerate(files):
        objects.append(f'    <dataObject ID="object{i}" repID="{escape(rep)}">\n'
                       f'      <byteStream mimeType="application/octet-stream">\n'
                       f'        <fileLocation locatorType="URL" href="./{escape(href)}"/>\n'
                       f'      </byteStream>\n    </dataObject>')
    swath_tags = "".join(f"<s1sarl1:swath>{escape(s)}</s1sarl1:swath>" for s in swaths)
    pol_tags = "".join(f"<s1sarl1:transmitterReceiverPolarisation>{escape(p)}"
                       f"</s1sarl1:transmitterReceiverPolarisation>" for p in polarisations)
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU {_NS} version="esa/safe/sentinel-1.0/sentinel-1/sar/level-1/slc/standard/iwdp">
  <metadataSection>
    <metadataObject ID="platform"><metadataWrap><xmlData>
      <safe:platform>
        <safe:familyName>SENTINEL-1</safe:familyName>
        <safe:number>{escape(mission[-1].upper())}</safe:number>
        <safe:instrument><safe:extension><s1sarl1:instrumentMode>
          <s1sarl1:mode>{escape(mode)}</s1sarl1:mode>{swath_tags}
        </s1sarl1:instrumentMode></safe:extension></safe:instrument>
      </safe:platform>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="measurementOrbitReference"><metadataWrap><xmlData>
      <safe:orbitReference>
        <safe:orbitNumber type="start">{int(absolute_orbit)}</safe:orbitNumber>
        <safe:orbitNumber type="stop">{int(absolute_orbit)}</safe:orbitNumber>
        <safe:relativeOrbitNumber type="start">{int(relative_orbit)}</safe:relativeOrbitNumber>
        <safe:relativeOrbitNumber type="stop">{int(relative_orbit)}</safe:relativeOrbitNumber>
        <safe:extension><s1:orbitProperties>
          <s1:pass>{pass_direction.upper()}</s1:pass>
          <s1:ascendingNodeTime>{escape(ascending_node_time)}</s1:ascendingNodeTime>
        </s1:orbitProperties></safe:extension>
      </safe:orbitReference>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="generalProductInformation"><metadataWrap><xmlData>
      <s1sarl1:standAloneProductInformation>
        <s1sarl1:missionDataTakeID>{int(data_take_id)}</s1sarl1:missionDataTakeID>{pol_tags}
        <s1sarl1:productType>{escape(product_type)}</s1sarl1:productType>
      </s1sarl1:standAloneProductInformation>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="acquisitionPeriod"><metadataWrap><xmlData>
      <safe:acquisitionPeriod>
        <safe:startTime>{escape(start_time)}</safe:startTime>
        <safe:stopTime>{escape(stop_time)}</safe:stopTime>
      </safe:acquisitionPeriod>
    </xmlData></metadataWrap></metadataObject>
  </metadataSection>
  <dataObjectSection>
{chr(10).join(objects)}
  </dataObjectSection>
</xfdu:XFDU>
"""
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path


def write_sparse_measurement(path: str | PathLike[str], shape: tuple[int, int], blocks: Iterable[tuple[int, int, np.ndarray]],
                             block_size: int = 256) -> Path:
    """Write a CInt16 GeoTIFF of ``shape`` (lines, samples) holding each (line, sample, complex array) block.

    Unwritten tiles stay absent (``SPARSE_OK``) and read as 0. Complex values are rounded to int16.
    """
    import rasterio
    from rasterio.windows import Window

    lines, samples = (int(v) for v in shape)
    profile = dict(driver="GTiff", width=samples, height=lines, count=1, dtype="complex_int16", tiled=True,
                   blockxsize=block_size, blockysize=block_size, sparse_ok=True)
    path = Path(path)
    with warnings.catch_warnings(), rasterio.Env():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)   # radar geometry: no CRS
        with rasterio.open(path, "w", **profile) as dst:
            for row, col, data in blocks:
                data = np.asarray(data)
                if data.ndim != 2 or min(row, col) < 0 or row + data.shape[0] > lines or col + data.shape[1] > samples:
                    raise ValueError(f"{path}: block of shape {data.shape} at line {row}, sample {col} does not "
                                     f"fit the {lines} × {samples} swath")
                dst.write(np.round(data).astype(np.complex64), 1,
                          window=Window(col, row, data.shape[1], data.shape[0]))
    return path
